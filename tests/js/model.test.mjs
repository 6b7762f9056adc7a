// Models through the JS API: load from bytes, Blob, file and HTTP URLs (with
// progress, abort, cut connections and 404s), outputs against the PyTorch
// reference, text runs with token offsets, the key/value cache, presets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { AttnscopeError, createEngine, probeUrlsForTests } from './model-api.mjs';
import { FIXTURES, ensureFixtures, expected, fixtureFile, fixtureSources } from './fixtures.mjs';
import { startServer } from './http-fixture-server.mjs';

let engine;
before(async () => {
  ensureFixtures();
  engine = await createEngine();
});

const isError = (code) => (err) => {
  assert.ok(err instanceof AttnscopeError, `expected AttnscopeError, got ${err?.stack ?? err}`);
  assert.equal(err.code, code, err.message);
  return true;
};

function assertClose(got, want, tol, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i]))))
      assert.fail(`${what}[${i}] = ${got[i]}, reference ${want[i]}`);
}

describe('models against the PyTorch reference', () => {
  for (const name of ['gpt2-tiny', 'gpt2-tiny-additive', 'bert-tiny']) {
    test(`${name}: every case, every dtype`, async () => {
      const models = {};
      for (const c of expected(name).cases) {
        const weights = c.dtype === 'f32' ? 'model.safetensors' : `model.${c.dtype}.safetensors`;
        models[c.dtype] ??= await engine.loadModel(fixtureSources(name, weights));
        const ids = c.truncate_to ? c.ids.slice(0, c.truncate_to) : c.ids;
        if (c.token_type_ids && c.token_type_ids.some((t) => t !== 0)) continue; // runIds has no token types
        const r = models[c.dtype].runIds(ids, { useCache: false });
        assert.deepEqual([r.shape.layers, r.shape.heads, r.shape.tokens, r.shape.tokens], c.attentions.shape);
        assertClose(r.attentions, c.attentions.data, 1e-4, `${c.name} attentions`);
        assertClose(r.lastHidden, c.last_hidden.data, 1e-4, `${c.name} last_hidden`);
      }
      for (const m of Object.values(models)) m.dispose();
    });
  }
});

describe('loading', () => {
  test('info reflects config.json', async () => {
    const m = await engine.loadModel(fixtureSources('gpt2-tiny'));
    const config = JSON.parse(fixtureFile('gpt2-tiny', 'config.json'));
    assert.equal(m.info.architecture, 'gpt2');
    assert.equal(m.info.layers, config.n_layer);
    assert.equal(m.info.heads, config.n_head);
    assert.equal(m.info.causal, true);
    assert.equal(m.info.tokenizer, 'bpe');
    m.dispose();
    const b = await engine.loadModel(fixtureSources('bert-tiny'));
    assert.equal(b.info.architecture, 'bert');
    assert.equal(b.info.causal, false);
    assert.equal(b.info.tokenizer, 'wordpiece');
    b.dispose();
  });

  test('from Blobs, file: URLs, legacy tokenizer files', async () => {
    const blobs = Object.fromEntries(Object.entries(fixtureSources('gpt2-tiny')).map(([k, v]) => [k, new Blob([v])]));
    const a = await engine.loadModel(blobs);
    const dir = pathToFileURL(FIXTURES + 'gpt2-tiny/');
    const b = await engine.loadModel({
      config: new URL('config.json', dir),
      weights: new URL('model.f16.safetensors', dir),
      tokenizer: { vocab: new URL('vocab.json', dir), merges: new URL('merges.txt', dir) },
    });
    const text = 'Hello world, hello attention.';
    assert.deepEqual(
      a.run(text).tokens.map((t) => t.id),
      b.run(text).tokens.map((t) => t.id),
    );
    const bert = await engine.loadModel({
      ...fixtureSources('bert-tiny'),
      tokenizer: { vocabTxt: fixtureFile('bert-tiny', 'vocab.txt') },
    });
    assert.equal(bert.run('hello world').tokens[0].text, '[CLS]');
    for (const m of [a, b, bert]) m.dispose();
  });

  describe('over HTTP', () => {
    let server;
    const files = () => fixtureSources('gpt2-tiny');
    before(async () => {
      const f = files();
      const weights = f.weights;
      server = await startServer({
        '/m/config.json': { body: f.config },
        '/m/model.safetensors': { body: weights },
        '/m/tokenizer.json': { body: f.tokenizer },
        '/cut/model.safetensors': { body: weights, cutAfter: Math.floor(weights.length / 2) },
        '/slow/model.safetensors': { body: weights, slow: true },
        '/hub/org/tiny/resolve/main/config.json': { body: f.config },
        '/hub/org/tiny/resolve/main/model.safetensors': { body: weights },
        '/hub/org/tiny/resolve/main/tokenizer.json': { body: f.tokenizer },
        '/hub/org/old/resolve/main/pytorch_model.bin': { body: Buffer.from('not a pickle') },
      });
    });
    after(() => server.close());

    test('streams with progress', async () => {
      const progress = [];
      const m = await engine.loadModel(
        {
          config: `${server.url}/m/config.json`,
          weights: `${server.url}/m/model.safetensors`,
          tokenizer: `${server.url}/m/tokenizer.json`,
        },
        { onProgress: (p) => progress.push(p) },
      );
      const w = progress.filter((p) => p.file === 'weights');
      assert.ok(w.length >= 1);
      assert.equal(w.at(-1).loaded, files().weights.length);
      assert.equal(w.at(-1).total, files().weights.length);
      assert.ok(m.run('hi there').tokens.length > 0);
      m.dispose();
    });

    test('a cut connection, a 404 and an abort are clear errors and leave nothing allocated', async () => {
      const base = engine.memory().heapUsed;
      const src = (weights) => ({
        config: `${server.url}/m/config.json`,
        weights,
        tokenizer: `${server.url}/m/tokenizer.json`,
      });
      await assert.rejects(engine.loadModel(src(`${server.url}/cut/model.safetensors`)), (err) => {
        isError('load_failed')(err);
        assert.match(err.message, /broke off|ended after/);
        return true;
      });
      await assert.rejects(engine.loadModel(src(`${server.url}/nothing/model.safetensors`)), isError('not_found'));
      const ac = new AbortController();
      const p = engine.loadModel(src(`${server.url}/slow/model.safetensors`), {
        signal: ac.signal,
        onProgress: (e) => e.file === 'weights' && e.loaded > 8192 && ac.abort(),
      });
      await assert.rejects(p, isError('aborted'));
      assert.equal(engine.memory().heapUsed, base, 'the wasm heap is back where it was');
      const m = await engine.loadModel(src(`${server.url}/m/model.safetensors`));
      m.dispose();
    });

    test('presets: size before download; a .bin-only repository gets a clear message', async () => {
      let size;
      const m = await engine.loadPreset('org/tiny', { baseUrl: `${server.url}/hub`, onSize: (b) => (size = b) });
      assert.equal(size, files().weights.length);
      m.dispose();
      await assert.rejects(engine.loadPreset('org/old', { baseUrl: `${server.url}/hub` }), (err) => {
        isError('unsupported')(err);
        assert.match(err.message, /pytorch_model\.bin/);
        return true;
      });
      await assert.rejects(engine.loadPreset('org/none', { baseUrl: `${server.url}/hub` }), isError('not_found'));
      assert.match(
        probeUrlsForTests('gpt2').weights,
        /^https:\/\/huggingface\.co\/openai-community\/gpt2\/resolve\/main\/model\.safetensors$/,
      );
    });
  });

  test('bad files are errors that name the problem, and the heap returns to its start', async () => {
    const base = engine.memory().heapUsed;
    const good = fixtureSources('gpt2-tiny');
    const truncated = good.weights.subarray(0, good.weights.length - 100);
    const nanWeights = Buffer.from(good.weights);
    const headerLen = Number(nanWeights.readBigUInt64LE(0));
    nanWeights.writeFloatLE(NaN, 8 + headerLen + 16);
    const cases = [
      [{ ...good, config: Buffer.from('{"model_type": "gpt2"') }, 'parse_error', /config.json/],
      [{ ...good, config: Buffer.from('{"model_type": "t5"}') }, 'unsupported', /t5/],
      [{ ...good, weights: truncated }, 'parse_error', /./],
      [{ ...good, weights: Buffer.from('garbage') }, 'parse_error', /./],
      [{ ...good, weights: nanWeights }, 'non_finite', /./],
      [{ ...good, tokenizer: Buffer.from('{"model": {"type": "Unigram"}}') }, 'unsupported', /Unigram/i],
      [{ ...good, weights: fixtureFile('bert-tiny', 'model.safetensors') }, 'not_found', /wte.weight/],
      [{ ...good, weights: undefined }, 'invalid_argument', /weights/],
    ];
    for (const [sources, code, pattern] of cases) {
      await assert.rejects(engine.loadModel(sources), (err) => {
        isError(code)(err);
        assert.match(err.message, pattern);
        return true;
      });
    }
    assert.equal(engine.memory().heapUsed, base);
  });
});

describe('running text', () => {
  test('tokens map back to the input, attention rows sum to 1, causal above the diagonal is 0', async () => {
    const m = await engine.loadModel(fixtureSources('gpt2-tiny'));
    const text = 'The cat sat on the mat. 猫 🙂!';
    const r = m.run(text);
    const { layers, heads, tokens: T } = r.shape;
    assert.equal(r.tokens.length, T);
    assert.equal(r.attentions.length, layers * heads * T * T);
    // Ranges cover the text in order; tokens sharing a split character share its range.
    let covered = '';
    let at = 0;
    for (const t of r.tokens) {
      assert.ok(t.start <= at && t.end >= at, `token ${JSON.stringify(t)} continues at ${at}`);
      covered += text.slice(at, t.end);
      at = Math.max(at, t.end);
      if (!t.partial) assert.equal(t.text, text.slice(t.start, t.end));
    }
    assert.equal(covered, text);
    for (let row = 0; row < layers * heads * T; row++) {
      const i = row % T;
      let sum = 0;
      for (let j = 0; j < T; j++) {
        const w = r.attentions[row * T + j];
        if (j > i) assert.equal(w, 0);
        sum += w;
      }
      assert.ok(Math.abs(sum - 1) < 1e-5);
    }
    m.dispose();
  });

  test("inspect returns one head's q, k, v and scores: softmax(scores) is its attention", async () => {
    for (const name of ['gpt2-tiny', 'bert-tiny', 'gpt2-tiny-additive']) {
      const m = await engine.loadModel(fixtureSources(name));
      m.run('warm the cache');
      const r = m.run('hello world again', { inspect: { layer: 1, head: 2 } });
      const { tokens: T, heads } = r.shape;
      const { q, k, scores, headDim: dh } = r.inspect;
      assert.equal(r.reused, 0);
      assert.equal(q.length, T * dh);
      for (let i = 0; i < T; i++) {
        let mx = -Infinity;
        for (let j = 0; j < T; j++) mx = Math.max(mx, scores[i * T + j]);
        let sum = 0;
        for (let j = 0; j < T; j++) sum += Math.exp(scores[i * T + j] - mx);
        for (let j = 0; j < T; j++) {
          const w = Math.exp(scores[i * T + j] - mx) / sum;
          assert.ok(Math.abs(w - r.attentions[((1 * heads + 2) * T + i) * T + j]) < 1e-6);
          if (name !== 'gpt2-tiny-additive' && scores[i * T + j] !== -Infinity) {
            let dot = 0;
            for (let a = 0; a < dh; a++) dot += q[i * dh + a] * k[j * dh + a];
            assert.ok(Math.abs(dot / Math.sqrt(dh) - scores[i * T + j]) < 1e-5);
          }
        }
      }
      assert.throws(() => m.run('x', { inspect: { layer: 99, head: 0 } }), isError('invalid_argument'));
      m.dispose();
    }
  });

  test('appending text reuses the cache and equals a fresh run', async () => {
    const cached = await engine.loadModel(fixtureSources('gpt2-tiny'));
    const fresh = await engine.loadModel(fixtureSources('gpt2-tiny'));
    cached.run('The quick brown fox');
    const a = cached.run('The quick brown fox jumps');
    const b = fresh.run('The quick brown fox jumps', { useCache: false });
    assert.ok(a.reused > 0, 'rows were reused');
    assert.equal(b.reused, 0);
    assertClose(a.attentions, b.attentions, 1e-6, 'attentions');
    assertClose(a.lastHidden, b.lastHidden, 1e-5, 'lastHidden');
    cached.dispose();
    fresh.dispose();
  });

  test('long text is truncated with a notice; empty text has no tokens; disposed models refuse', async () => {
    const m = await engine.loadModel(fixtureSources('bert-tiny'));
    const r = m.run('word '.repeat(500));
    assert.equal(r.tokens.length, m.info.maxTokens);
    assert.ok(r.totalTokens > m.info.maxTokens);
    assert.match(r.notice, /at most/);
    assert.equal(r.tokens.at(-1).text, '[SEP]');
    const g = await engine.loadModel(fixtureSources('gpt2-tiny'));
    const e = g.run('');
    assert.equal(e.tokens.length, 0);
    assert.equal(e.attentions.length, 0);
    const lone = g.run('a\uD800b');
    assert.ok(lone.tokens.length >= 2);
    m.dispose();
    assert.throws(() => m.run('x'), isError('disposed'));
    g.dispose();
  });
});

after(() => engine?.dispose());
