# Sourced by the build scripts: makes emcc usable and checks its version.
# Debian's emscripten needs Debian's node modules (acorn); an emsdk does not.
if [[ -d /usr/share/nodejs ]]; then
  export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
fi
if ! command -v emcc >/dev/null 2>&1; then
  echo "emcc not found: install emscripten (scripts/setup.sh does on Debian) or activate an emsdk" >&2
  exit 1
fi
_emcc_version="$(emcc -dumpversion 2>/dev/null || true)"
if [[ -z "$_emcc_version" ]] || [[ "$(printf '%s\n' 3.1.6 "$_emcc_version" | sort -V | head -1)" != 3.1.6 ]]; then
  echo "emcc ${_emcc_version:-(unknown)} found; attnscope needs emcc >= 3.1.6" >&2
  exit 1
fi
