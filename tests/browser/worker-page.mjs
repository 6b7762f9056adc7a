// The worker entry (../../dist/worker.js): scenarios, aborts, and a main
// thread that keeps ticking while a big call runs in the worker.
import { bitsOf, errorOf, report, toBits } from './harness.mjs';

/** Measures the longest gap between ticks of setInterval(…, 10) while `work()` runs. */
async function maxTimerGap(work) {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const id = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 10);
  const t0 = performance.now();
  try {
    await work();
  } finally {
    clearInterval(id);
  }
  const end = performance.now();
  return { maxGap: Math.max(maxGap, end - last), ticks, workMs: end - t0 };
}

function sameBits(a, b) {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

report(async () => {
  const [{ createWorkerEngine, AttnscopeError }, { runScenarios, SCENARIOS, randomFloats }, mainEntry] =
    await Promise.all([import('../../dist/worker.js'), import('../js/scenarios.mjs'), import('../../dist/index.js')]);
  const out = {};

  let t = performance.now();
  const engine = await createWorkerEngine();
  out.simdArch = await engine.simdArch;
  out.createMs = performance.now() - t;
  t = performance.now();
  out.bits = toBits(await runScenarios(engine));
  out.runMs = performance.now() - t;

  const n = 2048;
  const d = 64;
  const big = {
    q: randomFloats(n * d, 101),
    k: randomFloats(n * d, 102),
    v: randomFloats(n * d, 103),
    shape: { t: n, s: n, d },
  };
  const small = Object.fromEntries(SCENARIOS)['dot']();

  // An aborted queued call rejects with 'aborted'; the call ahead of it and the next one are unaffected.
  {
    const running = engine.attention(big);
    const ac = new AbortController();
    const queued = engine.attention(small, { signal: ac.signal });
    ac.abort();
    out.queuedAbort = await errorOf(() => queued, AttnscopeError);
    const r = await running;
    out.runningAheadOk = r.context.length === n * d && r.weights.length === n * n;
    out.afterQueuedAbort = bitsOf((await engine.attention(small)).context);
  }
  // A signal aborted before the call.
  out.preAborted = await errorOf(() => engine.attention(small, { signal: AbortSignal.abort() }), AttnscopeError);
  // Aborting the running call replaces the worker; the next call still gets an answer.
  {
    const ac = new AbortController();
    const running = engine.attention(big, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    t = performance.now();
    out.runningAbort = await errorOf(() => running, AttnscopeError);
    out.runningAbortMs = performance.now() - t;
    t = performance.now();
    out.afterRunningAbort = bitsOf((await engine.attention(small)).context);
    out.restartMs = performance.now() - t;
  }

  // The main thread stays responsive while three big calls run in the worker.
  let workerBig;
  const gap = await maxTimerGap(async () => {
    workerBig = await engine.attention(big);
    await engine.attention(big);
    await engine.attention(big);
  });
  out.workerGap = gap;

  // Control: the same call on the main thread blocks it for its whole duration,
  // and gives the same bits.
  const mainEngine = await mainEntry.createEngine();
  const mainGap = await maxTimerGap(async () => {
    await new Promise((r) => setTimeout(r, 15));
    const r = mainEngine.attention(big);
    out.bigSameBits = ['scores', 'weights', 'context'].every((k) => sameBits(r[k], workerBig[k]));
  });
  out.mainThreadGap = mainGap;
  mainEngine.dispose();

  engine.dispose();
  out.afterDispose = await errorOf(() => engine.attention(small), AttnscopeError);
  return out;
});
