#!/usr/bin/env bash
# Installs what attnscope's build and tests need on Debian 12, idempotently.
# Fast path: when everything is present it only checks and exits (well under 5 s).
#   scripts/setup.sh            toolchain + headers + npm packages
#   scripts/setup.sh --no-npm   skip `npm ci` (used by scripts that only build C++)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.deps"                  # ignored folder: header-only C++ deps
PREFIX="$DEPS/root/usr"             # xsimd / xtensor / xtl land in $PREFIX/include
want_npm=1
[[ "${1:-}" == "--no-npm" ]] && want_npm=0

# Debian packages this project needs, keyed by a file each one provides.
declare -A APT=(
  [cmake]=/usr/bin/cmake
  [g++]=/usr/bin/g++
  [emscripten]=/usr/bin/emcc
  [python3-torch]=/usr/lib/python3/dist-packages/torch/__init__.py
  [python3-numpy]=/usr/lib/python3/dist-packages/numpy/__init__.py
  [chromium]=/usr/bin/chromium
  [libgtest-dev]=/usr/include/gtest/gtest.h
  [clang-14]=/usr/bin/clang++-14
  [libclang-rt-14-dev]=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
  [fonts-noto-cjk]=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
)
missing=()
for pkg in "${!APT[@]}"; do
  [[ -e "${APT[$pkg]}" ]] || missing+=("$pkg")
done
# emcc needs node modules from Debian's folder (the machine's node is not Debian's).
command -v emcc >/dev/null 2>&1 || [[ " ${missing[*]} " == *" emscripten "* ]] || missing+=(emscripten)

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else
    echo "setup: missing: $*" >&2
    echo "setup: run as root:  sudo $ROOT/scripts/setup.sh" >&2
    exit 1
  fi
}

if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: not root. Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Header-only xsimd 13.2 / xtensor 0.25 / xtl 0.7.7 from Debian trixie, unpacked into .deps
# without touching the system. Same mirror and key as the machine's own apt sources.
if [[ ! -f "$PREFIX/include/xsimd/xsimd.hpp" || ! -f "$PREFIX/include/xtensor/xtensor.hpp" \
      || ! -f "$PREFIX/include/xtl/xtl_config.hpp" ]]; then
  echo "setup: fetching xsimd/xtensor/xtl headers (Debian trixie) into $DEPS"
  src=/etc/apt/sources.list.d/debian.sources
  [[ -f $src ]] || { echo "setup: $src not found; install xsimd>=13, xtensor>=0.25 yourself" >&2; exit 1; }
  rm -rf "$DEPS/dl" && mkdir -p "$DEPS/dl/lists/partial" "$DEPS/dl/cache/archives/partial" "$DEPS/dl/parts"
  sed -E 's/^Suites:.*/Suites: trixie/' "$src" | awk 'BEGIN{RS="";ORS="\n\n"} NR==1' >"$DEPS/dl/parts/trixie.sources"
  o=(-oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts="$DEPS/dl/parts"
     -oDir::State::Lists="$DEPS/dl/lists" -oDir::Cache="$DEPS/dl/cache" -oAPT::Sandbox::User=root)
  apt-get "${o[@]}" update -qq
  (cd "$DEPS/dl" && apt-get "${o[@]}" download libxsimd-dev xtl-dev libxtensor-dev nlohmann-json3-dev >/dev/null)
  for f in "$DEPS"/dl/*.deb; do dpkg -x "$f" "$DEPS/root"; done
  rm -rf "$DEPS/dl"
fi

if ((want_npm)); then
  stamp="$ROOT/node_modules/.attnscope-stamp"
  if [[ ! -f $stamp || "$ROOT/package-lock.json" -nt $stamp ]]; then
    echo "setup: npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
fi
