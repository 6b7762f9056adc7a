#!/usr/bin/env bash
# Builds the wasm module (Emscripten via CMake) and the npm package in dist/.
#   ATTNSCOPE_BUILD_TYPE=Debug scripts/build.sh   for assertions and source maps
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
source scripts/emscripten-env.sh
BUILD_TYPE="${ATTNSCOPE_BUILD_TYPE:-Release}"
BUILD_DIR="build/wasm-${BUILD_TYPE,,}"
# Two builds of the same code: SIMD128, and relaxed SIMD (fused multiply-add)
# for the runtimes that have it; the JS layer picks one when it loads.
for variant in "" "-relaxed"; do
  dir="$BUILD_DIR$variant"
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    emcmake cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
      -DATTNSCOPE_WASM_RELAXED_SIMD="$([[ -n $variant ]] && echo ON || echo OFF)" >/dev/null
  fi
  cmake --build "$dir" --target attnscope_wasm -j"$(nproc)"
done
node scripts/build.mjs "$BUILD_DIR/src/bindings" "$BUILD_DIR-relaxed/src/bindings"
