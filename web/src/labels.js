// Token text as it is shown: safe to draw anywhere, short, visible.
// Control and bidirectional-formatting characters (RTL overrides, isolates,
// zero-width joiners...) are shown as their code, so a token can never reorder
// or hide the text around it; lone surrogates show as U+FFFD.
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8]/g;
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const code = (c) => `‹U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}›`;

/** Exact text, made visible: spaces as ␣, newlines as ⏎, tabs as ⇥, invisibles as ‹U+XXXX›. */
export function visible(s) {
  return String(s)
    .replace(LONE, '\ufffd')
    .replace(/ /g, '␣')
    .replace(/\n/g, '⏎')
    .replace(/\t/g, '⇥')
    .replace(INVISIBLE, code);
}

/** Short label for pictures: outer spaces dropped (a space-only token shows ␣), at most `max` characters. */
export function short(s, max = 14) {
  let t = String(s).replace(LONE, '\ufffd');
  const trimmed = t.trim();
  t =
    trimmed === ''
      ? visible(t)
      : trimmed.replace(/\n/g, '⏎').replace(/\t/g, '⇥').replace(INVISIBLE, code).replace(/\s+/g, ' ');
  const chars = Array.from(t);
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : t;
}

/** A number for people: 4 significant digits, small ones in e-notation. */
export function num(x, digits = 4) {
  if (x === Number.NEGATIVE_INFINITY) return '−∞';
  if (x === Number.POSITIVE_INFINITY) return '∞';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  const s = a >= 1e-3 && a < 1e5 ? x.toPrecision(digits) : x.toExponential(digits - 2);
  return s.replace('-', '−');
}

/** A weight in [0, 1] for a cell: ".42", "1", "0". */
export const cellNum = (w) => (w >= 0.995 ? '1' : w < 0.005 ? '0' : w.toFixed(2).replace(/^0/, ''));

export function bytes(n) {
  if (!Number.isFinite(n)) return '?';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(n < 10 * 1024 ** 2 ? 1 : 0)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
