// The public API in Node: every op against a JS reference, defaults, errors
// as AttnscopeError with the engine still working after, dispose.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AttnscopeError, createEngine, relaxedSimdSupported } from '../../dist/index.js';
import * as single from '../../dist/attnscope.single.js';
import { SCENARIOS, randomFloats, runScenarios } from './scenarios.mjs';
import { assertClose, referenceAttention } from './reference.mjs';

const engine = await createEngine();

function expectError(fn, code, pattern) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof AttnscopeError, `expected AttnscopeError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe('attention', () => {
  test('runs on the wasm SIMD arch', () => assert.equal(engine.simdArch, 'wasm'));

  for (const [name, make] of SCENARIOS.filter(([n]) => !n.startsWith('mha'))) {
    test(`${name} matches the JS reference`, () => {
      const input = make();
      const r = engine.attention(input);
      const ref = referenceAttention(input);
      assertClose(assert, r.weights, ref.weights, 1e-5, 'weights');
      assertClose(assert, r.context, ref.context, 1e-5, 'context');
      assert.deepEqual(r.shape, { heads: 1, t: input.shape.t, s: input.shape.s, dv: input.shape.dv });
      assert.ok(
        r.weights instanceof Float32Array && r.context instanceof Float32Array && r.scores instanceof Float32Array,
      );
    });
  }

  test('defaults: scaled_dot, no mask, temperature 1, dk = dv = d; plain arrays accepted', () => {
    const r = engine.attention({
      q: [1, 0, 0, 1],
      k: [1, 0, 0, 1, 1, 1],
      v: [1, 2, 3, 4, 5, 6],
      shape: { t: 2, s: 3, d: 2 },
    });
    const e = Math.exp(1 / Math.sqrt(2));
    assertClose(assert, r.weights.slice(0, 3), [e / (2 * e + 1), 1 / (2 * e + 1), e / (2 * e + 1)], 1e-6, 'row 0');
    assert.equal(r.context.length, 4);
  });

  test('scores are e_ij with -Infinity where masked; causal weights above the diagonal are exactly 0', () => {
    const input = SCENARIOS.find(([n]) => n === 'scaled_dot causal')[1]();
    const r = engine.attention(input);
    const { t, s } = input.shape;
    for (let i = 0; i < t; i++)
      for (let j = i + 1; j < s; j++) {
        assert.equal(r.weights[i * s + j], 0);
        assert.equal(r.scores[i * s + j], -Infinity);
      }
  });

  test('results are copies, not views of the wasm heap', () => {
    const input = SCENARIOS[0][1]();
    const a = engine.attention(input);
    const snapshot = Float32Array.from(a.weights);
    engine.attention(SCENARIOS[1][1]());
    assert.deepEqual(a.weights, snapshot);
    assert.ok(!(a.weights.buffer instanceof SharedArrayBuffer));
    assert.equal(a.weights.byteOffset, 0);
    assert.equal(a.weights.buffer.byteLength, a.weights.byteLength);
  });

  // Three heads of each scenario in one call equal three single-head calls,
  // bit for bit (each head runs the same arithmetic).
  const concat = (arrays) => Float32Array.from(arrays.flatMap((a) => Array.from(a)));
  for (const [name, make] of SCENARIOS.filter(([n]) => !n.startsWith('mha'))) {
    test(`${name}: shape.heads = 3 in one call equals three calls`, () => {
      const inputs = [make(), make(), make()].map((x, _, all) => ({ ...x, mask: all[0].mask }));
      const params = inputs[0].params && {
        ...Object.fromEntries(
          Object.keys(inputs[0].params)
            .filter((key) => key !== 'hidden')
            .map((key) => [key, concat(inputs.map((x) => x.params[key]))]),
        ),
        ...(inputs[0].params.hidden !== undefined && { hidden: inputs[0].params.hidden }),
      };
      const batched = engine.attention({
        ...inputs[0],
        q: concat(inputs.map((x) => x.q)),
        k: concat(inputs.map((x) => x.k)),
        v: concat(inputs.map((x) => x.v)),
        shape: { ...inputs[0].shape, heads: 3 },
        params,
      });
      const { t, s, dv } = inputs[0].shape;
      assert.deepEqual(batched.shape, { heads: 3, t, s, dv });
      inputs.forEach((input, h) => {
        const one = engine.attention(input);
        assert.deepEqual(batched.weights.subarray(h * t * s, (h + 1) * t * s), one.weights, `head ${h} weights`);
        assert.deepEqual(batched.scores.subarray(h * t * s, (h + 1) * t * s), one.scores, `head ${h} scores`);
        assert.deepEqual(batched.context.subarray(h * t * dv, (h + 1) * t * dv), one.context, `head ${h} context`);
      });
    });
  }

  test('withScores: false leaves the scores out and nothing else changes', () => {
    const input = SCENARIOS.find(([n]) => n === 'scaled_dot causal')[1]();
    const full = engine.attention(input);
    const lean = engine.attention({ ...input, withScores: false });
    assert.ok(!('scores' in lean));
    assert.deepEqual(lean.weights, full.weights);
    assert.deepEqual(lean.context, full.context);
    assert.deepEqual(lean.shape, full.shape);
    expectError(() => engine.attention({ ...input, withScores: 'no' }), 'invalid_argument', /withScores/);
  });

  test('heads: bad counts and lengths that do not match them are errors', () => {
    const input = SCENARIOS[0][1]();
    expectError(() => engine.attention({ ...input, shape: { ...input.shape, heads: 0 } }), 'invalid_argument', /heads/);
    expectError(() => engine.attention({ ...input, shape: { ...input.shape, heads: 2 } }), 'shape_mismatch', /q has/);
    expectError(() => engine.attention({ ...input, shape: { ...input.shape, heads: 1e6 } }), 'shape_mismatch', /q has/);
    assert.ok(engine.attention(input).weights.length > 0);
  });

  test('inputs are left untouched', () => {
    const input = SCENARIOS[3][1]();
    const before = Float32Array.from(input.q);
    engine.attention(input);
    assert.deepEqual(input.q, before);
  });
});

describe('multiHeadAttention', () => {
  test('heads of identical projections agree, rows sum to 1, output shape [t, dModel]', () => {
    const [, make] = SCENARIOS.find(([n]) => n === 'mha cross');
    const input = make();
    const r = engine.multiHeadAttention(input);
    const { heads, t, s, dModel } = r.shape;
    assert.deepEqual(r.shape, { heads: 3, t: 3, s: 11, dModel: 12 });
    assert.equal(r.weights.length, heads * t * s);
    assert.equal(r.output.length, t * dModel);
    for (let row = 0; row < heads * t; row++) {
      let sum = 0;
      for (let j = 0; j < s; j++) sum += r.weights[row * s + j];
      assert.ok(Math.abs(sum - 1) < 1e-6, `row ${row} sums to ${sum}`);
    }
  });

  test('one head with identity projections equals single-head scaled-dot attention', () => {
    const d = 8,
      t = 5;
    const eye = new Float32Array(d * d);
    for (let i = 0; i < d; i++) eye[i * d + i] = 1;
    const x = randomFloats(t * d, 42);
    const mha = engine.multiHeadAttention({
      query: x,
      shape: { t, dModel: d, heads: 1 },
      weights: { wq: eye, wk: eye, wv: eye, wo: eye },
      mask: { causal: true },
    });
    const single = engine.attention({ q: x, k: x, v: x, shape: { t, s: t, d }, mask: { causal: true } });
    assertClose(assert, mha.weights, single.weights, 1e-6, 'weights');
    assertClose(assert, mha.output, single.context, 1e-6, 'output');
  });

  test('self-attention defaults key and value to query; cross-attention needs them', () => {
    const input = SCENARIOS.find(([n]) => n === 'mha cross')[1]();
    delete input.key;
    expectError(() => engine.multiHeadAttention(input), 'invalid_argument', /key and value/);
  });
});

/** A layer made from a one-shot multiHeadAttention input, and that input as a run of it. */
function layerFor(input) {
  const { t, s, ...widths } = input.shape;
  const { weights, scoring, params } = input;
  return {
    layer: engine.multiHeadLayer({ shape: widths, weights, scoring, params }),
    run: { ...input, shape: { t, s } },
  };
}

describe('multiHeadLayer', () => {
  const mhaScenarios = SCENARIOS.filter(([n]) => n.startsWith('mha'));

  for (const [name, make] of mhaScenarios) {
    test(`${name}: a layer's runs equal multiHeadAttention, bit for bit, run after run`, () => {
      const input = make();
      const { layer, run } = layerFor(input);
      try {
        assert.deepEqual(layer.shape.heads, input.shape.heads);
        const want = engine.multiHeadAttention(input);
        for (let i = 0; i < 3; i++) {
          const got = layer.run(run);
          assert.deepEqual(got.weights, want.weights);
          assert.deepEqual(got.output, want.output);
          assert.deepEqual(got.shape, want.shape);
        }
      } finally {
        layer.dispose();
      }
    });
  }

  test('one layer serves inputs of different lengths; key and value default to the query', () => {
    const base = mhaScenarios.find(([n]) => n === 'mha self causal')[1]();
    const { dModel, heads, dIn } = base.shape;
    const layer = engine.multiHeadLayer({ shape: { dModel, heads, dIn }, weights: base.weights });
    for (const t of [1, 4, 13]) {
      const x = randomFloats(t * (dIn ?? dModel), t);
      const a = layer.run({ query: x, shape: { t }, mask: { causal: true } });
      const b = layer.run({ query: x, key: x, value: x, shape: { t, s: t }, mask: { causal: true } });
      const c = engine.multiHeadAttention({
        query: x,
        shape: { t, dModel, heads, dIn },
        weights: base.weights,
        mask: { causal: true },
      });
      assert.deepEqual(a.weights, b.weights);
      assert.deepEqual(a.output, c.output);
      assert.equal(a.weights.length, heads * t * t);
    }
    layer.dispose();
    layer.dispose(); // idempotent
    assert.ok(layer.disposed);
    expectError(() => layer.run({ query: new Float32Array(dIn ?? dModel), shape: { t: 1 } }), 'disposed');
  });

  test('bad specs and runs are typed errors (weights checked once, when the layer is made); the layer keeps working', () => {
    const base = mhaScenarios.find(([n]) => n === 'mha self causal')[1]();
    const { dModel, heads } = base.shape;
    const dIn = base.shape.dIn ?? dModel;
    expectError(
      () => engine.multiHeadLayer({ shape: { dModel, heads: heads + 1, dIn }, weights: base.weights }),
      'shape_mismatch',
      /heads/,
    );
    expectError(
      () => engine.multiHeadLayer({ shape: { dModel, heads, dIn }, weights: { ...base.weights, wo: [1, 2] } }),
      'shape_mismatch',
      /weights.wo/,
    );
    const bad = Float32Array.from(base.weights.wq);
    bad[3] = NaN;
    // The weights are checked once, when the layer is made.
    expectError(
      () => engine.multiHeadLayer({ shape: { dModel, heads, dIn }, weights: { ...base.weights, wq: bad } }),
      'non_finite',
      /Wq/,
    );
    const layer = engine.multiHeadLayer({ shape: { dModel, heads, dIn }, weights: base.weights });
    expectError(() => layer.run({ query: new Float32Array(3), shape: { t: 2 } }), 'shape_mismatch', /query/);
    expectError(
      () => layer.run({ query: new Float32Array(2 * dIn), shape: { t: 2, s: 3 } }),
      'invalid_argument',
      /key/,
    );
    const x = new Float32Array(2 * dIn);
    x[1] = Infinity;
    expectError(() => layer.run({ query: x, shape: { t: 2 } }), 'non_finite');
    assert.equal(layer.run({ query: new Float32Array(2 * dIn), shape: { t: 2 } }).output.length, 2 * dModel);
    layer.dispose();
  });
});

describe('out arrays', () => {
  const input = () => SCENARIOS.find(([n]) => n === 'scaled_dot causal')[1]();
  const sentinel = (n) => new Float32Array(n).fill(7);
  const untouched = (a) => a.every((x) => x === 7);

  test('results land in the given arrays, call after call, with the bits of fresh ones', () => {
    const inp = input();
    const want = engine.attention(inp);
    const out = {
      scores: sentinel(want.scores.length),
      weights: sentinel(want.weights.length),
      context: sentinel(want.context.length),
    };
    let r = engine.attention({ ...inp, out });
    for (let i = 0; i < 3; i++) {
      assert.equal(r.scores, out.scores);
      assert.equal(r.weights, out.weights);
      assert.equal(r.context, out.context);
      assert.deepEqual(r.weights, want.weights);
      assert.deepEqual(r.context, want.context);
      assert.deepEqual(r.scores, want.scores);
      r = engine.attention({ ...inp, out: r }); // the last result's arrays, shape key ignored
    }
    // Any subset; the others are fresh. Inputs may be written over (they are copied in first).
    const only = engine.attention({
      ...inp,
      withScores: false,
      out: { context: inp.q.length === want.context.length ? inp.q : sentinel(want.context.length) },
    });
    assert.deepEqual(only.context, want.context);
    assert.deepEqual(only.weights, want.weights);
    assert.notEqual(only.weights, want.weights);
  });

  test('disjoint views of one buffer are fine; overlapping ones, wrong types and lengths are refused untouched', () => {
    const inp = input();
    const { weights, context } = engine.attention(inp);
    const buf = new Float32Array(weights.length + context.length).fill(7);
    const r = engine.attention({
      ...inp,
      withScores: false,
      out: { weights: buf.subarray(0, weights.length), context: buf.subarray(weights.length) },
    });
    assert.deepEqual(r.weights, weights);
    assert.deepEqual(r.context, context);
    assert.equal(r.context.buffer, buf.buffer);

    const w = sentinel(weights.length),
      c = sentinel(context.length),
      shared = sentinel(Math.max(weights.length, context.length) + 1);
    const bad = [
      [{ weights: sentinel(weights.length + 1) }, 'shape_mismatch', /out.weights has/],
      [{ weights: w, context: sentinel(1) }, 'shape_mismatch', /out.context has/],
      [{ weights: Array.from(w) }, 'invalid_argument', /Float32Array/],
      [{ weights: new Float64Array(weights.length) }, 'invalid_argument', /Float32Array/],
      [{ scores: w }, 'invalid_argument', /not a result/],
      [{ attention: w }, 'invalid_argument', /not a result/],
      [{ toString: w }, 'invalid_argument', /not a result/],
      [
        { weights: shared.subarray(0, weights.length), context: shared.subarray(1, 1 + context.length) },
        'invalid_argument',
        /share memory/,
      ],
    ];
    for (const [out, code, pattern] of bad)
      expectError(() => engine.attention({ ...inp, withScores: false, out: { context: c, ...out } }), code, pattern);
    expectError(() => engine.attention({ ...inp, out: 5 }), 'invalid_argument', /out must be an object/);
    assert.ok(untouched(w) && untouched(c) && untouched(shared));
  });

  test('an error in the computation leaves them untouched', () => {
    const big = new Float32Array(8).fill(3e19);
    const out = { weights: sentinel(4), context: sentinel(8) };
    expectError(
      () => engine.attention({ q: big, k: big, v: big, shape: { t: 2, s: 2, d: 4 }, scoring: 'dot', out }),
      'non_finite',
    );
    assert.ok(untouched(out.weights) && untouched(out.context));
  });

  test("a layer's runs write weights and output into them", () => {
    const { layer, run } = layerFor(SCENARIOS.find(([n]) => n.startsWith('mha'))[1]());
    try {
      const want = layer.run(run);
      const out = { weights: sentinel(want.weights.length), output: sentinel(want.output.length) };
      for (let i = 0; i < 2; i++) {
        const got = layer.run({ ...run, out });
        assert.equal(got.weights, out.weights);
        assert.equal(got.output, out.output);
        assert.deepEqual(got.weights, want.weights);
        assert.deepEqual(got.output, want.output);
      }
      const w = sentinel(want.weights.length);
      expectError(
        () => layer.run({ ...run, out: { weights: w, output: sentinel(3) } }),
        'shape_mismatch',
        /out.output/,
      );
      expectError(() => layer.run({ ...run, out: { context: w } }), 'invalid_argument', /not a result/);
      assert.ok(untouched(w));
    } finally {
      layer.dispose();
    }
  });
});

describe('errors', () => {
  const good = () => SCENARIOS[0][1]();

  test('each bad input gives a typed error, and the engine keeps working', () => {
    const cases = [
      [{ ...good(), q: new Float32Array(3) }, 'shape_mismatch', /q has 3 elements/],
      [{ ...good(), q: Float32Array.from(good().q).fill(NaN, 2, 3) }, 'non_finite', /q has a non-finite value/],
      [{ ...good(), v: Float32Array.from(good().v).fill(Infinity, 0, 1) }, 'non_finite', /v/],
      [{ ...good(), scoring: 'cosine' }, 'invalid_argument', /scoring/],
      [{ ...good(), temperature: 0 }, 'invalid_argument', /temperature/],
      [{ ...good(), temperature: 1e-9 }, 'invalid_argument', /temperature/],
      [{ ...good(), shape: { t: 5, s: 7, d: 4.5 } }, 'invalid_argument', /shape.d/],
      [{ ...good(), shape: { t: 1e6, s: 7, d: 4 } }, 'shape_mismatch', /q has/],
      [{ ...good(), mask: { keyPadding: [1, 0] } }, 'shape_mismatch', /keyPadding/],
      [{ ...good(), mask: { causal: 'yes' } }, 'invalid_argument', /causal/],
      [{ ...good(), scoring: 'general' }, 'invalid_argument', /params.W/],
      [{ ...good(), scoring: 'additive', params: { W1: [1], W2: [1], v: [1] } }, 'shape_mismatch', /W1/],
      [{ ...good(), q: 'hello' }, 'invalid_argument', /q must be/],
      [{ ...good(), q: [1, 2, 'x', ...new Array(17).fill(0)] }, 'invalid_argument', /q\[2\]/],
      [null, 'invalid_argument', /input/],
      [{ ...good(), shape: null }, 'invalid_argument', /shape/],
    ];
    for (const [input, code, pattern] of cases) {
      expectError(() => engine.attention(input), code, pattern);
      const r = engine.attention(good());
      assert.equal(r.weights.length, 35);
    }
  });

  test('sizes over the documented limits are refused before any work', () => {
    const t = 8193;
    expectError(
      () =>
        engine.attention({
          q: new Float32Array(t),
          k: new Float32Array(1),
          v: new Float32Array(1),
          shape: { t, s: 1, d: 1 },
        }),
      'too_large',
    );
  });

  test('overflowing scores are an error, not NaN', () => {
    const big = new Float32Array(8).fill(3e19);
    expectError(
      () => engine.attention({ q: big, k: big, v: big, shape: { t: 2, s: 2, d: 4 }, scoring: 'dot' }),
      'non_finite',
      /overflows/,
    );
  });

  test('heads that do not divide dModel', () => {
    const input = SCENARIOS.find(([n]) => n === 'mha cross')[1]();
    expectError(
      () => engine.multiHeadAttention({ ...input, shape: { ...input.shape, heads: 5 } }),
      'shape_mismatch',
      /do not divide/,
    );
  });
});

describe('lifecycle', () => {
  test('engines are independent; dispose is idempotent; calls after it throw disposed', async () => {
    const a = await createEngine();
    const b = await createEngine();
    const expected = await runScenarios(engine);
    a.dispose();
    a.dispose();
    assert.equal(a.disposed, true);
    expectError(() => a.attention(SCENARIOS[0][1]()), 'disposed');
    assert.deepEqual(await runScenarios(b), expected);
    b.dispose();
  });

  test('Symbol.dispose disposes', { skip: !Symbol.dispose && 'no Symbol.dispose in this Node' }, async () => {
    const e = await createEngine();
    e[Symbol.dispose]();
    assert.equal(e.disposed, true);
  });

  test('simd picks the wasm build; a bad value or an unavailable build is a typed error', async () => {
    const e = await createEngine({ simd: 'simd128' });
    assert.equal(e.simdArch, 'wasm');
    e.dispose();
    await assert.rejects(
      createEngine({ simd: 'avx' }),
      (err) => err instanceof AttnscopeError && err.code === 'invalid_argument' && /simd128/.test(err.message),
    );
    if (relaxedSimdSupported()) {
      const r = await createEngine({ simd: 'relaxed' });
      assert.equal(r.simdArch, 'wasm+relaxed');
      r.dispose();
    } else {
      await assert.rejects(
        createEngine({ simd: 'relaxed' }),
        (err) => err instanceof AttnscopeError && err.code === 'unsupported',
      );
    }
    // The single-file entry inlines only the simd128 build.
    await assert.rejects(
      single.createEngine({ simd: 'relaxed' }),
      (err) => err instanceof single.AttnscopeError && err.code === 'unsupported' && /inlines only/.test(err.message),
    );
    const s = await single.createEngine();
    assert.equal(s.simdArch, 'wasm');
    s.dispose();
  });

  test('a wasm source can be given explicitly, and a bad one is a load_failed error', async () => {
    const url = new URL('../../dist/attnscope.wasm', import.meta.url);
    const e = await createEngine({ wasm: url });
    assert.equal(e.simdArch, 'wasm');
    e.dispose();
    await assert.rejects(
      createEngine({ wasm: new Uint8Array([0, 97, 115, 109, 9, 9]) }),
      (err) => err instanceof AttnscopeError && err.code === 'load_failed',
    );
    await assert.rejects(
      createEngine({ wasm: new URL('file:///nonexistent/attnscope.wasm') }),
      (err) => err instanceof AttnscopeError && err.code === 'load_failed',
    );
  });
});
