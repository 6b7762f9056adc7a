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

source scripts/emscripten-env.sh
for variant in "" "-relaxed"; do
  step "C++ suite compiled to wasm${variant:+ (relaxed SIMD)}, run by Node"
  dir="build/wasm-release$variant"
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    emcmake cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release \
      -DATTNSCOPE_WASM_RELAXED_SIMD="$([[ -n $variant ]] && echo ON || echo OFF)" >/dev/null
  fi
  cmake --build "$dir" -j"$JOBS"
  ctest --test-dir "$dir" --output-on-failure
done

step "npm package (dist/)"
node scripts/build.mjs build/wasm-release/src/bindings build/wasm-release-relaxed/src/bindings

step "web page (build/web, build/web-file)"
node scripts/build-web.mjs

step "JS API, models, worker, page and element in Node and Chromium (node --test)"
node --test --test-concurrency=1 tests/js/ tests/browser/
