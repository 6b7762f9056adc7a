// The attention op's staged call (src/bindings/staged.hpp, src/js/staged.ts):
// the C++ side trusts nothing in the header JS writes, so a malformed one is
// an error value, never an abort or a write outside the block; and the size
// limits hold in wasm32's 32-bit size_t.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AttnscopeError, createEngine } from '../../dist/index.js';
import createAttnscopeModule from '../../dist/attnscope.mjs';

const compiled = await WebAssembly.compile(readFileSync(new URL('../../dist/attnscope.wasm', import.meta.url)));
const module = await createAttnscopeModule({
  locateFile: (path) => path,
  instantiateWasm(imports, done) {
    WebAssembly.instantiate(compiled, imports).then((instance) => done(instance, compiled));
    return {};
  },
});
const [scalarNames, arrayNames] = module.Core.attentionLayout().split('|');
const layout = { scalars: scalarNames.split(' '), arrays: arrayNames.split(' ').map((a) => a.split(':')[0]) };

// A raw call: header values by name (arrays as [byteOffset, length]), the
// inputs written at their offsets after stage(). Returns { staged, ok, error, read }.
function raw(core, scalars, arrays, inputs = {}) {
  const h = core.header() / 8;
  const slots = layout.scalars.length + 2 * layout.arrays.length;
  module.HEAPF64.fill(0, h, h + slots);
  for (const [name, value] of Object.entries(scalars)) {
    const i = layout.scalars.indexOf(name);
    assert.ok(i >= 0, name);
    module.HEAPF64[h + i] = Number(value);
  }
  for (const [name, [offset, length]] of Object.entries(arrays)) {
    const i = layout.arrays.indexOf(name);
    assert.ok(i >= 0, name);
    module.HEAPF64[h + layout.scalars.length + 2 * i] = offset;
    module.HEAPF64[h + layout.scalars.length + 2 * i + 1] = length;
  }
  const base = core.stage();
  if (!base) return { staged: false, error: core.lastError() };
  for (const [name, data] of Object.entries(inputs)) module.HEAPF32.set(data, (base + arrays[name][0]) / 4);
  const ok = core.attention();
  const read = (name) =>
    module.HEAPF32.slice((base + arrays[name][0]) / 4, (base + arrays[name][0]) / 4 + arrays[name][1]);
  return { staged: true, ok, error: ok ? undefined : core.lastError(), read };
}

// One head, t = s = 2, d = 2: q, k, v, weights, context packed at 16-byte steps.
const shape = { heads: 1, t: 2, s: 2, dq: 2, dk: 2, dv: 2, scoring: 1, temperature: 1 };
const good = { q: [0, 4], k: [16, 4], v: [32, 4], weights: [48, 4], context: [64, 4] };
const q = new Float32Array([1, 0, 0, 1]),
  k = new Float32Array([1, 0, 0, 1]),
  v = new Float32Array([1, 2, 3, 4]);

describe('staged attention call', () => {
  test('a well-formed call gives what the public API gives', async () => {
    const core = new module.Core();
    const r = raw(core, shape, good, { q, k, v });
    assert.ok(r.staged && r.ok, JSON.stringify(r.error));
    const engine = await createEngine();
    const ref = engine.attention({ q, k, v, shape: { t: 2, s: 2, d: 2 } });
    assert.deepEqual(r.read('weights'), ref.weights);
    assert.deepEqual(r.read('context'), ref.context);
    core.release();
    core.delete();
    engine.dispose();
  });

  const bad = [
    ['nothing written', {}, {}, 'invalid_argument', /heads must be at least 1/],
    ['heads past the limit', { ...shape, heads: 257 }, good, 'too_large', /heads/],
    ['a fractional size', { ...shape, t: 1.5 }, good, 'too_large', /^t must be an integer/],
    ['NaN for a size', { ...shape, s: NaN }, good, 'too_large', /^s must be an integer/],
    ['an unknown scoring', { ...shape, scoring: 7 }, good, 'too_large', /scoring/],
    ['a missing input', shape, { ...good, v: [0, 0] }, 'invalid_argument', /v is required/],
    ['a wrong length', shape, { ...good, k: [16, 3] }, 'shape_mismatch', /k has 3 elements, its shape says 4/],
    ['a misaligned array', shape, { ...good, v: [36, 4] }, 'invalid_argument', /v is misaligned/],
    ['overlapping arrays', shape, { ...good, context: [32, 4] }, 'invalid_argument', /v and context overlap/],
    ['an output on an input', shape, { ...good, weights: [0, 4] }, 'invalid_argument', /q and weights overlap/],
    ['an offset past 2 GiB', shape, { ...good, context: [2 ** 31, 4] }, 'too_large', /context does not fit/],
    ['a negative offset', shape, { ...good, q: [-16, 4] }, 'too_large', /q does not fit/],
    ['scores without withScores', shape, { ...good, scores: [80, 4] }, 'shape_mismatch', /scores has 4/],
    ['withScores without scores', { ...shape, withScores: 1 }, good, 'invalid_argument', /scores is required/],
    ['general scoring without W', { ...shape, scoring: 2 }, good, 'invalid_argument', /W is required/],
    ['additive scoring without a hidden size', { ...shape, scoring: 3 }, good, 'invalid_argument', /hidden/],
  ];
  for (const [name, scalars, arrays, code, pattern] of bad)
    test(`${name}: ${code}, and the handle still works`, () => {
      const before = module.heapUsed();
      const core = new module.Core();
      const r = raw(core, scalars, arrays);
      assert.equal(r.staged, false);
      assert.equal(r.error.ok, false);
      assert.equal(r.error.code, code, r.error.message);
      assert.match(r.error.message, pattern);
      assert.equal(core.attention(), false, 'a failed stage leaves nothing to run');
      assert.match(core.lastError().message, /no attention call is staged/);
      const again = raw(core, shape, good, { q, k, v });
      assert.ok(again.ok, JSON.stringify(again.error));
      core.release();
      core.delete();
      assert.equal(module.heapUsed(), before, 'nothing leaks');
    });

  test('a staged call runs once', () => {
    const core = new module.Core();
    assert.ok(raw(core, shape, good, { q, k, v }).ok);
    assert.equal(core.attention(), false);
    assert.match(core.lastError().message, /no attention call is staged/);
    core.release();
    core.delete();
  });

  test('non-finite inputs are refused by the run; release() frees the block', () => {
    const core = new module.Core();
    const r = raw(core, shape, good, { q: new Float32Array([1, NaN, 0, 1]), k, v });
    assert.ok(r.staged);
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'non_finite');
    const staged = module.heapUsed();
    core.release();
    assert.ok(module.heapUsed() <= staged - 80, 'the 80-byte block is freed');
    core.delete();
  });
});

describe('size limits in wasm32', async () => {
  const engine = await createEngine();
  const expectTooLarge = (input, pattern) =>
    assert.throws(
      () => engine.attention(input),
      (err) => err instanceof AttnscopeError && err.code === 'too_large' && pattern.test(err.message),
    );

  // heads * t * s = 2^34 wraps to 0 in a 32-bit size_t: it must still be refused.
  test('256 heads of 8192 x 8192 weights', () => {
    const n = 256 * 8192;
    const x = new Float32Array(n);
    expectTooLarge(
      { q: x, k: x, v: x, shape: { heads: 256, t: 8192, s: 8192, d: 1 } },
      /the weights would hold 17179869184 values/,
    );
  });

  test('weights over 2^26 values are too large, not out of memory', () => {
    const n = 16 * 8192;
    const x = new Float32Array(n);
    expectTooLarge({ q: x, k: x, v: x, shape: { heads: 16, t: 8192, s: 8192, d: 1 } }, /the weights would hold/);
  });

  test('the engine still works after', () => {
    const r = engine.attention({ q, k, v, shape: { t: 2, s: 2, d: 2 } });
    assert.equal(r.weights.length, 4);
    engine.dispose();
  });
});
