const { createEngine } = await import(process.argv[2] + '/index.js');
import { randomFloats } from './lib/contenders.mjs';
const e = await createEngine();
for (const [T, d] of [
  [16, 64],
  [128, 64],
  [512, 64],
]) {
  const q = randomFloats(T * d, 1),
    k = randomFloats(T * d, 2),
    v = randomFloats(T * d, 3);
  for (let i = 0; i < 50; i++) e.attention({ q, k, v, shape: { t: T, s: T, d } });
  const N = T > 200 ? 50 : 500;
  let best = 1e9;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) e.attention({ q, k, v, shape: { t: T, s: T, d } });
    best = Math.min(best, ((performance.now() - t0) / N) * 1000);
  }
  console.log(T, d, best.toFixed(1), 'us/call');
}
