// 10,000 calls of mixed sizes, failures included: the wasm heap's allocated
// bytes return to where they started.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttnscopeError, createEngine } from '../../dist/index.js';
import { multiHeadInput, randomFloats } from './scenarios.mjs';

test('10,000 mixed calls leave the wasm heap where it started', () => {
  return createEngine().then((engine) => {
    const sizes = [1, 3, 4, 5, 16, 17, 64, 65];
    const warm = engine.attention({
      q: randomFloats(64, 1),
      k: randomFloats(64, 2),
      v: randomFloats(64, 3),
      shape: { t: 8, s: 8, d: 8 },
    });
    assert.ok(warm);
    const start = engine.memory();
    let errors = 0;
    for (let i = 0; i < 10000; i++) {
      const t = sizes[i % sizes.length],
        s = sizes[(i * 7) % sizes.length],
        d = sizes[(i * 3) % 4] + 1;
      try {
        if (i % 20 === 19) {
          // A layer: built, run twice (the second run may fail on a NaN), freed.
          const input = multiHeadInput(t % 9 || 1, s % 9 || 1, 8, 2, i);
          const { t: tt, s: ss, ...widths } = input.shape;
          const layer = engine.multiHeadLayer({ shape: widths, weights: input.weights });
          try {
            layer.run({ ...input, shape: { t: tt, s: ss } });
            const query = Float32Array.from(input.query);
            if (i % 40 === 39) query[0] = NaN;
            layer.run({ ...input, query, shape: { t: tt, s: ss } });
          } finally {
            layer.dispose();
          }
        } else if (i % 10 === 9) {
          engine.multiHeadAttention(multiHeadInput(t % 9 || 1, s % 9 || 1, 8, 2, i));
        } else {
          const scoring = ['dot', 'scaled_dot', 'general', 'additive'][i % 4];
          const bad = i % 13 === 0; // a NaN: fails after the inputs were copied in
          const h = i % 3 === 0 ? 2 : 1; // two heads in one call, now and then
          const q = randomFloats(h * t * d, i);
          if (bad) q[q.length - 1] = NaN;
          engine.attention({
            q,
            k: randomFloats(h * s * d, i + 1),
            v: randomFloats(h * s * d, i + 2),
            shape: { t, s, d, heads: h },
            scoring,
            withScores: i % 4 !== 1,
            params: {
              W: randomFloats(h * d * d, i + 3),
              W1: randomFloats(h * 2 * d, i),
              W2: randomFloats(h * 2 * d, i + 1),
              v: randomFloats(h * 2, i),
            },
            mask: { causal: i % 2 === 0, keyPadding: i % 5 === 0 ? new Array(s).fill(0) : undefined },
          });
        }
      } catch (err) {
        assert.ok(err instanceof AttnscopeError);
        errors++;
      }
    }
    const end = engine.memory();
    console.log(
      `leak: heapUsed ${start.heapUsed} -> ${end.heapUsed} bytes after 10,000 calls (${errors} errors); heap size ${end.heapSize}`,
    );
    assert.ok(errors > 0);
    assert.ok(Math.abs(end.heapUsed - start.heapUsed) <= 4096, `heap grew by ${end.heapUsed - start.heapUsed} bytes`);
    engine.dispose();
  });
});
