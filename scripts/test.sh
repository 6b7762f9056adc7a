#!/usr/bin/env bash
# Every test: native C++ suite (+ ASan/UBSan), the same suite compiled to wasm
# under Node, the PyTorch oracle check, the JS API in Node and in Chromium,
# and the packed npm tarball installed elsewhere. Installs what it needs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="$(nproc)"
step() { printf '\n=== %s ===\n' "$*"; }

step setup
bash scripts/setup.sh

step "native C++ suite (ctest)"
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j"$JOBS"
ctest --test-dir build/native --output-on-failure -j"$JOBS"

step "native C++ suite under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNSCOPE_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build/asan --output-on-failure -j"$JOBS" -E oracle_regenerates

step "libFuzzer targets (json, safetensors, tokenizer.json, tokenization), ${ATTNSCOPE_FUZZ_SECONDS:-60} s each"
bash scripts/fuzz.sh

step "C++ suite compiled to wasm, run by Node"
source scripts/emscripten-env.sh
if [[ ! -f build/wasm-release/CMakeCache.txt ]]; then
  emcmake cmake -S . -B build/wasm-release -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build/wasm-release -j"$JOBS"
ctest --test-dir build/wasm-release --output-on-failure

step "npm package (dist/)"
node scripts/build.mjs build/wasm-release/src/bindings

step "web page (build/web, build/web-file)"
node scripts/build-web.mjs

step "JS API, models, worker, page and element in Node and Chromium (node --test)"
node --test --test-concurrency=1 tests/js/ tests/browser/
