#!/usr/bin/env bash
# Trains the two attnscope tiny models from scratch and writes them to models/.
#
#   bash tools/train/train.sh            # everything: corpus, tokenizer, both models, export, card
#   bash tools/train/train.sh corpus tokenizer scaled_dot additive card   # any subset, in this order
#
# Not part of `npm test` (it takes ~40 minutes on one core). Needs Debian's
# /usr/bin/python3 with python3-torch and python3-numpy; the corpus packages are
# installed by prepare_corpus.py (as root; otherwise it prints the apt-get command).
# Settings: tools/train/README.md. Logs: build/train/<model>/train.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
STAGES=("$@")
[[ ${#STAGES[@]} -eq 0 ]] && STAGES=(corpus tokenizer scaled_dot additive card)
want() { local s; for s in "${STAGES[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }
step() { printf '\n=== %s (%s) ===\n' "$*" "$(date -u +%H:%M:%S)"; }

# One thread everywhere (the machine is shared), the same for both models.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# Large temporaries are reused instead of being mapped and faulted in again at every step.
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296

# Debian's python3-torch calls the BLAS behind libblas.so.3; the reference BLAS
# (the default alternative) is ~10x slower than OpenBLAS. Unless the system
# already uses OpenBLAS, unpack Debian's libopenblas0-openmp into build/blas and
# put it first on LD_LIBRARY_PATH for our processes only (the system is untouched).
use_openblas() {
  if readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null | grep -q openblas; then
    export ATTNSCOPE_BLAS="system OpenBLAS"
    return
  fi
  local dir=build/blas/root/usr/lib/x86_64-linux-gnu/openblas-openmp
  if [[ ! -f $dir/libblas.so.3 || ! -f build/blas/VERSION ]]; then
    rm -rf build/blas && mkdir -p build/blas
    if (cd build/blas && apt-get download libopenblas0-openmp >/dev/null 2>&1); then
      dpkg -x build/blas/libopenblas0-openmp_*.deb build/blas/root
      dpkg-deb -f build/blas/libopenblas0-openmp_*.deb Version > build/blas/VERSION
    else
      echo "note: could not download libopenblas0-openmp; training with the system BLAS (slow)" >&2
      export ATTNSCOPE_BLAS="system libblas.so.3"
      return
    fi
  fi
  export LD_LIBRARY_PATH="$ROOT/$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export ATTNSCOPE_BLAS="OpenBLAS $(cat build/blas/VERSION) (Debian libopenblas0-openmp, unpacked in build/blas)"
}

if want corpus; then
  step corpus
  $PY tools/train/prepare_corpus.py
fi
if want tokenizer; then
  step tokenizer
  $PY tools/train/bpe.py --self-test
  $PY tools/train/bpe.py --corpus build/corpus --vocab-size 2560 --out build/tokenizer
fi
for scoring in scaled_dot additive; do
  want $scoring || continue
  name="attnscope-tiny-${scoring//_/-}"
  step "train $name"
  use_openblas
  mkdir -p "build/train/$name"
  # Every setting is the train.py default (tools/train/README.md); only --scoring differs.
  $PY tools/train/train.py --scoring "$scoring" --out "build/train/$name" 2>&1 | tee "build/train/$name/train.log"
  $PY tools/train/export.py "build/train/$name" "models/$name"
  # 8-bit weights, one scale per row: half the download; the validation loss of both is recorded.
  $PY tools/train/quantize.py "models/$name" --checkpoint "build/train/$name"
done
if want card; then
  step "head analysis and MODEL_CARD.md"
  $PY tools/train/make_card.py
fi
