// The engine's download size, as the size budget counts it: the wasm a
// runtime loads (attnscope.wasm, or attnscope.relaxed.wasm where it has relaxed
// SIMD: the larger of the two counts) plus the main entry's JS bundled and
// minified, raw and gzip -9. Used by the package test (the budget) and the
// benchmark report.
import { existsSync, readFileSync } from 'node:fs';
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
  const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
  const wasm = readFileSync(join(distDir, 'attnscope.wasm'));
  // (A --baseline package from before the relaxed build has none.)
  const relaxedPath = join(distDir, 'attnscope.relaxed.wasm');
  const relaxed = existsSync(relaxedPath) ? readFileSync(relaxedPath) : wasm;
  const js = bundled.outputFiles[0].contents;
  const size = {
    wasm: wasm.length,
    wasmGzip: gz(wasm),
    relaxedWasm: relaxed.length,
    relaxedWasmGzip: gz(relaxed),
    js: js.length,
    jsGzip: gz(js),
  };
  return { ...size, totalGzip: Math.max(size.wasmGzip, size.relaxedWasmGzip) + size.jsGzip };
}
