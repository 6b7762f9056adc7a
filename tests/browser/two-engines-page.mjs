// Two engines from the main entry on one page: both compute, they are
// independent (disposing one leaves the other working), and the second
// creation is quick (the compiled module is reused).
import { errorOf, report, toBits } from './harness.mjs';

report(async () => {
  const [api, { runScenarios }] = await Promise.all([import('../../dist/index.js'), import('../js/scenarios.mjs')]);
  const out = {};
  let t = performance.now();
  const a = await api.createEngine();
  out.firstMs = performance.now() - t;
  t = performance.now();
  const b = await api.createEngine();
  out.secondMs = performance.now() - t;
  t = performance.now();
  const c = await api.createEngine();
  out.thirdMs = performance.now() - t;
  c.dispose();

  out.simdArch = a.simdArch;
  out.distinct = a !== b;
  // Interleave the calls so shared state, if any, would show.
  const [ra, rb] = await Promise.all([runScenarios(a), runScenarios(b)]);
  out.a = toBits(ra);
  out.b = toBits(rb);
  const heapA = a.memory();
  a.dispose();
  out.aDisposed = a.disposed;
  out.bDisposedAfterA = b.disposed;
  out.aCall = await errorOf(
    () => a.attention({ q: [1], k: [1], v: [1], shape: { t: 1, s: 1, d: 1 } }),
    api.AttnscopeError,
  );
  out.bAfter = toBits(await runScenarios(b));
  out.heaps = { a: heapA, b: b.memory() };
  b.dispose();
  return out;
});
