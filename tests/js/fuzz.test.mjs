// Random shapes, values and types thrown at the API: every call either returns
// a well-formed result or throws an AttnscopeError, never anything else, and
// never breaks the engine (a wasm abort would poison every later call).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttnscopeError, createEngine } from '../../dist/index.js';
import { rng } from './scenarios.mjs';

const engine = await createEngine();
const ITERATIONS = Number(process.env.ATTNSCOPE_FUZZ_ITERATIONS ?? 3000);

function fuzzer(seed) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const weird = () => pick([0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 1e300, '3', null, undefined, {}, [], true]);
  const size = () => (r() < 0.97 ? int(1, 12) : weird());
  const scale = () => pick([1, 1, 1, 10, 1e4, 1e20]);
  const floats = (n) => {
    if (r() < 0.01) return weird();
    const len = Number.isSafeInteger(n) && n >= 0 && n < 1e4 ? n + (r() < 0.02 ? int(-2, 2) : 0) : int(0, 20);
    const out = r() < 0.8 ? new Float32Array(Math.max(0, len)) : new Array(Math.max(0, len)).fill(0);
    const k = scale();
    for (let i = 0; i < out.length; i++) out[i] = (r() - 0.5) * k;
    if (out.length && r() < 0.02) out[int(0, out.length - 1)] = pick([NaN, Infinity, -Infinity]);
    if (Array.isArray(out) && r() < 0.02 && out.length) out[0] = weird();
    return out;
  };
  return { r, pick, int, weird, size, floats };
}

function outArray(f, n) {
  if (f.r() < 0.05) return f.weird();
  const len = Number.isSafeInteger(n) && n >= 0 && n < 1e4 ? n + (f.r() < 0.1 ? f.int(-2, 2) : 0) : f.int(0, 20);
  return new Float32Array(Math.max(0, len));
}

function randomAttention(f) {
  const t = f.size(),
    s = f.size(),
    d = f.size();
  const dk = f.r() < 0.7 ? d : f.size();
  const dv = f.r() < 0.7 ? dk : f.size();
  const scoring = f.r() < 0.97 ? f.pick(['dot', 'scaled_dot', 'general', 'additive', undefined]) : f.pick(['nope', 7]);
  const hidden = f.int(1, 6);
  const input = {
    q: f.floats(t * d),
    k: f.floats(s * dk),
    v: f.floats(s * dv),
    shape: f.r() < 0.97 ? { t, s, d, dk, dv } : f.weird(),
    scoring,
    temperature: f.r() < 0.8 ? undefined : f.pick([0.5, 2, 0.01, 100, 1e-7, 0, -1, NaN, '1']),
    mask:
      f.r() < 0.5
        ? undefined
        : { causal: f.r() < 0.97 ? f.r() < 0.5 : f.weird(), keyPadding: f.r() < 0.5 ? undefined : f.floats(s) },
    params: {
      W: f.floats(d * dk),
      W1: f.floats(hidden * d),
      W2: f.floats(hidden * dk),
      v: f.floats(hidden),
      b1: f.r() < 0.5 ? undefined : f.floats(hidden),
      hidden: f.r() < 0.97 ? undefined : f.weird(),
    },
    // Result arrays of the right length, mostly; sometimes not, or not arrays.
    out:
      f.r() < 0.85
        ? undefined
        : f.r() < 0.05
          ? f.weird()
          : {
              weights: f.r() < 0.7 ? outArray(f, t * s) : undefined,
              context: f.r() < 0.7 ? outArray(f, t * dv) : undefined,
            },
  };
  return f.r() < 0.02 ? f.weird() : input;
}

function randomMultiHead(f) {
  const heads = f.r() < 0.97 ? f.int(1, 4) : f.weird();
  const dModel = f.r() < 0.8 && Number.isInteger(heads) ? heads * f.int(1, 4) : f.size();
  const t = f.size(),
    s = f.r() < 0.5 ? undefined : f.size();
  const n = dModel * dModel;
  return {
    query: f.floats(t * dModel),
    key: s === undefined ? undefined : f.floats(s * dModel),
    value: s === undefined ? undefined : f.floats(s * dModel),
    shape: { t, s, dModel, heads },
    weights: {
      wq: f.floats(n),
      wk: f.floats(n),
      wv: f.floats(n),
      wo: f.floats(n),
      bq: f.r() < 0.5 ? undefined : f.floats(dModel),
    },
    scoring: f.pick(['scaled_dot', 'dot', 'additive', 'general']),
    params: {
      W: f.floats(n / (Number.isInteger(heads) && heads > 0 ? heads : 1)),
      W1: f.floats(8),
      W2: f.floats(8),
      v: f.floats(4),
    },
    mask: { causal: f.r() < 0.5 },
  };
}

test(`fuzz: ${ITERATIONS} random calls give results or AttnscopeErrors`, () => {
  const f = fuzzer(20261124);
  const codes = new Map();
  let ok = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const mha = f.r() < 0.3;
    const input = mha ? randomMultiHead(f) : randomAttention(f);
    try {
      const r = mha ? engine.multiHeadAttention(input) : engine.attention(input);
      ok++;
      for (const key of ['weights', 'context'])
        if (input.out?.[key] instanceof Float32Array) assert.equal(r[key], input.out[key], `out.${key} in call ${i}`);
      for (const w of r.weights) assert.ok(Number.isFinite(w) && w >= 0 && w <= 1, `weight ${w} in call ${i}`);
    } catch (err) {
      if (!(err instanceof AttnscopeError))
        throw new Error(`call ${i} threw a non-AttnscopeError: ${err?.stack ?? err}`);
      assert.notEqual(err.code, 'internal', `call ${i}: ${err.message}`);
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    }
  }
  // The engine still works after everything above.
  const r = engine.attention({ q: [1, 0], k: [1, 0, 0, 1], v: [1, 2, 3, 4], shape: { t: 1, s: 2, d: 2 } });
  assert.equal(r.weights.length, 2);
  console.log(`fuzz: ${ok} results, errors by code: ${JSON.stringify(Object.fromEntries(codes))}`);
  assert.ok(ok > ITERATIONS / 4, `the fuzzer should reach the compute path often (${ok} of ${ITERATIONS})`);
});
