#!/usr/bin/env bash
# Installs libtorch from the PyPI torch==2.11.0 wheel, slim and cached outside the clone.
#
# Why PyPI and not download.pytorch.org: only the package registries are reachable, and the GPU
# machines we sometimes borrow have exactly torch 2.11.0+cu130 installed, so a trainer built
# here against the same version runs there as a plain binary.
# Why --no-deps: torch pulls ~3.5 GB of CUDA wheels. libtorch_cpu.so needs only two of them
# (`readelf -d libtorch_cpu.so` lists libcudart.so.13 and libcupti.so.13 as NEEDED).
#
# Result:
#   $CACHE/torch-2.11.0/              the installed wheels (torch/, nvidia/)
#   $CACHE/libtorch-2.11.0-cpu/       include/ + lib/ without libtorch_cuda*: what a CPU build links
#   <repo>/.libtorch      -> the CPU view (LIBTORCH in .cargo/config.toml)
#   <repo>/.libtorch-full -> $CACHE/torch-2.11.0/torch (for `--features cuda` builds)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${WIKIREL_CACHE:-$HOME/.cache/wikirel}"
ver=2.11.0
dir="$cache/torch-$ver"
python="${PYTHON:-python3}"

if [ ! -f "$dir/.complete" ]; then
  echo "installing torch==$ver (no deps) + CUDA runtime wheels into $dir" >&2
  mkdir -p "$cache"
  tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  "$python" -m pip install --quiet --disable-pip-version-check --no-deps --target "$tmp" \
    "torch==$ver" "nvidia-cuda-runtime==13.0.96" "nvidia-cuda-cupti==13.0.85"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  touch "$dir/.complete"
fi

view="$cache/libtorch-$ver-cpu"
if [ ! -f "$view/.complete" ]; then
  rm -rf "$view"
  mkdir -p "$view/lib"
  ln -s "$dir/torch/include" "$view/include"
  for f in "$dir"/torch/lib/*.so*; do
    case "$(basename "$f")" in
      libtorch_cuda*|libc10_cuda*|libtorch_nvshmem*|libcaffe2_nvrtc*|libtorch_python*) ;;
      *) ln -s "$f" "$view/lib/" ;;
    esac
  done
  touch "$view/.complete"
fi

ln -sfn "$view" "$repo/.libtorch"
ln -sfn "$dir/torch" "$repo/.libtorch-full"
echo "libtorch $ver ready: $repo/.libtorch -> $view" >&2
