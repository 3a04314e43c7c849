//! Where a file came from: written as JSON into every Parquet file's key-value metadata.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The program and its version, e.g. `wikirel-pipeline 0.1.0`.
    pub tool: String,
    /// The stage that wrote the file, e.g. `wikidata`.
    pub stage: String,
    /// Input files (paths as given) the table was derived from.
    pub inputs: Vec<String>,
    /// The command line, for reruns.
    pub command: Vec<String>,
    /// Free-form settings that change the output (thread counts do not).
    #[serde(default)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

impl Provenance {
    /// A provenance record for `stage` of `tool` with the current command line.
    pub fn new(tool: &str, stage: &str) -> Self {
        Provenance {
            tool: tool.to_string(),
            stage: stage.to_string(),
            command: std::env::args().collect(),
            ..Default::default()
        }
    }

    pub fn with_inputs<I: IntoIterator<Item = S>, S: Into<String>>(mut self, inputs: I) -> Self {
        self.inputs = inputs.into_iter().map(Into::into).collect();
        self
    }

    pub fn setting(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.settings.insert(key.to_string(), value.into());
        self
    }
}
