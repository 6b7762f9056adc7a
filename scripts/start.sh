#!/usr/bin/env bash
# npm start: installs and builds what is missing, then serves the page on
# http://127.0.0.1:$PORT/ (default 8080).
#   1. scripts/setup.sh            toolchains and npm packages (fast when present)
#   2. scripts/build.sh            the wasm + dist/, when dist/ is missing or older than src/
#   3. scripts/build-web.mjs       build/web (served) and build/web-file (file:// copy),
#                                  when missing or older than web/, dist/ or the models
#   4. scripts/serve.mjs           the static server (strict Content-Security-Policy)
# ATTNSCOPE_WEB_MODELS=fixtures npm start   uses the test fixtures as default models.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

# newer <stamp> <paths...>: true if any file under the paths is newer than stamp.
newer() {
  local stamp=$1; shift
  [[ -n "$(find "$@" -type f -newer "$stamp" -print -quit 2>/dev/null)" ]]
}

if [[ ! -f dist/index.js || ! -f dist/attnscope.wasm || ! -f dist/attnscope.relaxed.wasm ]] || newer dist/index.js src CMakeLists.txt; then
  echo "start: building the engine (dist/)"
  bash scripts/build.sh
fi

stamp=build/web/build-info.json
models=(models build/fixtures)
if [[ ! -f $stamp ]] || newer "$stamp" web dist scripts/build-web.mjs "${models[@]}" \
   || [[ "$(sed -n 's/.*"modelSet": *"\([a-z]*\)".*/\1/p' "$stamp")" != "${ATTNSCOPE_WEB_MODELS:-trained}" ]]; then
  echo "start: building the page (build/web, build/web-file)"
  node scripts/build-web.mjs
fi

echo "start: a copy that opens from disk: file://$ROOT/build/web-file/index.html"
exec node scripts/serve.mjs build/web
