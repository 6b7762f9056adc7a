// The bench report's ratio verdicts (bench/lib/report.mjs): a cell that
// passes only against a degraded peer must not count as met.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { targets } from '../../bench/lib/report.mjs';

const stats = (median) => ({ stats: { median } });
// One attention case: attnscope, onnxruntime-web and tfjs-wasm medians (ms).
const op = (label, attnscope, ort, tfjs) => ({
  section: 'attention',
  label,
  shape: { T: 128 },
  results: { attnscope: stats(attnscope), 'onnxruntime-web': stats(ort), 'tfjs-wasm': stats(tfjs) },
});
const run = (node, browser) => ({
  node: { env: { simdArch: 'wasm' }, results: node },
  browser: { env: { simdArch: 'wasm+relaxed' }, results: browser },
  kernels: {},
  size: { totalGzip: 100 * 1024 },
});
const row = (table, env) => table.find((l) => l.startsWith('| Attention op') && l.includes(`(${env},`));

test('a passing ratio against a peer more than 2x slower than elsewhere is unverified, and says why', () => {
  const t = targets(run([op('T=128', 1, 2.5, 20)], [op('T=128', 1, 8, 20)]));
  assert.match(row(t, 'Node'), /T=128: 2\.50x \| \*\*met\*\*/);
  assert.match(row(t, 'Chromium'), /8\.00x \(onnxruntime-web took 8\.00 ms here, 2\.50 ms elsewhere: not counted\)/);
  assert.match(row(t, 'Chromium'), /\*\*unverified\*\*/);
});

test('a peer within 2x of its time elsewhere counts', () => {
  const t = targets(run([op('T=128', 1, 2.5, 20)], [op('T=128', 1, 4.9, 20)]));
  assert.match(row(t, 'Chromium'), /4\.90x \| \*\*met\*\*/);
});

test('a missed cell keeps the verdict missed', () => {
  const t = targets(
    run([op('T=16', 1, 1.2, 9), op('T=128', 1, 2.5, 20)], [op('T=16', 1, 1.1, 9), op('T=128', 1, 8, 20)]),
  );
  assert.match(row(t, 'Chromium'), /\*\*missed\*\*/);
});

test('only the runtime the ratio uses is judged: a slow tfjs-wasm behind a normal onnxruntime-web is fine', () => {
  const t = targets(run([op('T=128', 1, 2.5, 3)], [op('T=128', 1, 2.6, 30)]));
  assert.match(row(t, 'Chromium'), /2\.60x \| \*\*met\*\*/);
});
