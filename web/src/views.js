// The pictures: each view turns the engine's numbers into a Scene (see
// scene.js) plus a hit test for the pointer. Nothing here touches the DOM.
import { Scene, measure } from './scene.js';
import { entropyBits, headStats, topIndices } from './math.js';
import { cellNum, num } from './labels.js';
import { cssRgb, headColour } from './palettes.js';

const LABEL = 12;
const sansFont = (ctx, size = LABEL, weight = 400) => `${weight} ${size}px ${ctx.fonts.sans}`;

function maxLabel(ctx, units, size = LABEL) {
  let w = 0;
  for (const u of units) w = Math.max(w, measure(u.label, sansFont(ctx, size, 600)));
  return Math.ceil(w);
}

/** A [U, U] matrix as RGBA pixels in the palette (masked cells in the mask colour). */
export function matrixPixels(ctx, m, U) {
  const px = new Uint8ClampedArray(U * U * 4);
  const mask = cssRgb(ctx.c.mask);
  const { rgb, index } = ctx.pal;
  for (let i = 0; i < U; i++)
    for (let j = 0; j < U; j++) {
      const o = (i * U + j) * 4;
      if (ctx.causal && j > i) px.set(mask, o);
      else {
        const k = index(m[i * U + j]) * 3;
        px[o] = rgb[k];
        px[o + 1] = rgb[k + 1];
        px[o + 2] = rgb[k + 2];
      }
      px[o + 3] = 255;
    }
  return px;
}

/** Which labels to print when cells are too small for all of them. */
const labelStep = (cell, min = 12) => Math.max(1, Math.ceil(min / cell));

// ------------------------------------------------------------------ heatmap

/**
 * Draws a heatmap of matrix m [U, U] into scene at (x, y) within maxW.
 * Returns its geometry for hit tests.
 */
export function drawHeatmap(scene, ctx, m, x, y, maxW, { hover, cursor, query, maxH = 640, axisTitles = true } = {}) {
  const { units, c, pal } = ctx;
  const U = units.length;
  const lw = Math.min(150, maxLabel(ctx, units) + 14) + (axisTitles ? 18 : 0);
  const angle = -50;
  const cell = Math.max(
    3,
    Math.min(44, Math.floor((maxW - lw - 12) / Math.max(1, U)), Math.floor(maxH / Math.max(1, U))),
  );
  const topH =
    (maxLabel(ctx, units) <= cell - 4
      ? 14
      : Math.min(130, Math.ceil(maxLabel(ctx, units) * Math.sin((50 * Math.PI) / 180)))) + (axisTitles ? 32 : 22);
  const gx = x + lw;
  const gy = y + topH;
  const step = labelStep(cell);
  const showValues = cell >= 30;
  const gap = cell >= 10 ? 1 : 0;

  // column labels (keys): upright when every one fits its column, else rotated
  const upright = maxLabel(ctx, units) <= cell - 4;
  for (let j = 0; j < U; j += step) {
    const hot = hover?.j === j || cursor?.j === j;
    scene.text(gx + j * cell + cell / 2, gy - 8, units[j].label, hot ? c.accent : c.muted, {
      rotate: upright ? 0 : angle,
      anchor: upright ? 'middle' : 'start',
      size: LABEL,
      weight: hot ? 700 : 500,
    });
  }
  // row labels (queries)
  for (let i = 0; i < U; i += i === query ? 1 : step) {
    if (i % step !== 0 && i !== query) continue;
    const hot = hover?.i === i || cursor?.i === i;
    const sel = i === query;
    scene.text(gx - 8, gy + i * cell + cell / 2, units[i].label, sel ? c.accent : hot ? c.fg : c.muted, {
      anchor: 'end',
      size: LABEL,
      weight: sel || hot ? 700 : 500,
    });
  }
  if (axisTitles) {
    scene.text(gx, y + 6, ctx.t('keysAxis'), c.muted, { size: 11, weight: 600 });
    scene.text(x + 8, gy + Math.min(U * cell, 160) / 2, ctx.t('queriesAxis'), c.muted, {
      size: 11,
      weight: 600,
      anchor: 'middle',
      rotate: -90,
    });
  }
  // cells: small ones as one bitmap (a pixel per pair, scaled up), bigger ones as rectangles
  if (cell < 8) {
    scene.bitmap(gx, gy, U * cell, U * cell, matrixPixels(ctx, m, U), U, U);
  } else
    for (let i = 0; i < U; i++) {
      for (let j = 0; j < U; j++) {
        const px = gx + j * cell;
        const py = gy + i * cell;
        if (ctx.causal && j > i) {
          scene.rect(px, py, cell - gap, cell - gap, c.mask, cell >= 8 ? { hatch: c.maskHatch } : undefined);
          continue;
        }
        const w = m[i * U + j];
        scene.rect(px, py, cell - gap, cell - gap, pal.colour(w));
        if (showValues)
          scene.text(px + (cell - gap) / 2, py + (cell - gap) / 2, cellNum(w), pal.text(w), {
            anchor: 'middle',
            size: 11,
            mono: true,
          });
      }
    }
  // the chosen query row, the hovered cell and the keyboard cursor
  if (query !== undefined && query >= 0 && query < U)
    scene.rect(gx - 1, gy + query * cell - 1, U * cell + 1, cell + 1, null, { stroke: c.accent, lw: 2 });
  if (cursor && cursor.i < U && cursor.j < U)
    scene.rect(gx + cursor.j * cell - 1, gy + cursor.i * cell - 1, cell + 1, cell + 1, null, {
      stroke: c.focus,
      lw: 2.5,
    });
  if (hover && hover.i !== undefined && hover.j !== undefined)
    scene.rect(gx + hover.j * cell - 0.5, gy + hover.i * cell - 0.5, cell, cell, null, { stroke: c.fg, lw: 1.5 });
  return { gx, gy, cell, U, right: gx + U * cell, bottom: gy + U * cell, x, y };
}

/** The strongest keys of query qi as a ranked list with bars. */
function sidePanel(scene, ctx, m, qi, x, y, w) {
  const { units, c, t, pal } = ctx;
  const U = units.length;
  const row = m.subarray(qi * U, qi * U + U);
  const top = topIndices(row, Math.min(8, ctx.causal ? qi + 1 : U));
  scene.text(x, y + 6, t('dist.title', { q: units[qi].label, i: qi }), c.fg, { size: 13, weight: 700 });
  scene.text(x, y + 24, `${t('entropy')} ${entropyBits(row).toFixed(2)} ${t('bits')}`, c.muted, { size: 11.5 });
  const labelW = Math.min(110, Math.max(...top.map((j) => measure(units[j].label, sansFont(ctx, 12, 600)))) + 10);
  const barW = w - labelW - 54;
  top.forEach((j, k) => {
    const yy = y + 46 + k * 24;
    const v = row[j];
    scene.text(x + labelW - 8, yy + 8, units[j].label, j === qi ? c.accent : c.fg, {
      anchor: 'end',
      size: 12,
      weight: 600,
    });
    scene.rect(x + labelW, yy, barW, 16, c.surface2, { r: 3 });
    if (v > 0) scene.rect(x + labelW, yy, Math.max(2, barW * v), 16, pal.colour(Math.max(0.35, v)), { r: 3 });
    scene.text(x + labelW + barW + 6, yy + 8, num(v, 3), c.muted, { size: 11, mono: true });
  });
}

function hitHeatmap(g, x, y) {
  if (!g) return null;
  const j = Math.floor((x - g.gx) / g.cell);
  const i = Math.floor((y - g.gy) / g.cell);
  if (i < 0 || j < 0 || i >= g.U || j >= g.U) return null;
  return { i, j };
}

function legend(scene, ctx, x, y, w = 160) {
  const { c, pal, t } = ctx;
  const n = 48;
  for (let k = 0; k < n; k++) scene.rect(x + (k * w) / n, y, w / n + 0.6, 10, pal.colour(k / (n - 1)));
  scene.rect(x, y, w, 10, null, { stroke: c.border, lw: 1 });
  for (const v of [0, 0.5, 1]) scene.text(x + v * w, y + 20, String(v), c.muted, { anchor: 'middle', size: 11 });
  scene.text(x - 8, y + 5, t('legend'), c.muted, { anchor: 'end', size: 11 });
  if (ctx.causal) {
    const mx = x + w + 24;
    scene.rect(mx, y - 1, 12, 12, c.mask, { hatch: c.maskHatch });
    scene.text(mx + 18, y + 5, t('masked'), c.muted, { size: 11 });
  }
}

export function heatmapView(ctx) {
  const { width, t, c } = ctx;
  const U = ctx.units.length;
  const scene = new Scene(width, 10);
  const g = drawHeatmap(scene, ctx, ctx.matrix, 0, 4, width, {
    hover: ctx.hover,
    cursor: ctx.focused ? ctx.cursor : null,
    query: ctx.query,
  });
  legend(scene, ctx, Math.max(g.gx, 112), g.bottom + 22);
  scene.height = g.bottom + 52;
  // Beside the grid, when there is room: the chosen (or hovered) query's strongest keys.
  const free = width - g.right;
  if (free >= 230) {
    const qi = ctx.hover?.i ?? (ctx.focused ? ctx.cursor?.i : undefined) ?? ctx.query;
    if (qi >= 0 && qi < U) sidePanel(scene, ctx, ctx.matrix, qi, g.right + 36, g.gy, Math.min(300, free - 44));
  }
  return {
    scene,
    hit: (x, y) => {
      const h = hitHeatmap(g, x, y);
      return h ? { ...h, kind: 'cell' } : null;
    },
    size: U,
  };
}

// -------------------------------------------------------------------- lines

/**
 * Query tokens on the left, keys on the right, one line per pair with opacity
 * = weight; ctx.matrices holds one matrix per shown head (with its colour).
 * Hovering a token isolates its lines.
 */
export function linesView(ctx) {
  const { units, c, width, t } = ctx;
  const U = units.length;
  const row = Math.max(13, Math.min(24, Math.floor(640 / Math.max(1, U))));
  const lw = Math.min(160, maxLabel(ctx, units) + 20);
  const legendH = ctx.matrices.length > 1 ? 30 : 6;
  const top = legendH + 14;
  const span = Math.min(width - 2 * lw, 420);
  const xl = Math.max(lw, (width - span) / 2); // right edge of the left labels
  const xr = xl + span; // left edge of the right labels
  const scene = new Scene(width, top + U * row + 14);
  const hover = ctx.hover;
  const focusQ = hover?.side === 'left' ? hover.i : null;
  const focusK = hover?.side === 'right' ? hover.i : null;
  const isolating = focusQ !== null || focusK !== null;

  if (ctx.matrices.length > 1) {
    let lx = Math.max(0, xl - lw + 4);
    for (const { head, colour } of ctx.matrices) {
      scene.rect(lx, 6, 14, 4, colour, { r: 2 });
      scene.text(lx + 18, 8, `${t('head')} ${head}`, c.muted, { size: 11 });
      lx += measure(`${t('head')} ${head}`, sansFont(ctx, 11)) + 34;
    }
  }
  scene.text(xl - 8, top - 10, t('query'), c.muted, { anchor: 'end', size: 11, weight: 600 });
  scene.text(xr + 8, top - 10, t('key'), c.muted, { size: 11, weight: 600 });

  const y = (i) => top + i * row + row / 2;
  // lines (drawn under the labels)
  const many = ctx.matrices.length > 1;
  for (const { m, colour } of ctx.matrices) {
    for (let i = 0; i < U; i++) {
      if (focusQ !== null && i !== focusQ) continue;
      for (let j = 0; j < U; j++) {
        if (focusK !== null && j !== focusK) continue;
        const w = m[i * U + j];
        if (!(w > 0.01)) continue;
        const alpha = isolating ? Math.min(1, 0.15 + w) : Math.min(1, w * (many ? 0.7 : 0.9));
        scene.line(xl + 4, y(i), xr - 4, y(j), colour, { lw: isolating ? 1 + 3 * w : 1 + 1.5 * w, alpha });
      }
    }
  }
  // labels; while isolating, the other side's labels are tinted by weight
  const single = ctx.matrices.length === 1 ? ctx.matrices[0].m : ctx.meanMatrix;
  for (let i = 0; i < U; i++) {
    const q = i === ctx.query;
    const hot = focusQ === i || (ctx.focused && ctx.cursor?.i === i && hover?.side !== 'right');
    if (focusK !== null && single) {
      const w = single[i * U + focusK];
      if (w > 0) scene.rect(xl - lw + 6, y(i) - row / 2 + 1, lw - 10, row - 2, ctx.pal.colour(w), { r: 3, alpha: 0.9 });
      if (w >= 0.005) scene.text(xl - lw - 2, y(i), cellNum(w), c.muted, { size: 11, mono: true, anchor: 'end' });
    }
    if (q || hot)
      scene.rect(xl - lw + 6, y(i) - row / 2 + 1, lw - 10, row - 2, null, {
        stroke: q ? c.accent : c.focus,
        lw: 1.5,
        r: 3,
      });
    scene.text(
      xl - 8,
      y(i),
      units[i].label,
      focusK !== null && single?.[i * U + focusK] > 0.5 ? ctx.pal.text(single[i * U + focusK]) : q ? c.accent : c.fg,
      {
        anchor: 'end',
        size: LABEL,
        weight: q || hot ? 700 : 500,
      },
    );
  }
  for (let j = 0; j < U; j++) {
    const hot = focusK === j;
    if (focusQ !== null && single) {
      const w = single[focusQ * U + j];
      if (w > 0) scene.rect(xr + 4, y(j) - row / 2 + 1, lw - 10, row - 2, ctx.pal.colour(w), { r: 3, alpha: 0.9 });
    }
    if (hot) scene.rect(xr + 4, y(j) - row / 2 + 1, lw - 10, row - 2, null, { stroke: c.focus, lw: 1.5, r: 3 });
    const w = focusQ !== null && single ? single[focusQ * U + j] : 0;
    scene.text(xr + 8, y(j), units[j].label, w > 0.5 ? ctx.pal.text(w) : c.fg, {
      size: LABEL,
      weight: hot ? 700 : 500,
    });
    if (focusQ !== null && single && w >= 0.005)
      scene.text(xr + lw, y(j), cellNum(w), c.muted, { size: 11, mono: true });
  }
  return {
    scene,
    hit: (x, py) => {
      const i = Math.floor((py - top) / row);
      if (i < 0 || i >= U) return null;
      if (x < xl + 10 && x > xl - lw) return { kind: 'token', side: 'left', i };
      if (x > xr - 10 && x < xr + lw) return { kind: 'token', side: 'right', i };
      return null;
    },
  };
}

// -------------------------------------------------------------------- model

/** Every layer x head as a thumbnail heatmap, with its statistics. */
export function modelView(ctx) {
  const { c, width, t, layers, heads, units } = ctx;
  const U = units.length;
  const labelW = Math.ceil(measure(`${t('layer')} ${layers - 1}`, sansFont(ctx, 11, 600))) + 14;
  const gapX = 10;
  const th = Math.max(36, Math.min(132, Math.floor((width - labelW - heads * gapX) / heads)));
  const rowH = th + 30;
  const top = 24;
  const scene = new Scene(width, top + layers * rowH + 6);
  const stats = [];
  for (let h = 0; h < heads; h++)
    scene.text(labelW + h * (th + gapX) + th / 2, 10, `${t('head')} ${h}`, c.muted, {
      anchor: 'middle',
      size: 11,
      weight: 600,
    });
  for (let l = 0; l < layers; l++) {
    const y0 = top + l * rowH;
    scene.text(labelW - 8, y0 + th / 2, `${t('layer')} ${l}`, c.muted, {
      anchor: 'end',
      size: 11,
      weight: 600,
      rotate: 0,
    });
    for (let h = 0; h < heads; h++) {
      const x0 = labelW + h * (th + gapX);
      const { px, st } = ctx.thumb(l, h);
      stats.push({ layer: l, head: h, ...st });
      scene.bitmap(x0, y0, th, th, px, U, U);
      const sel = l === ctx.layer && h === ctx.head;
      const cur = ctx.focused && ctx.cursor?.l === l && ctx.cursor?.h === h;
      const hov = ctx.hover?.l === l && ctx.hover?.h === h;
      scene.rect(x0 - 0.5, y0 - 0.5, th + 1, th + 1, null, {
        stroke: sel ? c.accent : cur ? c.focus : hov ? c.fg : c.border,
        lw: sel || cur ? 2.5 : 1,
      });
      scene.text(
        x0 + th / 2,
        y0 + th + 11,
        `H ${st.entropy.toFixed(2)} · d ${st.distance.toFixed(1)}`,
        sel ? c.accent : c.muted,
        {
          anchor: 'middle',
          size: 10,
          mono: true,
        },
      );
    }
  }
  return {
    scene,
    stats,
    hit: (x, y) => {
      const h = Math.floor((x - labelW) / (th + gapX));
      const l = Math.floor((y - top) / rowH);
      if (h < 0 || l < 0 || h >= heads || l >= layers) return null;
      const x0 = labelW + h * (th + gapX);
      if (x - x0 > th || y - (top + l * rowH) > th + 16) return null;
      return { kind: 'head', l, h };
    },
  };
}

// ------------------------------------------------------------- distribution

/** The chosen query's weights over the keys as bars, by position or sorted. */
export function distributionView(ctx) {
  const { units, c, width, t, pal } = ctx;
  const U = units.length;
  const q = ctx.query;
  const row = ctx.matrix.subarray(q * U, q * U + U);
  let keys = Array.from({ length: ctx.causal ? q + 1 : U }, (_, j) => j);
  if (ctx.sort === 'weight') keys.sort((a, b) => row[b] - row[a] || a - b);
  const n = keys.length;
  const top = topIndices(row, Math.min(3, n));
  const axisW = 44;
  const bar = Math.max(6, Math.min(52, Math.floor((width - axisW - 10) / Math.max(1, n))));
  const chartH = 230;
  const y0 = 56;
  const base = y0 + chartH;
  const lab = Math.min(130, maxLabel(ctx, units) + 12);
  const rotate = bar < Math.min(64, lab);
  const scene = new Scene(width, base + (rotate ? lab * 0.8 + 20 : 30));
  let max = 0;
  for (const j of keys) max = Math.max(max, row[j]);
  const niceMax = max > 0.5 ? 1 : max > 0.25 ? 0.5 : max > 0.1 ? 0.25 : 0.1;
  scene.text(0, 12, t('dist.title', { q: units[q]?.label ?? '', i: q }), c.fg, { size: 14, weight: 700 });
  scene.text(0, 32, `${ctx.what} · ${t('entropy')} ${entropyBits(row).toFixed(2)} ${t('bits')}`, c.muted, { size: 12 });
  // grid
  const divisions = niceMax === 1 ? 4 : 5;
  for (let k = 0; k <= divisions; k++) {
    const v = (niceMax * k) / divisions;
    const y = base - (chartH * v) / niceMax;
    scene.line(axisW, y, axisW + n * bar, y, c.grid, { lw: 1 });
    scene.text(axisW - 6, y, String(Math.round(v * 1000) / 1000), c.muted, { anchor: 'end', size: 10, mono: true });
  }
  keys.forEach((j, k) => {
    const w = row[j];
    const h = (chartH * w) / niceMax;
    const x = axisW + k * bar;
    const hot = ctx.hover?.j === j || (ctx.focused && ctx.cursor?.k === k);
    scene.rect(x + 1, base - h, bar - 2, h, pal.colour(0.25 + 0.75 * (w / (max || 1))), { r: Math.min(3, bar / 4) });
    if (hot) scene.rect(x, base - chartH, bar, chartH, null, { stroke: c.focus, lw: 1.5, r: 2 });
    if (j === q) scene.rect(x + 1, base + 1, bar - 2, 3, c.accent);
    const label = units[j].label;
    if (rotate)
      scene.text(x + bar / 2, base + 10, label, j === q ? c.accent : hot ? c.fg : c.muted, {
        rotate: -55,
        anchor: 'end',
        size: 11,
        weight: hot ? 700 : 500,
      });
    else
      scene.text(x + bar / 2, base + 14, label, j === q ? c.accent : c.fg, {
        anchor: 'middle',
        size: 11,
        weight: hot ? 700 : 500,
      });
  });
  // the largest weights get their value printed, largest first, never overlapping
  const placed = [];
  for (const j of top) {
    const w = row[j];
    if (!(w > 0)) continue;
    const k = keys.indexOf(j);
    const cx = axisW + k * bar + bar / 2;
    const s = num(w, 3);
    const half = measure(s, `700 11px ${ctx.fonts.mono}`) / 2;
    if (placed.some(([a, b]) => cx - half < b + 4 && cx + half > a - 4)) continue;
    placed.push([cx - half, cx + half]);
    scene.text(cx, base - (chartH * w) / niceMax - 8, s, c.fg, { anchor: 'middle', size: 11, weight: 700, mono: true });
  }
  return {
    scene,
    keys,
    hit: (x, y) => {
      const k = Math.floor((x - axisW) / bar);
      if (k < 0 || k >= n || y < y0 - 20) return null;
      return { kind: 'bar', k, j: keys[k], i: q };
    },
  };
}

// ------------------------------------------------------------------ compare

/** Two heatmaps side by side: the same text through both default models. */
export function compareView(ctx) {
  const { width, c, t } = ctx;
  const panels = ctx.panels; // [{ title, subtitle, m, units, causal, entropy }]
  const side = width >= 760;
  const panelW = side ? Math.floor((width - 24) / 2) : width;
  const scene = new Scene(width, 10);
  const geoms = [];
  let bottom = 0;
  panels.forEach((p, k) => {
    const x = side ? k * (panelW + 24) : 0;
    const y = side ? 0 : bottom + (k ? 24 : 0);
    scene.text(x, y + 10, p.title, c.fg, { size: 14, weight: 700 });
    scene.text(x, y + 28, p.subtitle, c.muted, { size: 12, mono: true });
    scene.text(x, y + 45, p.note, c.muted, { size: 12 });
    const sub = { ...ctx, units: p.units, causal: p.causal };
    const g = drawHeatmap(scene, sub, p.m, x, y + 58, panelW, {
      hover: ctx.hover?.panel === k ? ctx.hover : null,
      cursor: ctx.focused && ctx.cursor?.panel === k ? ctx.cursor : null,
      query: ctx.query,
      maxH: 440,
    });
    geoms.push(g);
    bottom = Math.max(bottom, g.bottom);
  });
  legend(scene, ctx, Math.max(geoms[0]?.gx ?? 0, 112), bottom + 20);
  scene.height = bottom + 48;
  return {
    scene,
    hit: (x, y) => {
      for (let k = 0; k < geoms.length; k++) {
        const h = hitHeatmap(geoms[k], x, y);
        if (h) return { ...h, kind: 'cell', panel: k };
      }
      return null;
    },
  };
}

/** A table as a scene (for exporting the step-by-step view as PNG/SVG). */
export function tableScene(ctx, title, lines, headers, rows) {
  const { c } = ctx;
  const font = (w) => sansFont(ctx, 12, w);
  const widths = headers.map(
    (h, k) => Math.max(measure(h, font(700)), ...rows.map((r) => measure(String(r[k] ?? ''), font(400)))) + 18,
  );
  const width = Math.max(
    widths.reduce((a, b) => a + b, 0),
    ...lines.map((l) => measure(l, font(400)) + 10),
    measure(title, sansFont(ctx, 15, 700)) + 10,
  );
  const rowH = 20;
  const top = 28 + lines.length * 18 + 10;
  const scene = new Scene(width + 20, top + (rows.length + 1) * rowH + 16);
  scene.text(10, 14, title, c.fg, { size: 15, weight: 700 });
  lines.forEach((l, k) => scene.text(10, 36 + k * 18, l, c.muted, { size: 12 }));
  let x = 10;
  headers.forEach((h, k) => {
    scene.text(x + 6, top + rowH / 2, h, c.fg, { size: 12, weight: 700 });
    x += widths[k];
  });
  scene.line(10, top + rowH, 10 + width, top + rowH, c.border);
  rows.forEach((r, i) => {
    let cx = 10;
    if (i % 2) scene.rect(10, top + (i + 1) * rowH, width, rowH, c.surface2);
    r.forEach((v, k) => {
      scene.text(cx + 6, top + (i + 1) * rowH + rowH / 2, String(v ?? ''), c.fg, { size: 12, mono: k > 1 });
      cx += widths[k];
    });
  });
  return scene;
}

export { headColour };
