#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.cpp, clang + ASan/UBSan) in
# build/fuzz and runs each for N seconds on a scratch copy of its seed corpus
# plus its saved crashers. Any crash fails the script; its input is saved in
# tests/fuzz/regressions/<target>/, which the GoogleTest suite replays
# (tests/cpp/fuzz_regressions_test.cpp): fix the bug, then check it in.
#
#   scripts/fuzz.sh [seconds] [target...]   seconds: $ATTNSCOPE_FUZZ_SECONDS or 60
#   env: ATTNSCOPE_FUZZ_BUILD (build dir), ATTNSCOPE_FUZZ_JOBS (default 2), ATTNSCOPE_FUZZ_CC/_CXX (clang-14/clang++-14)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECS="${1:-${ATTNSCOPE_FUZZ_SECONDS:-60}}"
shift || true
BUILD="${ATTNSCOPE_FUZZ_BUILD:-$ROOT/build/fuzz}"
JOBS="${ATTNSCOPE_FUZZ_JOBS:-2}"

# -max_len per target; a new tests/fuzz/fuzz_*.cpp is picked up by itself and
# needs a line here only if the default does not suit it.
declare -A MAX_LEN=(
  [fuzz_json]=4096
  [fuzz_safetensors]=8192
  [fuzz_tokenizer_json]=16384
)
DEFAULT_MAX_LEN=4096

if [[ $# -gt 0 ]]; then
  TARGETS=("$@")
else
  TARGETS=()
  for f in tests/fuzz/fuzz_*.cpp; do TARGETS+=("$(basename "$f" .cpp)"); done
fi

CC="${ATTNSCOPE_FUZZ_CC:-clang-14}" CXX="${ATTNSCOPE_FUZZ_CXX:-clang++-14}" cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DATTNSCOPE_FUZZ=ON -DATTNSCOPE_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target "${TARGETS[@]}"

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  work="$BUILD/work/$t"
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
  [[ -d tests/fuzz/corpus/$t ]] && cp -R "tests/fuzz/corpus/$t/." "$work/corpus/"
  regressions="tests/fuzz/regressions/$t"
  args=(-max_total_time="$SECS" -max_len="${MAX_LEN[$t]:-$DEFAULT_MAX_LEN}" -timeout=10 -rss_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$work/artifacts/")
  [[ -f tests/fuzz/dict/$t.dict ]] && args+=(-dict="tests/fuzz/dict/$t.dict")
  corpora=("$work/corpus")  # new inputs go to the first directory only
  [[ -d $regressions ]] && corpora+=("$regressions")
  echo "=== $t: ${SECS}s ==="
  status=0
  "$BUILD/tests/fuzz/$t" "${args[@]}" "${corpora[@]}" >"$work/log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)"
  summary+=("$(printf '%-24s runs %-12s exec/s %-8s exit %s' "$t" "${runs:-?}" "${rate:-?}" "$status")")
  crashers=("$work"/artifacts/*)
  if [[ $status -ne 0 || -e ${crashers[0]} ]]; then
    failed+=("$t")
    tail -60 "$work/log"
    if [[ -e ${crashers[0]} ]]; then
      mkdir -p "$regressions"
      cp "${crashers[@]}" "$regressions/"
      echo "saved $(basename -a "${crashers[@]}" | tr '\n' ' ')to $regressions/"
    fi
  fi
done

echo; printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]} (logs in $BUILD/work/<target>/log)" >&2
  exit 1
fi
echo "no crashes"
