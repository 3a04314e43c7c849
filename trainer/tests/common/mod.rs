//! Shared by the integration tests that check against a live PyTorch + transformers.

/// The Python named by `WIKIREL_REF_PYTHON`, or `None` with a skip notice.
/// `WIKIREL_REQUIRE_REF=1` turns a missing one into a failure (`make test-ref` sets both).
pub fn ref_python() -> Option<std::ffi::OsString> {
    let python = std::env::var_os("WIKIREL_REF_PYTHON");
    if python.is_none() {
        assert!(
            std::env::var("WIKIREL_REQUIRE_REF").as_deref() != Ok("1"),
            "WIKIREL_REQUIRE_REF=1 but WIKIREL_REF_PYTHON is not set"
        );
        eprintln!("skipped: set WIKIREL_REF_PYTHON to a Python with torch + transformers");
    }
    python
}
