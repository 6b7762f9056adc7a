// The shipped tiny models (models/, trained by tools/train): the engine runs them
// exactly as the PyTorch reference does, their tokenizer matches our Python BPE,
// and the head analysis finds what MODEL_CARD.md says (at least one previous-token
// head in the scaled-dot model).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../dist/index.js';
import { THRESHOLDS, analyzeModel, loadModelDir, readSentences } from '../../tools/head_analysis.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ALL_MODELS = { 'attnscope-tiny-scaled-dot': 'scaled_dot', 'attnscope-tiny-additive': 'additive' };
// The scaled-dot model must be shipped; the additive one is tested once it is
// (its training had not finished when this suite landed: see MODEL_CARD.md).
const MODELS = Object.fromEntries(
  Object.entries(ALL_MODELS).filter(
    ([name]) => name === 'attnscope-tiny-scaled-dot' || existsSync(ROOT + 'models/' + name),
  ),
);
if (Object.keys(MODELS).length < 2)
  console.log('heads: models/attnscope-tiny-additive is not shipped yet; testing the scaled-dot model only');
const SENTENCES = readSentences();
const EN = SENTENCES.find((s) => s.lang === 'en').text;
const ZH = SENTENCES.find((s) => s.lang === 'zh').text;

/** tools/train/reference_attn.py: float64 PyTorch attentions from the stored F16 weights, and Python BPE ids. */
function reference(name, request) {
  const out = execFileSync('/usr/bin/python3', [ROOT + 'tools/train/reference_attn.py', ROOT + 'models/' + name], {
    input: JSON.stringify(request),
    maxBuffer: 256 << 20,
  });
  return JSON.parse(out);
}

let engine;
const models = {};
const analyses = {};
before(async () => {
  engine = await createEngine();
  for (const name of Object.keys(MODELS)) models[name] = await loadModelDir(engine, ROOT + 'models/' + name);
});
after(() => {
  for (const m of Object.values(models)) m.dispose();
  engine.dispose();
});

describe('shipped models', () => {
  for (const [name, scoring] of Object.entries(MODELS)) {
    test(`${name}: files, size, config`, () => {
      const size = statSync(`${ROOT}models/${name}/model.safetensors`).size;
      assert.ok(size <= 2.5e6, `${size} bytes`);
      const config = JSON.parse(readFileSync(`${ROOT}models/${name}/config.json`, 'utf8'));
      assert.equal(config.model_type, 'gpt2');
      assert.equal(config.attention_scoring, scoring);
      assert.equal(config.n_positions, 128);
      const info = models[name].info;
      assert.equal(info.scoring, scoring);
      assert.equal(info.layers, config.n_layer);
      assert.equal(info.heads, config.n_head);
      assert.equal(info.vocabSize, config.vocab_size);
    });

    test(`${name}: engine attentions == PyTorch reference (EN and ZH sentence)`, () => {
      const runs = [EN, ZH].map((t) => models[name].run(t, { useCache: false }));
      const ids = runs.map((r) => r.tokens.map((t) => t.id));
      const ref = reference(name, { ids, texts: [EN, ZH] });
      assert.deepEqual(ref.ids, ids, 'engine tokenizer vs tools/train/bpe.py');
      runs.forEach((r, k) => {
        const want = ref.attentions[k];
        assert.deepEqual(want.shape, [r.shape.layers, r.shape.heads, r.shape.tokens, r.shape.tokens]);
        let worst = 0;
        for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(r.attentions[i] - want.data[i]));
        assert.ok(worst <= 1e-3, `${['EN', 'ZH'][k]}: max |engine - reference| = ${worst}`);
      });
    });
  }

  test('the engine tokenizes every held-out sentence as tools/train/bpe.py does', () => {
    const name = 'attnscope-tiny-scaled-dot';
    const texts = SENTENCES.map((s) => s.text);
    const ref = reference(name, { texts });
    texts.forEach((t, k) =>
      assert.deepEqual(
        models[name].run(t, { useCache: false }).tokens.map((x) => x.id),
        ref.ids[k],
        t,
      ),
    );
  });
});

describe('head analysis', () => {
  for (const name of Object.keys(MODELS)) {
    test(`${name}: every head classified`, () => {
      const res = analyzeModel(models[name], SENTENCES);
      analyses[name] = res;
      assert.equal(res.heads.length, res.layers * res.headsPerLayer);
      assert.ok(res.sentences.en >= 12 && res.sentences.zh >= 6, JSON.stringify(res.sentences));
      for (const h of res.heads) {
        assert.ok(typeof h.class === 'string' && h.class.length > 0);
        for (const k of ['prev', 'first', 'self', 'entropy']) assert.ok(h[k] >= 0 && h[k] <= 1 + 1e-6, `${k} ${h[k]}`);
      }
    });
  }

  test('the scaled-dot model has a previous-token head (mean weight on i-1 >= 0.5)', () => {
    const heads = analyses['attnscope-tiny-scaled-dot'].heads.filter((h) => h.prev >= THRESHOLDS.prev);
    assert.ok(heads.length >= 1, 'no previous-token head');
    assert.ok(heads.every((h) => h.class === 'previous-token'));
  });

  test('MODEL_CARD.md lists these classes', () => {
    const card = readFileSync(ROOT + 'MODEL_CARD.md', 'utf8');
    for (const [name, res] of Object.entries(analyses)) {
      const at = card.indexOf(`### Heads: ${name}`);
      assert.ok(at >= 0, `no "### Heads: ${name}" in MODEL_CARD.md`);
      const section = card.slice(at).split(/\n### /)[0];
      for (const h of res.heads) {
        const row = new RegExp(`^\\| L${h.layer}H${h.head} \\| ([a-z-]+) \\|`, 'm').exec(section);
        assert.ok(row, `${name}: no row for L${h.layer}H${h.head}`);
        assert.equal(row[1], h.class, `${name} L${h.layer}H${h.head}`);
      }
    }
  });
});
