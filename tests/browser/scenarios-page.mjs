// runScenarios() through a main-thread entry, chosen by ?entry=:
//   main    ../../dist/index.js              (fetches attnscope.wasm beside it)
//   single  ../../dist/attnscope.single.js   (wasm inlined)
// and ?simd= (auto, relaxed, simd128) for createEngine.
import { params, report, toBits } from './harness.mjs';

const ENTRIES = {
  main: '../../dist/index.js',
  single: '../../dist/attnscope.single.js',
};

report(async () => {
  const entry = params.get('entry');
  if (!ENTRIES[entry]) throw new Error(`unknown entry ${entry}`);
  const t0 = performance.now();
  const [api, { runScenarios }] = await Promise.all([import(ENTRIES[entry]), import('../js/scenarios.mjs')]);
  const t1 = performance.now();
  const simd = params.get('simd');
  const engine = await api.createEngine(simd ? { simd } : {});
  const t2 = performance.now();
  const results = await runScenarios(engine);
  const t3 = performance.now();
  const out = {
    entry,
    simdArch: engine.simdArch,
    bits: toBits(results),
    memory: engine.memory(),
    importMs: t1 - t0,
    createMs: t2 - t1,
    runMs: t3 - t2,
  };
  engine.dispose();
  return out;
});
