#!/usr/bin/env node
// Classifies every attention head of a GPT-2-style model from the attentions the
// attnscope engine computes on held-out text.
//
//   node tools/head_analysis.mjs [model dir ...] [--sentences file.json] [--json out.json]
//                                [--render "text"]... [--markdown]
//
// Defaults: models/attnscope-tiny-scaled-dot and models/attnscope-tiny-additive, with
// models/heldout-sentences.json (sentences of the validation split, never trained on,
// English and Chinese). Prints a table per model; --json writes every number.
// --render prints, for each head, which token every token attends to most.
//
// Measures, per head, averaged over all sentences (each run on its own from position 0):
//   prev    mean weight on position i-1, over positions i >= 1
//   first   mean weight on position 0, over positions i >= 1        (first-token / sink)
//   self    mean weight on position i itself, over positions i >= 1
//   entropy mean normalised entropy H(row i) / ln(i + 1), over positions i >= 4
//           (1 = uniform over the visible tokens)
// and on each sentence's tokens repeated twice (ids ++ ids, length L each), over the
// positions i of the second copy (i >= L + 1):
//   same    weight on the earlier occurrences of the token at i (positions j < i with
//           the same id), i.e. at least on j = i - L
//   induction  weight on the tokens that followed those earlier occurrences (j + 1 for
//           each such j, excluding j + 1 = i - 1 and j + 1 = i: previous token and itself)
//
// Classes (first rule that holds, in this order; thresholds in THRESHOLDS):
//   previous-token  prev >= 0.5
//   first-token     first >= 0.5
//   current-token   self >= 0.5
//   induction       induction >= 0.3
//   same-token      same >= 0.3
//   broad           entropy >= 0.7
//   mixed           none of the above (the largest measure is reported)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../dist/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_MODELS = ['models/attnscope-tiny-scaled-dot', 'models/attnscope-tiny-additive'].map(
  (m) => ROOT + m,
);
export const DEFAULT_SENTENCES = ROOT + 'models/heldout-sentences.json';
export const THRESHOLDS = { prev: 0.5, first: 0.5, self: 0.5, induction: 0.3, same: 0.3, entropy: 0.7 };
const MEASURES = ['prev', 'first', 'self', 'same', 'induction', 'entropy'];

/** Loads models/<name>/{config.json, model.safetensors, tokenizer.json} into the engine. */
export async function loadModelDir(engine, dir) {
  const f = (n) => readFileSync(`${dir}/${n}`);
  return engine.loadModel({
    config: f('config.json'),
    weights: f('model.safetensors'),
    tokenizer: f('tokenizer.json'),
  });
}

/** [{text, lang}] from a held-out sentences file ({en: [{text}], zh: [{text}]}). */
export function readSentences(path = DEFAULT_SENTENCES) {
  const j = JSON.parse(readFileSync(path, 'utf8'));
  return ['en', 'zh'].flatMap((lang) => (j[lang] ?? []).map((s) => ({ text: s.text, lang })));
}

/** Weight of row i, column j of head (l, h) in attentions [L, H, T, T]. */
const at = (a, T, H, l, h, i, j) => a[((l * H + h) * T + i) * T + j];

class Acc {
  constructor(L, H) {
    this.sum = Array.from({ length: L * H }, () => Object.fromEntries(MEASURES.map((m) => [m, 0])));
    this.n = Array.from({ length: L * H }, () => Object.fromEntries(MEASURES.map((m) => [m, 0])));
  }
  add(k, m, v) {
    this.sum[k][m] += v;
    this.n[k][m] += 1;
  }
  mean(k, m) {
    return this.n[k][m] ? this.sum[k][m] / this.n[k][m] : null;
  }
}

/** Adds the plain-text measures of one run to acc. */
function measurePlain(acc, r) {
  const { layers: L, heads: H, tokens: T } = r.shape;
  const a = r.attentions;
  for (let l = 0; l < L; l++)
    for (let h = 0; h < H; h++) {
      const k = l * H + h;
      for (let i = 1; i < T; i++) {
        acc.add(k, 'prev', at(a, T, H, l, h, i, i - 1));
        acc.add(k, 'first', at(a, T, H, l, h, i, 0));
        acc.add(k, 'self', at(a, T, H, l, h, i, i));
        if (i >= 4) {
          let ent = 0;
          for (let j = 0; j <= i; j++) {
            const p = at(a, T, H, l, h, i, j);
            if (p > 0) ent -= p * Math.log(p);
          }
          acc.add(k, 'entropy', ent / Math.log(i + 1));
        }
      }
    }
}

/** Adds the repeated-text measures of a run over ids ++ ids (ids of length n). */
function measureRepeated(acc, r, ids) {
  const { layers: L, heads: H, tokens: T } = r.shape;
  const a = r.attentions;
  for (let i = ids.length + 1; i < T; i++) {
    const same = [];
    for (let j = 0; j < i; j++) if (ids[j % ids.length] === ids[i % ids.length]) same.push(j);
    const next = same.map((j) => j + 1).filter((j) => j < i - 1); // not i - 1 (previous) nor i (self)
    for (let l = 0; l < L; l++)
      for (let h = 0; h < H; h++) {
        const k = l * H + h;
        let s = 0;
        for (const j of same) s += at(a, T, H, l, h, i, j);
        acc.add(k, 'same', s);
        if (next.length) {
          let n = 0;
          for (const j of next) n += at(a, T, H, l, h, i, j);
          acc.add(k, 'induction', n);
        }
      }
  }
}

export function classify(m) {
  if (m.prev >= THRESHOLDS.prev) return 'previous-token';
  if (m.first >= THRESHOLDS.first) return 'first-token';
  if (m.self >= THRESHOLDS.self) return 'current-token';
  if (m.induction !== null && m.induction >= THRESHOLDS.induction) return 'induction';
  if (m.same !== null && m.same >= THRESHOLDS.same) return 'same-token';
  if (m.entropy >= THRESHOLDS.entropy) return 'broad';
  return 'mixed';
}

/**
 * Runs every sentence (and its doubled token sequence) through the model and
 * returns {heads: [{layer, head, class, prev, first, self, same, induction, entropy}], ...}.
 */
export function analyzeModel(model, sentences) {
  const { layers: L, heads: H, maxTokens } = model.info;
  const acc = new Acc(L, H);
  let tokens = 0;
  const byLang = {};
  for (const s of sentences) {
    const r = model.run(s.text, { useCache: false });
    measurePlain(acc, r);
    tokens += r.shape.tokens;
    byLang[s.lang] = (byLang[s.lang] ?? 0) + 1;
    const ids = r.tokens.map((t) => t.id).slice(0, Math.floor(maxTokens / 2));
    if (ids.length >= 2) measureRepeated(acc, model.runIds([...ids, ...ids], { useCache: false }), ids);
  }
  const heads = [];
  for (let l = 0; l < L; l++)
    for (let h = 0; h < H; h++) {
      const k = l * H + h;
      const m = Object.fromEntries(MEASURES.map((x) => [x, acc.mean(k, x)]));
      heads.push({ layer: l, head: h, class: classify(m), ...m });
    }
  return { layers: L, headsPerLayer: H, sentences: byLang, tokens, thresholds: THRESHOLDS, heads };
}

const f2 = (x) => (x === null ? '  -  ' : x.toFixed(2).padStart(5));

/** A fixed-width table of the heads. */
export function formatTable(result) {
  const lines = ['head   class            prev  first self  same  induc entropy'];
  for (const h of result.heads)
    lines.push(
      `L${h.layer}H${h.head}   ${h.class.padEnd(15)} ${f2(h.prev)} ${f2(h.first)} ${f2(h.self)} ${f2(h.same)} ${f2(h.induction)} ${f2(h.entropy)}`,
    );
  return lines.join('\n');
}

/** A Markdown table of the heads. */
export function formatMarkdown(result) {
  const lines = [
    '| head | class | prev (i-1) | first (0) | self (i) | same token | induction | entropy |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const h of result.heads)
    lines.push(
      `| L${h.layer}H${h.head} | ${h.class} | ${[h.prev, h.first, h.self, h.same, h.induction, h.entropy].map((x) => f2(x).trim()).join(' | ')} |`,
    );
  return lines.join('\n');
}

const show = (t) => JSON.stringify(t.text).slice(1, -1);

/** Display labels: a token holding part of a character's bytes gets "(k/n)" (k-th of the n tokens sharing it). */
function labels(tokens) {
  return tokens.map((t, i) => {
    if (!t.partial) return show(t);
    const group = tokens.filter((u) => u.partial && u.start === t.start && u.end === t.end);
    const k = tokens.slice(0, i).filter((u) => u.partial && u.start === t.start && u.end === t.end).length + 1;
    return `${show(t)}(${k}/${group.length})`;
  });
}

/** For each head: every token and the token it gives the largest weight (with the weight). */
export function renderArgmax(model, text) {
  const r = model.run(text, { useCache: false });
  const { layers: L, heads: H, tokens: T } = r.shape;
  const lab = labels(r.tokens);
  const out = [`tokens: ${lab.map((t) => `[${t}]`).join(' ')}`];
  for (let l = 0; l < L; l++)
    for (let h = 0; h < H; h++) {
      const parts = [];
      for (let i = 0; i < T; i++) {
        let best = 0;
        for (let j = 1; j <= i; j++)
          if (at(r.attentions, T, H, l, h, i, j) > at(r.attentions, T, H, l, h, i, best)) best = j;
        const w = at(r.attentions, T, H, l, h, i, best);
        const rel = best === i ? 'self' : best === i - 1 ? 'prev' : best === 0 ? 'first' : `${best - i}`;
        parts.push(`${lab[i]}→${lab[best]} (${rel} ${w.toFixed(2)})`);
      }
      out.push(`L${l}H${h}: ${parts.join('  ')}`);
    }
  return out.join('\n');
}

async function main(argv) {
  const dirs = [];
  const render = [];
  let sentencesPath = DEFAULT_SENTENCES;
  let jsonOut = null;
  let markdown = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sentences') sentencesPath = argv[++i];
    else if (argv[i] === '--json') jsonOut = argv[++i];
    else if (argv[i] === '--render') render.push(argv[++i]);
    else if (argv[i] === '--markdown') markdown = true;
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\nimport')[0]
          .replace(/^\/\/ ?/gm, ''),
      );
      return;
    } else dirs.push(argv[i]);
  }
  const sentences = readSentences(sentencesPath);
  const engine = await createEngine();
  const results = {};
  for (const dir of dirs.length ? dirs : DEFAULT_MODELS) {
    const model = await loadModelDir(engine, dir);
    const name = dir.replace(/\/+$/, '').split('/').pop();
    const res = analyzeModel(model, sentences);
    res.scoring = model.info.scoring;
    res.render = render.map((text) => ({ text, argmax: renderArgmax(model, text) }));
    results[name] = res;
    const counts = {};
    for (const h of res.heads) counts[h.class] = (counts[h.class] ?? 0) + 1;
    console.log(`\n${name} (${model.info.scoring}; ${sentences.length} held-out sentences, ${res.tokens} tokens)`);
    console.log(markdown ? formatMarkdown(res) : formatTable(res));
    console.log(
      `classes: ${Object.entries(counts)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')}`,
    );
    for (const r of res.render) console.log(`\n${r.argmax}`);
    model.dispose();
  }
  engine.dispose();
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 1) + '\n');
  else console.log('\n' + JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.heads]))));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
