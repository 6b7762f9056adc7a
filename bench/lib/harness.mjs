// Timing: every contender of a case in one process, warmed up, then measured
// in alternating rounds (the order rotates each round), so a noisy neighbour
// or a frequency change hits all of them alike. Works in Node and in the page.

export function summarize(times) {
  const t = [...times].sort((a, b) => a - b);
  const q = (f) => t[Math.round(f * (t.length - 1))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: t[0], max: t[t.length - 1], runs: t.length };
}

/** Largest absolute difference of two arrays (NaN-safe: NaN counts as Infinity). */
export function maxAbsDiff(a, b) {
  if (!a || !b || a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/**
 * Measures one case.
 *   contenders: [{ name, setup: async () => instance }] where instance is
 *     { run(): void | Promise, before?(): void | Promise (untimed, before each call),
 *       activate?(): Promise (untimed, before each timed batch), outputs?(): { [key]: Float32Array },
 *       dispose?() }
 *   options: { runs, warmup, minRunMs, slowMs, now, log, reference (name whose outputs the others are checked against) }
 * Returns { [name]: { stats, reps, diff, error?, skipped?, firstMs } }.
 */
export async function measureCase(contenders, options) {
  const { runs = 20, warmup = 2, minRunMs = 5, slowMs = 2500, now = () => performance.now(), log = () => {} } = options;
  const live = [];
  const out = {};
  for (const c of contenders) {
    try {
      const inst = await c.setup();
      live.push({ c, inst });
    } catch (err) {
      out[c.name] = { error: String(err?.message ?? err).split('\n')[0] };
      log(`  ${c.name}: setup failed: ${out[c.name].error}`);
    }
  }
  // Warm-up (compiles, tier-up to optimised code, allocator and caches), then
  // the batch size: enough calls that one timed batch lasts >= minRunMs.
  for (const l of live) {
    try {
      await l.inst.activate?.();
      let first = 0;
      for (let i = 0; i < warmup; i++) {
        await l.inst.before?.();
        const t0 = now();
        await l.inst.run();
        first = now() - t0;
        if (first > slowMs) break; // too slow to time: one call is all it gets
      }
      l.firstMs = first;
      if (first > slowMs) {
        l.skipped = `one call took ${(first / 1000).toFixed(1)} s; not timed (time budget)`;
        continue;
      }
      l.reps = l.inst.before ? Math.max(1, Math.ceil(minRunMs / Math.max(first, 0.001))) : 1;
      if (!l.inst.before && first < minRunMs) {
        // Calibrate on a batch: single calls may be below the timer's resolution.
        let reps = 1;
        for (;;) {
          const t0 = now();
          for (let r = 0; r < reps; r++) await l.inst.run();
          const dt = now() - t0;
          if (dt >= minRunMs || reps >= 100000) break;
          reps = dt <= 0 ? reps * 10 : Math.max(reps + 1, Math.ceil((reps * minRunMs * 1.2) / dt));
        }
        l.reps = reps;
      }
    } catch (err) {
      l.error = String(err?.message ?? err).split('\n')[0];
      log(`  ${l.c.name}: failed: ${l.error}`);
    }
  }
  // Outputs against the reference contender's.
  const ref = live.find((l) => l.c.name === options.reference && !l.error);
  const refOut = ref?.inst.outputs?.();
  for (const l of live) {
    if (l.error || !refOut || l === ref) continue;
    const o = l.inst.outputs?.();
    if (!o) continue;
    let d = 0;
    for (const key of Object.keys(refOut)) if (o[key]) d = Math.max(d, maxAbsDiff(refOut[key], o[key]));
    l.diff = d;
  }
  const active = live.filter((l) => !l.error && !l.skipped);
  const times = new Map(active.map((l) => [l, []]));
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < active.length; i++) {
      const l = active[(i + round) % active.length];
      await l.inst.activate?.();
      let dt;
      if (l.inst.before) {
        dt = 0;
        for (let r = 0; r < l.reps; r++) {
          await l.inst.before();
          const t0 = now();
          await l.inst.run();
          dt += now() - t0;
        }
      } else {
        const t0 = now();
        for (let r = 0; r < l.reps; r++) await l.inst.run();
        dt = now() - t0;
      }
      times.get(l).push(dt / l.reps);
    }
  }
  for (const l of live) {
    const r = { reps: l.reps, firstMs: l.firstMs, diff: l.diff };
    if (l.error) r.error = l.error;
    else if (l.skipped) r.skipped = l.skipped;
    else r.stats = summarize(times.get(l));
    out[l.c.name] = r;
    try {
      l.inst.dispose?.();
    } catch {
      /* best effort */
    }
  }
  return out;
}
