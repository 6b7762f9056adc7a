// A view draws into a scene: a flat list of rectangles, lines, paths and
// texts. The same scene is painted on the canvas and written as SVG for export,
// so the picture and its SVG never drift apart.
//
//   { t: 'rect', x, y, w, h, fill, stroke?, lw?, alpha?, hatch?, r? }
//   { t: 'line', x1, y1, x2, y2, stroke, lw?, alpha?, dash? }
//   { t: 'curve', x1, y1, x2, y2, stroke, lw?, alpha? }      (a horizontal S-curve)
//   { t: 'text', x, y, s, fill, size?, weight?, anchor?, rotate?, mono?, baseline? }

export class Scene {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.items = [];
  }
  rect(x, y, w, h, fill, extra) {
    this.items.push({ t: 'rect', x, y, w, h, fill, ...extra });
  }
  line(x1, y1, x2, y2, stroke, extra) {
    this.items.push({ t: 'line', x1, y1, x2, y2, stroke, ...extra });
  }
  curve(x1, y1, x2, y2, stroke, extra) {
    this.items.push({ t: 'curve', x1, y1, x2, y2, stroke, ...extra });
  }
  /** A w x h picture of pw x ph pixels (RGBA), drawn without smoothing. */
  bitmap(x, y, w, h, pixels, pw, ph) {
    this.items.push({ t: 'bitmap', x, y, w, h, pixels, pw, ph });
  }
  text(x, y, s, fill, extra) {
    this.items.push({ t: 'text', x, y, s, fill, ...extra });
  }
}

let measureCtx = null;
let scratch = null;
/** The pixels of a bitmap item on a (shared) canvas of its own size. */
function bitmapCanvas(it) {
  scratch ??= document.createElement('canvas');
  scratch.width = it.pw;
  scratch.height = it.ph;
  scratch.getContext('2d').putImageData(new ImageData(it.pixels, it.pw, it.ph), 0, 0);
  return scratch;
}
const widths = new Map();
/** Width of `s` in px at `font` (a CSS font shorthand); remembered, since labels repeat from frame to frame. */
export function measure(s, font) {
  const key = `${font}\u0000${s}`;
  let w = widths.get(key);
  if (w === undefined) {
    measureCtx ??= document.createElement('canvas').getContext('2d');
    if (measureCtx.font !== font) measureCtx.font = font;
    w = measureCtx.measureText(s).width;
    if (widths.size > 20000) widths.clear();
    widths.set(key, w);
  }
  return w;
}

export const fontOf = (fonts, it) => `${it.weight ?? 400} ${it.size ?? 12}px ${it.mono ? fonts.mono : fonts.sans}`;

/** Paints `scene` on `canvas` (sized in CSS px, sharp on high-DPI screens). */
export function paint(canvas, scene, fonts, background, keep = false) {
  const dpr = Math.min(3, globalThis.devicePixelRatio || 1);
  // While the text grows or shrinks a little the canvas keeps its size: no reallocation, no relayout.
  const w = Math.max(1, Math.ceil(scene.width));
  let h = Math.max(1, Math.ceil(scene.height / 24) * 24);
  const current = canvas.height / dpr;
  if (keep && h <= current && current - h < 160 && canvas.width === Math.round(w * dpr)) h = current;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  if (background) {
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, w, h);
  }
  let font = '';
  for (const it of scene.items) {
    ctx.globalAlpha = it.alpha ?? 1;
    switch (it.t) {
      case 'rect':
        if (it.fill) {
          ctx.fillStyle = it.fill;
          if (it.r) {
            ctx.beginPath();
            ctx.roundRect(it.x, it.y, it.w, it.h, it.r);
            ctx.fill();
          } else ctx.fillRect(it.x, it.y, it.w, it.h);
        }
        if (it.hatch) {
          ctx.strokeStyle = it.hatch;
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.moveTo(it.x + 1, it.y + it.h - 1);
          ctx.lineTo(it.x + it.w - 1, it.y + 1);
          ctx.stroke();
        }
        if (it.stroke) {
          ctx.strokeStyle = it.stroke;
          ctx.lineWidth = it.lw ?? 1;
          ctx.beginPath();
          if (it.r) ctx.roundRect(it.x, it.y, it.w, it.h, it.r);
          else ctx.rect(it.x, it.y, it.w, it.h);
          ctx.stroke();
        }
        break;
      case 'bitmap':
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(bitmapCanvas(it), it.x, it.y, it.w, it.h);
        break;
      case 'line':
      case 'curve':
        ctx.strokeStyle = it.stroke;
        ctx.lineWidth = it.lw ?? 1;
        ctx.setLineDash(it.dash ?? []);
        ctx.beginPath();
        ctx.moveTo(it.x1, it.y1);
        if (it.t === 'curve') {
          const mx = (it.x1 + it.x2) / 2;
          ctx.bezierCurveTo(mx, it.y1, mx, it.y2, it.x2, it.y2);
        } else ctx.lineTo(it.x2, it.y2);
        ctx.stroke();
        ctx.setLineDash([]);
        break;
      case 'text': {
        const f = fontOf(fonts, it);
        if (f !== font) ctx.font = font = f;
        ctx.fillStyle = it.fill;
        ctx.textAlign = it.anchor === 'middle' ? 'center' : it.anchor === 'end' ? 'right' : 'left';
        ctx.textBaseline = it.baseline ?? 'middle';
        if (it.rotate) {
          ctx.save();
          ctx.translate(it.x, it.y);
          ctx.rotate((it.rotate * Math.PI) / 180);
          ctx.fillText(it.s, 0, 0);
          ctx.restore();
        } else ctx.fillText(it.s, it.x, it.y);
        break;
      }
    }
  }
  ctx.globalAlpha = 1;
}

const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
// Characters XML 1.0 forbids (controls, lone surrogates, U+FFFE/FFFF) would make the file unreadable.
const xmlSafe = (s) =>
  esc(
    String(s).replace(
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '\ufffd',
    ),
  );
const n = (x) => (Math.round(x * 100) / 100).toString();

/** The scene as a standalone SVG document. */
export function toSVG(scene, fonts, background, title) {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(scene.width)}" height="${n(scene.height)}" viewBox="0 0 ${n(scene.width)} ${n(scene.height)}">`,
  ];
  if (title) out.push(`<title>${xmlSafe(title)}</title>`);
  if (background) out.push(`<rect width="100%" height="100%" fill="${esc(background)}"/>`);
  for (const it of scene.items) {
    const a = it.alpha !== undefined && it.alpha !== 1 ? ` opacity="${n(it.alpha)}"` : '';
    switch (it.t) {
      case 'rect': {
        const r = it.r ? ` rx="${n(it.r)}"` : '';
        const stroke = it.stroke ? ` stroke="${esc(it.stroke)}" stroke-width="${n(it.lw ?? 1)}"` : '';
        out.push(
          `<rect x="${n(it.x)}" y="${n(it.y)}" width="${n(it.w)}" height="${n(it.h)}"${r} fill="${it.fill ? esc(it.fill) : 'none'}"${stroke}${a}/>`,
        );
        if (it.hatch)
          out.push(
            `<line x1="${n(it.x + 1)}" y1="${n(it.y + it.h - 1)}" x2="${n(it.x + it.w - 1)}" y2="${n(it.y + 1)}" stroke="${esc(it.hatch)}"${a}/>`,
          );
        break;
      }
      case 'bitmap':
        out.push(
          `<image x="${n(it.x)}" y="${n(it.y)}" width="${n(it.w)}" height="${n(it.h)}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${bitmapCanvas(it).toDataURL('image/png')}"/>`,
        );
        break;
      case 'line':
        out.push(
          `<line x1="${n(it.x1)}" y1="${n(it.y1)}" x2="${n(it.x2)}" y2="${n(it.y2)}" stroke="${esc(it.stroke)}" stroke-width="${n(it.lw ?? 1)}"${it.dash ? ` stroke-dasharray="${it.dash.join(' ')}"` : ''}${a}/>`,
        );
        break;
      case 'curve': {
        const mx = (it.x1 + it.x2) / 2;
        out.push(
          `<path d="M${n(it.x1)} ${n(it.y1)}C${n(mx)} ${n(it.y1)} ${n(mx)} ${n(it.y2)} ${n(it.x2)} ${n(it.y2)}" fill="none" stroke="${esc(it.stroke)}" stroke-width="${n(it.lw ?? 1)}"${a}/>`,
        );
        break;
      }
      case 'text': {
        const anchor = it.anchor && it.anchor !== 'start' ? ` text-anchor="${it.anchor}"` : '';
        const rot = it.rotate ? ` transform="rotate(${n(it.rotate)} ${n(it.x)} ${n(it.y)})"` : '';
        const base =
          (it.baseline ?? 'middle') === 'middle'
            ? ' dominant-baseline="central"'
            : it.baseline === 'top'
              ? ' dominant-baseline="hanging"'
              : '';
        out.push(
          `<text x="${n(it.x)}" y="${n(it.y)}" font-family="${esc(it.mono ? fonts.mono : fonts.sans)}" font-size="${it.size ?? 12}"${it.weight ? ` font-weight="${it.weight}"` : ''} fill="${esc(it.fill)}"${anchor}${base}${rot}${a} xml:space="preserve">${xmlSafe(it.s)}</text>`,
        );
        break;
      }
    }
  }
  out.push('</svg>\n');
  return out.join('\n');
}
