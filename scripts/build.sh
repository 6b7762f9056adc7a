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
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  emcmake cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
fi
cmake --build "$BUILD_DIR" --target attnscope_wasm -j"$(nproc)"
node scripts/build.mjs "$BUILD_DIR/src/bindings"
