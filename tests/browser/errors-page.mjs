// Errors in the browser: every failure is an AttnscopeError with its code, and
// the engine keeps working after a rejected input.
import { errorOf, params, report, toBits } from './harness.mjs';

const ENTRIES = {
  main: ['../../dist/index.js', 'createEngine'],
  single: ['../../dist/attnscope.single.js', 'createEngine'],
  worker: ['../../dist/worker.js', 'createWorkerEngine'],
};

report(async () => {
  const entry = params.get('entry') ?? 'main';
  if (!ENTRIES[entry]) throw new Error(`unknown entry ${entry}`);
  const [spec, factory] = ENTRIES[entry];
  const [api, { SCENARIOS, runScenarios }] = await Promise.all([import(spec), import('../js/scenarios.mjs')]);
  const { AttnscopeError } = api;
  const engine = await api[factory]();
  const make = Object.fromEntries(SCENARIOS);
  const out = { entry, simdArch: await engine.simdArch };

  // NaN in q, then the same engine computes correctly.
  const nanInput = make['dot']();
  nanInput.q[3] = NaN;
  out.nan = await errorOf(() => engine.attention(nanInput), AttnscopeError);
  const infInput = make['mha cross']();
  infInput.weights.wk[5] = Infinity;
  out.infMha = await errorOf(() => engine.multiHeadAttention(infInput), AttnscopeError);
  out.afterNan = toBits(await runScenarios(engine));

  // Shape mismatches: a short q, and heads that do not divide dModel.
  const short = make['dot']();
  short.q = short.q.subarray(1);
  out.shortQ = await errorOf(() => engine.attention(short), AttnscopeError);
  const badHeads = make['mha cross']();
  badHeads.shape = { ...badHeads.shape, heads: 5 };
  out.badHeads = await errorOf(() => engine.multiHeadAttention(badHeads), AttnscopeError);
  out.invalid = await errorOf(() => engine.attention({ ...make['dot'](), scoring: 'cosine' }), AttnscopeError);

  // Still fine after those.
  out.afterMismatch = toBits(await runScenarios(engine));

  engine.dispose();
  engine.dispose(); // idempotent
  out.disposed = await errorOf(() => engine.attention(make['dot']()), AttnscopeError);
  out.disposedMha = await errorOf(() => engine.multiHeadAttention(make['mha cross']()), AttnscopeError);
  return out;
});
