// Deterministic calls through the public API, shared by the Node tests and the
// Chromium run (tests/browser): both must produce the same bits.
// Works with any of the entries ('.', './single-file', './worker'): every call
// is awaited, so sync and async engines both fit.

/** Mulberry32: a tiny seeded PRNG, identical in every JS engine. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomFloats(n, seed, lo = -1, hi = 1) {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

function attentionInput(scoring, t, s, d, seed, extra = {}) {
  const dk = scoring === 'general' || scoring === 'additive' ? d + 1 : d;
  const dv = d + 2;
  const hidden = 6;
  const params =
    scoring === 'general'
      ? { W: randomFloats(d * dk, seed + 3) }
      : scoring === 'additive'
        ? {
            W1: randomFloats(hidden * d, seed + 4),
            W2: randomFloats(hidden * dk, seed + 5),
            v: randomFloats(hidden, seed + 6),
            b1: randomFloats(hidden, seed + 7),
          }
        : undefined;
  return {
    q: randomFloats(t * d, seed),
    k: randomFloats(s * dk, seed + 1),
    v: randomFloats(s * dv, seed + 2),
    shape: { t, s, d, dk, dv },
    scoring,
    params,
    ...extra,
  };
}

export function multiHeadInput(t, s, dModel, heads, seed, extra = {}) {
  const n = dModel * dModel;
  return {
    query: randomFloats(t * dModel, seed),
    key: randomFloats(s * dModel, seed + 1),
    value: randomFloats(s * dModel, seed + 2),
    shape: { t, s, dModel, heads },
    weights: {
      wq: randomFloats(n, seed + 3),
      wk: randomFloats(n, seed + 4),
      wv: randomFloats(n, seed + 5),
      wo: randomFloats(n, seed + 6),
      bq: randomFloats(dModel, seed + 7),
      bo: randomFloats(dModel, seed + 8),
    },
    ...extra,
  };
}

/** The scenarios: name -> input builder. */
export const SCENARIOS = [
  ['dot', () => attentionInput('dot', 5, 7, 4, 1)],
  ['scaled_dot causal', () => attentionInput('scaled_dot', 17, 17, 16, 2, { mask: { causal: true } })],
  [
    'scaled_dot padding',
    () => attentionInput('scaled_dot', 3, 9, 5, 3, { mask: { keyPadding: [0, 1, 0, 0, 1, 0, 0, 0, 1] } }),
  ],
  ['general temperature', () => attentionInput('general', 6, 4, 3, 4, { temperature: 0.5 })],
  ['additive causal cache', () => attentionInput('additive', 2, 65, 8, 5, { mask: { causal: true } })],
  ['large inputs', () => attentionInput('scaled_dot', 4, 4, 64, 6)],
  ['mha self causal', () => multiHeadInput(9, 9, 16, 4, 7, { mask: { causal: true } })],
  ['mha cross', () => multiHeadInput(3, 11, 12, 3, 8)],
];

/** Runs every scenario on `engine`; returns name -> { key: number[] }. */
export async function runScenarios(engine) {
  const out = {};
  for (const [name, make] of SCENARIOS) {
    const input = make();
    const r = name.startsWith('mha') ? await engine.multiHeadAttention(input) : await engine.attention(input);
    out[name] = Object.fromEntries(
      Object.entries(r)
        .filter(([, v]) => v instanceof Float32Array)
        .map(([k, v]) => [k, Array.from(v)]),
    );
  }
  return out;
}

/** Bit-exact comparison of two runScenarios results; returns a list of differences. */
export function diffResults(a, b) {
  const diffs = [];
  for (const name of Object.keys(a)) {
    for (const key of Object.keys(a[name])) {
      const x = a[name][key];
      const y = b[name]?.[key];
      if (!y || x.length !== y.length) {
        diffs.push(`${name}.${key}: length ${x.length} vs ${y?.length}`);
        continue;
      }
      const bx = new Uint32Array(new Float32Array(x).buffer);
      const by = new Uint32Array(new Float32Array(y).buffer);
      for (let i = 0; i < bx.length; i++)
        if (bx[i] !== by[i]) {
          diffs.push(`${name}.${key}[${i}]: ${x[i]} vs ${y[i]}`);
          break;
        }
    }
  }
  return diffs;
}
