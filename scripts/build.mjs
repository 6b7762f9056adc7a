// Assembles dist/ from the Emscripten output and src/js:
//   index.js + attnscope.mjs + attnscope.wasm   the '.' entry (wasm beside it)
//   attnscope.single.js                         './single-file': one ES module, wasm inlined
//   attnscope.global.js                         './global': the same as a classic script (file:// pages)
//   worker.js + worker-main.js                  './worker'
//   attnscope.relaxed.wasm                      the relaxed-SIMD build, same glue
// Usage: node scripts/build.mjs <dir holding attnscope.mjs and attnscope.wasm> <the relaxed build's dir>
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const [wasmDir, relaxedDir] = process.argv.slice(2);
if (!wasmDir || !relaxedDir)
  throw new Error('usage: node scripts/build.mjs <emscripten output dir> <relaxed build dir>');
// One glue for both: the builds differ only inside function bodies.
if (!readFileSync(join(wasmDir, 'attnscope.mjs')).equals(readFileSync(join(relaxedDir, 'attnscope.mjs'))))
  throw new Error(`${wasmDir}/attnscope.mjs and ${relaxedDir}/attnscope.mjs differ: the two wasm builds need one glue`);
const dist = 'dist';

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
copyFileSync(join(wasmDir, 'attnscope.mjs'), join(dist, 'attnscope.mjs'));
copyFileSync(join(wasmDir, 'attnscope.wasm'), join(dist, 'attnscope.wasm'));
const relaxed = readFileSync(join(relaxedDir, 'attnscope.wasm'));
writeFileSync(join(dist, 'attnscope.relaxed.wasm'), relaxed);
copyFileSync('src/js/attnscope.d.mts', join(dist, 'attnscope.d.mts'));

// The single-file entry: inline the wasm as base64 and bundle everything.
const wasm = readFileSync(join(dist, 'attnscope.wasm'));
writeFileSync(join(dist, 'attnscope.wasm.b64.js'), `export default ${JSON.stringify(wasm.toString('base64'))};\n`);
await build({
  entryPoints: [join(dist, 'single-file.js')],
  outfile: join(dist, 'attnscope.single.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  external: ['node:*'],
  legalComments: 'inline',
  logLevel: 'warning',
});
// The same as a classic script defining globalThis.attnscope, for pages opened
// from file://, where browsers refuse to load ES modules.
await build({
  entryPoints: [join(dist, 'single-file.js')],
  outfile: join(dist, 'attnscope.global.js'),
  bundle: true,
  format: 'iife',
  globalName: 'attnscope',
  platform: 'browser',
  external: ['node:*'],
  define: { 'import.meta.url': 'undefined' },
  legalComments: 'inline',
  logLevel: 'warning',
});
// Bundled into attnscope.single.js and attnscope.global.js; the types stay as single-file.d.ts.
rmSync(join(dist, 'single-file.js'));
rmSync(join(dist, 'attnscope.wasm.b64.js'));
console.log(`dist: attnscope.wasm ${wasm.length} B, attnscope.relaxed.wasm ${relaxed.length} B`);
