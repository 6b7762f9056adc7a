// The numbers behind the views, computed from the engine's attention weights.
// Every function is pure and works on Float32Array rows (row-major [T, T]).

/** Attention matrix of one head: a view into attentions [layers, heads, T, T]. */
export function headMatrix(result, layer, head) {
  const { heads, tokens: t } = result.shape;
  const size = t * t;
  return result.attentions.subarray((layer * heads + head) * size, (layer * heads + head + 1) * size);
}

/** Mean over the heads of one layer. */
export function meanOfHeads(result, layer) {
  const { heads, tokens: t } = result.shape;
  const out = new Float32Array(t * t);
  for (let h = 0; h < heads; h++) {
    const m = headMatrix(result, layer, h);
    for (let i = 0; i < out.length; i++) out[i] += m[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= heads;
  return out;
}

/**
 * Attention rollout (Abnar & Zuidema, 2020) through layers 0..upTo: each
 * layer's head-mean A is mixed with the residual connection, A' = 0.5 A + 0.5 I,
 * rows renormalised, and the layers multiplied: R = A'_upTo ... A'_1 A'_0.
 * R[i][j] is how much of token j reaches position i through all those layers.
 */
export function rollout(result, upTo) {
  const t = result.shape.tokens;
  let r = null;
  for (let l = 0; l <= upTo; l++) {
    const a = meanOfHeads(result, l);
    for (let i = 0; i < t; i++) {
      let sum = 0;
      for (let j = 0; j < t; j++) {
        a[i * t + j] = 0.5 * a[i * t + j] + (i === j ? 0.5 : 0);
        sum += a[i * t + j];
      }
      if (sum > 0) for (let j = 0; j < t; j++) a[i * t + j] /= sum;
    }
    if (!r) {
      r = a;
      continue;
    }
    const next = new Float32Array(t * t);
    for (let i = 0; i < t; i++)
      for (let k = 0; k < t; k++) {
        const aik = a[i * t + k];
        if (aik === 0) continue;
        for (let j = 0; j < t; j++) next[i * t + j] += aik * r[k * t + j];
      }
    r = next;
  }
  return r ?? new Float32Array(t * t);
}

/** Shannon entropy of one row, in bits (0 = all weight on one key). */
export function entropyBits(row) {
  let h = 0;
  for (let j = 0; j < row.length; j++) {
    const p = row[j];
    if (p > 0) h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Per-head statistics over all query rows of a [T, T] matrix: mean entropy
 * (bits), mean of each row's largest weight, mean distance attended
 * (sum_j alpha_ij |i - j|, in tokens).
 */
export function headStats(m, t) {
  let entropy = 0;
  let max = 0;
  let distance = 0;
  for (let i = 0; i < t; i++) {
    const row = m.subarray(i * t, i * t + t);
    entropy += entropyBits(row);
    let mx = 0;
    let d = 0;
    for (let j = 0; j < t; j++) {
      if (row[j] > mx) mx = row[j];
      d += row[j] * Math.abs(i - j);
    }
    max += mx;
    distance += d;
  }
  const n = Math.max(1, t);
  return { entropy: entropy / n, max: max / n, distance: distance / n };
}

/**
 * softmax(e / tau) from alpha = softmax(e): alpha^(1/tau) renormalised per row
 * (exact: exp(e/tau) = exp(e)^(1/tau), the normaliser cancels). Masked keys
 * (alpha = 0) stay 0.
 */
export function withTemperature(m, t, tau) {
  if (tau === 1) return m;
  const out = new Float32Array(m.length);
  const p = 1 / tau;
  for (let i = 0; i < t; i++) {
    let max = 0;
    for (let j = 0; j < t; j++) if (m[i * t + j] > max) max = m[i * t + j];
    if (max === 0) continue;
    let sum = 0;
    for (let j = 0; j < t; j++) {
      const a = m[i * t + j];
      const v = a > 0 ? Math.exp(p * (Math.log(a) - Math.log(max))) : 0;
      out[i * t + j] = v;
      sum += v;
    }
    for (let j = 0; j < t; j++) out[i * t + j] /= sum;
  }
  return out;
}

const PUNCT = /^[\s\p{P}\p{S}]+$/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * Groups tokens into words: a token continues the word before it when it
 * starts where that one ended, does not start with a space, and neither is
 * punctuation, a CJK character or a special token; pieces of one character
 * (byte-level BPE) always stay together. Returns [{ first, last, text }].
 */
export function wordGroups(tokens, text) {
  const groups = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    const prev = tokens[i - 1];
    const g = groups[groups.length - 1];
    const piece = text.slice(tok.start, tok.end);
    const prevPiece = prev ? text.slice(prev.start, prev.end) : '';
    const sameChar = prev && tok.partial && prev.partial && tok.start === prev.start && tok.end === prev.end;
    const joins =
      prev &&
      (sameChar ||
        (!tok.special &&
          !prev.special &&
          tok.start === prev.end &&
          tok.end > tok.start &&
          !/^\s/.test(piece) &&
          !PUNCT.test(piece) &&
          !PUNCT.test(prevPiece) &&
          !CJK.test(piece) &&
          !CJK.test(prevPiece)) ||
        // contractions: "didn" + "'t"
        (/^['’]\p{L}/u.test(piece) && tok.start === prev.end && !PUNCT.test(prevPiece)));
    if (joins && g) {
      g.last = i;
      g.end = Math.max(g.end, tok.end);
    } else groups.push({ first: i, last: i, start: tok.start, end: tok.end, special: tok.special });
  }
  for (const g of groups)
    g.text = g.special ? tokens[g.first].text : text.slice(g.start, g.end) || tokens[g.first].text;
  return groups;
}

/**
 * A [T, T] matrix merged to words [W, W]: sum over the key tokens of a word
 * (rows still sum to 1), average over its query tokens.
 */
export function mergeMatrix(m, t, groups) {
  const w = groups.length;
  const out = new Float32Array(w * w);
  for (let gi = 0; gi < w; gi++) {
    const qi = groups[gi];
    const rows = qi.last - qi.first + 1;
    for (let gj = 0; gj < w; gj++) {
      const kj = groups[gj];
      let s = 0;
      for (let i = qi.first; i <= qi.last; i++) for (let j = kj.first; j <= kj.last; j++) s += m[i * t + j];
      out[gi * w + gj] = s / rows;
    }
  }
  return out;
}

/** Indices of the `n` largest values of row, largest first. */
export function topIndices(row, n) {
  return Array.from(row.keys())
    .sort((a, b) => row[b] - row[a] || a - b)
    .slice(0, n);
}
