// The step-by-step view: one query token, one head, the whole computation
// with the real numbers from the engine (q, k, v and the scores e_ij from
// run({ inspect })), recomputed here and checked against the engine's weights.
import { diverging } from './palettes.js';
import { num } from './labels.js';

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/** The numbers of the computation, in plain arrays (also used by the data table and the export). */
export function stepNumbers({ inspect, weightsRow, query, scoring, causal }) {
  const { q, k, v, scores, headDim: d } = inspect;
  const t = Math.round(Math.sqrt(scores.length));
  const i = query;
  const qi = q.subarray(i * d, i * d + d);
  const sqrtd = Math.sqrt(d);
  const rows = [];
  let m = -Infinity;
  for (let j = 0; j < t; j++) {
    const masked = causal && j > i;
    let dot = NaN;
    if (scoring === 'scaled_dot') {
      dot = 0;
      for (let x = 0; x < d; x++) dot += qi[x] * k[j * d + x];
    }
    const e = masked ? -Infinity : scores[i * t + j];
    if (e > m) m = e;
    rows.push({ j, masked, dot, e, kj: k.subarray(j * d, j * d + d), vj: v.subarray(j * d, j * d + d) });
  }
  let z = 0;
  for (const r of rows) {
    r.exp = r.masked ? 0 : Math.exp(r.e - m);
    z += r.exp;
  }
  const c = new Float64Array(d);
  let diff = 0;
  for (const r of rows) {
    r.alpha = r.exp / z;
    r.engine = weightsRow[r.j];
    diff = Math.max(diff, Math.abs(r.alpha - r.engine));
    r.av = new Float64Array(d);
    for (let x = 0; x < d; x++) {
      r.av[x] = r.alpha * r.vj[x];
      c[x] += r.av[x];
    }
  }
  return { d, t, sqrtd, qi, rows, m, z, c, diff };
}

/** A vector as a strip of coloured cells (diverging colours, scaled to its own range) with a title of its numbers. */
function strip(vec, scale, label) {
  const s = el('span', 'strip');
  s.setAttribute('role', 'img');
  const shown = Array.from(vec.slice(0, 8), (x) => num(x, 3)).join(', ');
  s.setAttribute('aria-label', `${label}: [${shown}${vec.length > 8 ? ', …' : ''}]`);
  s.title = `[${Array.from(vec, (x) => num(x, 4)).join(', ')}]`;
  for (let x = 0; x < vec.length; x++) {
    const cellEl = el('span', 'sc');
    const u = scale > 0 ? Math.max(-1, Math.min(1, vec[x] / scale)) : 0;
    cellEl.style.backgroundColor = diverging(0.5 - u / 2);
    s.append(cellEl);
  }
  return s;
}

const maxAbs = (arrays) => {
  let m = 0;
  for (const a of arrays) for (let x = 0; x < a.length; x++) m = Math.max(m, Math.abs(a[x]));
  return m;
};

function vectorLine(label, vec, scale) {
  const p = el('div', 'vec');
  p.append(el('span', 'vname', label), strip(vec, scale, label));
  const nums = el(
    'code',
    'vnums',
    `[${Array.from(vec.slice(0, 6), (x) => num(x, 3)).join(', ')}${vec.length > 6 ? `, … (${vec.length})` : ''}]`,
  );
  p.append(nums);
  return p;
}

/**
 * Builds the view into `root`. `ctx`: { t, units (token labels), query,
 * layer, head, scoring, causal, inspect, weightsRow, headNote }.
 */
export function renderSteps(root, ctx) {
  const { t } = ctx;
  const n = stepNumbers(ctx);
  const scoring = ctx.scoring;
  const q = ctx.query;
  root.replaceChildren();
  const head = el('div', 'steps-head');
  head.append(el('h3', null, t('steps.title', { q: ctx.units[q]?.label ?? '', i: q })));
  head.append(el('p', 'muted', t('steps.where', { l: ctx.layer, h: ctx.head, d: n.d })));
  if (ctx.headNote) head.append(el('p', 'note', ctx.headNote));
  root.append(head);

  const formulas = el('div', 'formulas');
  formulas.setAttribute('role', 'note');
  formulas.append(
    el('span', 'f', scoring === 'additive' ? 'e_ij = vᵀ tanh(W_q q_i + W_k k_j + b)' : 'e_ij = q_i · k_j / √d'),
    el('span', 'f', 'α_ij = exp(e_ij) / Σ_k exp(e_ik)'),
    el('span', 'f', 'c_i = Σ_j α_ij v_j'),
  );
  root.append(formulas);

  const scaleQK = maxAbs([n.qi, ...n.rows.map((r) => r.kj)]);
  const scaleV = maxAbs([n.c, ...n.rows.filter((r) => !r.masked).map((r) => r.av)]);

  const s1 = el('section', 'step');
  s1.append(el('h4', null, `1 · ${t('steps.q')}`), vectorLine(`q_${q}`, n.qi, scaleQK));
  root.append(s1);

  const s2 = el('section', 'step');
  s2.append(
    el(
      'h4',
      null,
      `2 · ${scoring === 'additive' ? t('steps.scoreAdd') : t('steps.scoreDot', { sqrtd: num(n.sqrtd, 4) })}`,
    ),
  );
  if (scoring === 'additive') s2.append(el('p', 'muted', t('steps.addExplain')));
  if (ctx.causal) s2.append(el('p', 'muted', `3 · ${t('steps.mask')}`));
  s2.append(el('p', 'muted', `4 · ${t('steps.softmax', { m: num(n.m, 4), z: num(n.z, 5) })}`));
  root.append(s2);

  const wrap = el('div', 'table-scroll');
  const table = el('table', 'steps-table');
  const cap = el('caption', 'sr-only', t('steps.title', { q: ctx.units[q]?.label ?? '', i: q }));
  table.append(cap);
  const thead = el('thead');
  const hr = el('tr');
  const cols = [
    'col.j',
    'col.key',
    'col.k',
    ...(scoring === 'additive' ? [] : ['col.dot']),
    'col.e',
    'col.exp',
    'col.alpha',
    'col.av',
  ];
  for (const c of cols) {
    const th = el('th', null, t(c));
    th.scope = 'col';
    hr.append(th);
  }
  thead.append(hr);
  table.append(thead);
  const tbody = el('tbody');
  const shown = n.rows.filter((r) => !r.masked);
  const best = Math.max(...shown.map((r) => r.alpha));
  for (const r of shown) {
    const tr = el('tr');
    if (r.alpha === best) tr.className = 'best';
    tr.dataset.j = String(r.j);
    tr.dataset.alpha = String(r.alpha);
    tr.dataset.engine = String(r.engine);
    tr.dataset.e = String(r.e);
    const th = el('th', 'num', String(r.j));
    th.scope = 'row';
    tr.append(th, el('td', 'tok', ctx.units[r.j]?.label ?? ''));
    const kc = el('td');
    kc.append(strip(r.kj, scaleQK, `k_${r.j}`));
    tr.append(kc);
    if (scoring !== 'additive') tr.append(el('td', 'num', num(r.dot, 4)));
    tr.append(el('td', 'num', num(r.e, 4)), el('td', 'num', num(r.exp, 4)));
    const a = el('td', 'num alpha');
    const barEl = el('span', 'abar');
    barEl.style.width = `${(r.alpha * 100).toFixed(1)}%`;
    a.append(barEl, el('span', 'aval', num(r.alpha, 4)));
    tr.append(a);
    const av = el('td');
    av.append(strip(r.av, scaleV, `α_${q},${r.j} v_${r.j}`));
    tr.append(av);
    tbody.append(tr);
  }
  const future = n.rows.length - shown.length;
  if (future > 0) {
    const tr = el('tr', 'masked-row');
    const td = el('td', null, t('steps.futureRows', { n: future }));
    td.colSpan = cols.length;
    tr.append(td);
    tbody.append(tr);
  }
  const sum = el('tr', 'sum');
  const sumLabel = el('th', null, 'Σ');
  sumLabel.scope = 'row';
  sumLabel.colSpan = scoring === 'additive' ? 4 : 5;
  sum.append(
    sumLabel,
    el('td', 'num', num(n.z, 5)),
    el(
      'td',
      'num',
      num(
        shown.reduce((s, r) => s + r.alpha, 0),
        6,
      ),
    ),
  );
  const cc = el('td');
  cc.append(strip(n.c, scaleV, `c_${q}`));
  sum.append(cc);
  tbody.append(sum);
  table.append(tbody);
  wrap.append(table);
  root.append(wrap);

  const s5 = el('section', 'step');
  s5.append(
    el('h4', null, `5 · ${t('steps.sum')}`),
    vectorLine(`c_${q}`, n.c, scaleV),
    el('p', 'muted', t('steps.seed')),
  );
  const check = el(
    'p',
    'verify',
    scoring === 'additive'
      ? t('steps.checkAdd', { diff: n.diff.toExponential(1) })
      : t('steps.check', { diff: n.diff.toExponential(1) }),
  );
  check.dataset.diff = String(n.diff);
  s5.append(check);
  root.append(s5);
  return n;
}
