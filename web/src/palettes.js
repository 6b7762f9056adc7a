// Colour scales: perceptually uniform and colour-blind safe, from
// d3-scale-chromatic, sampled into 256-colour tables at build time
// (scripts/build-web.mjs), so the page ships the tables, not the library.
import TABLES from 'attnscope:palettes';

export const PALETTES = ['blues', 'viridis', 'cividis', 'magma', 'inferno', 'greys'];

// Categorical colours for heads: Okabe & Ito's colour-blind-safe set first.
const HEAD_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
const HEAD_COLOURS_DARK = ['#56B4E9', '#E69F00', '#009E73', '#CC79A7', '#0072B2', '#D55E00', '#F0E442', '#FFFFFF'];

const tables = new Map();

function rgbOf(css) {
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = /^#([0-9a-f]{6})$/i.exec(css);
  if (h) return [0, 2, 4].map((i) => parseInt(h[1].slice(i, i + 2), 16));
  return [128, 128, 128];
}

/** Diverging purple-orange (for vector components), t in [0, 1]. */
export function diverging(t) {
  const i = Math.max(0, Math.min(255, Math.round(t * 255)));
  return `#${TABLES.puor.slice(i * 6, i * 6 + 6)}`;
}

/** { colour(w), text(w) (a readable label colour on that cell), rgb, index(w) } for a palette name. */
export function palette(name) {
  const key = PALETTES.includes(name) ? name : 'blues';
  let t = tables.get(key);
  if (!t) {
    const hex = TABLES[key];
    const colours = [];
    const labels = [];
    const rgb = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) {
      const h = hex.slice(i * 6, i * 6 + 6);
      const r = parseInt(h.slice(0, 2), 16);
      const g = parseInt(h.slice(2, 4), 16);
      const b = parseInt(h.slice(4, 6), 16);
      rgb.set([r, g, b], i * 3);
      colours.push(`#${h}`);
      const lum = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      labels.push(lum > 0.55 ? '#111' : '#fff');
    }
    t = { name: key, colours, labels, rgb };
    tables.set(key, t);
  }
  const idx = (w) => Math.max(0, Math.min(255, Math.round((Number.isFinite(w) ? w : 0) * 255)));
  return { name: key, colour: (w) => t.colours[idx(w)], text: (w) => t.labels[idx(w)], rgb: t.rgb, index: idx };
}

export function headColour(h, dark) {
  const set = dark ? HEAD_COLOURS_DARK : HEAD_COLOURS;
  if (h < set.length) return set[h];
  return `hsl(${(h * 137.508) % 360} 70% ${dark ? 65 : 42}%)`;
}

let probe = null;
/** Any CSS colour as [r, g, b] (via a canvas, which normalises it). */
export function cssRgb(css) {
  probe ??= document.createElement('canvas').getContext('2d');
  probe.fillStyle = '#000';
  probe.fillStyle = css;
  return rgbOf(String(probe.fillStyle).replace(/rgba\((\d+),\s*(\d+),\s*(\d+).*\)/, 'rgb($1, $2, $3)'));
}
