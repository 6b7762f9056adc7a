// The engine's download size, as the size budget counts it: attnscope.wasm
// plus the main entry's JS bundled and minified, raw and gzip -9. Used by the
// package test (the budget) and the benchmark report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export async function engineSize(distDir) {
  const bundled = await build({
    entryPoints: [join(distDir, 'index.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    external: ['node:*'],
    write: false,
    logLevel: 'silent',
  });
  const wasm = readFileSync(join(distDir, 'attnscope.wasm'));
  const js = bundled.outputFiles[0].contents;
  const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
  const size = { wasm: wasm.length, wasmGzip: gz(wasm), js: js.length, jsGzip: gz(js) };
  return { ...size, totalGzip: size.wasmGzip + size.jsGzip };
}
