// attnscope/worker in Node (worker_threads): same results as the main-thread
// engine, errors cross intact, abort drops queued calls and replaces a busy worker.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createEngine } from '../../dist/index.js';
import { AttnscopeError, createWorkerEngine } from '../../dist/worker.js';
import { SCENARIOS, diffResults, randomFloats, runScenarios } from './scenarios.mjs';
import { ensureFixtures, fixtureFile, fixtureSources } from './fixtures.mjs';
import { startServer } from './http-fixture-server.mjs';

const worker = await createWorkerEngine();
after(() => worker.dispose());

const isAttnscopeError = (code) => (err) => err instanceof AttnscopeError && err.code === code;

test('the worker gives the same bits as the main-thread engine', async () => {
  assert.equal(await worker.simdArch, 'wasm');
  const local = await createEngine();
  assert.deepEqual(diffResults(await runScenarios(local), await runScenarios(worker)), []);
  local.dispose();
});

test('errors come back as AttnscopeError and the worker keeps going', async () => {
  const input = SCENARIOS[0][1]();
  await assert.rejects(worker.attention({ ...input, scoring: 'nope' }), isAttnscopeError('invalid_argument'));
  const q = Float32Array.from(input.q);
  q[0] = NaN;
  await assert.rejects(worker.attention({ ...input, q }), isAttnscopeError('non_finite'));
  await assert.rejects(worker.attention({ ...input, q: () => 1 }), (err) => err instanceof AttnscopeError);
  // out arrays are for the main thread (results come back transferred).
  const out = { weights: new Float32Array(35) };
  await assert.rejects(worker.attention({ ...input, out }), isAttnscopeError('unsupported'));
  assert.equal((await worker.attention(input)).weights.length, 35);
});

test('a layer in the worker: same bits as the main thread, gone after dispose', async () => {
  const input = SCENARIOS.find(([n]) => n === 'mha cross')[1]();
  const { t, s, ...widths } = input.shape;
  const spec = { shape: widths, weights: input.weights, scoring: input.scoring, params: input.params };
  const local = await createEngine();
  const want = local.multiHeadAttention(input);
  local.dispose();
  const layer = await worker.multiHeadLayer(spec);
  assert.equal(layer.shape.heads, input.shape.heads);
  for (let i = 0; i < 2; i++) {
    const got = await layer.run({ ...input, shape: { t, s } });
    assert.deepEqual(got.weights, want.weights);
    assert.deepEqual(got.output, want.output);
  }
  await assert.rejects(
    layer.run({ ...input, query: new Float32Array(1), shape: { t, s } }),
    isAttnscopeError('shape_mismatch'),
  );
  await assert.rejects(
    layer.run({ ...input, shape: { t, s }, out: { output: new Float32Array(want.output.length) } }),
    isAttnscopeError('unsupported'),
  );
  layer.dispose();
  assert.ok(layer.disposed);
  await assert.rejects(layer.run({ ...input, shape: { t, s } }), isAttnscopeError('disposed'));
  await assert.rejects(
    worker.multiHeadLayer({ ...spec, shape: { ...widths, heads: 0 } }),
    isAttnscopeError('invalid_argument'),
  );
});

test('abort: a queued call is dropped, a running one is stopped, later calls still work', async () => {
  const big = {
    q: randomFloats(1024 * 64, 1),
    k: randomFloats(1024 * 64, 2),
    v: randomFloats(1024 * 64, 3),
    shape: { t: 1024, s: 1024, d: 64 },
  };
  const running = new AbortController();
  const queued = new AbortController();
  const p1 = worker.attention(big, { signal: running.signal });
  const p2 = worker.attention(big, { signal: queued.signal });
  queued.abort();
  await assert.rejects(p2, isAttnscopeError('aborted'));
  running.abort();
  await assert.rejects(p1, isAttnscopeError('aborted'));
  const already = AbortSignal.abort();
  await assert.rejects(worker.attention(big, { signal: already }), isAttnscopeError('aborted'));
  const r = await worker.attention(SCENARIOS[0][1]());
  assert.equal(r.weights.length, 35);
});

test('transfer: true hands the input buffers over', async () => {
  const input = SCENARIOS[0][1]();
  const r = await worker.attention(input, { transfer: true });
  assert.equal(input.q.byteLength, 0, 'q was transferred');
  assert.equal(r.weights.length, 35);
});

test('dispose rejects pending calls and later ones', async () => {
  const w = await createWorkerEngine();
  const pending = w.attention(SCENARIOS[1][1]());
  w.dispose();
  await assert.rejects(pending, isAttnscopeError('disposed'));
  await assert.rejects(w.attention(SCENARIOS[0][1]()), isAttnscopeError('disposed'));
});

describe('models in the worker', () => {
  test('load, run text (same bits as the main thread), abort a download while another model keeps answering', async () => {
    ensureFixtures();
    const w = await createWorkerEngine();
    const local = await createEngine();
    const progress = [];
    const model = await w.loadModel(fixtureSources('gpt2-tiny'), { onProgress: (p) => progress.push(p) });
    assert.equal(model.info.architecture, 'gpt2');
    assert.ok(progress.some((p) => p.file === 'weights'));
    const text = 'The animal did not cross the street because it was too tired.';
    const a = await model.run(text);
    const b = (await local.loadModel(fixtureSources('gpt2-tiny'))).run(text);
    assert.deepEqual(a.tokens, b.tokens);
    assert.deepEqual(new Uint32Array(a.attentions.buffer), new Uint32Array(b.attentions.buffer));

    const server = await startServer({
      '/slow/model.safetensors': { body: fixtureFile('gpt2-tiny', 'model.safetensors'), slow: true },
    });
    const ac = new AbortController();
    const loading = w.loadModel(
      { ...fixtureSources('gpt2-tiny'), weights: `${server.url}/slow/model.safetensors` },
      { signal: ac.signal },
    );
    const during = await model.run('hello'); // compute goes on during the download
    assert.ok(during.tokens.length > 0);
    ac.abort();
    await assert.rejects(loading, isAttnscopeError('aborted'));
    await server.close();

    // A running compute call with a model loaded: rejected at once, the worker (and model) survive.
    const big = {
      q: randomFloats(1024 * 64, 1),
      k: randomFloats(1024 * 64, 2),
      v: randomFloats(1024 * 64, 3),
      shape: { t: 1024, s: 1024, d: 64 },
    };
    const stop = new AbortController();
    const running = w.attention(big, { signal: stop.signal });
    stop.abort();
    await assert.rejects(running, isAttnscopeError('aborted'));
    assert.deepEqual((await model.run(text)).tokens, a.tokens);
    model.dispose();
    await assert.rejects(model.run(text), isAttnscopeError('disposed'));
    w.dispose();
    local.dispose();
  });
});
