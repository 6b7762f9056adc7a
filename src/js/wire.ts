// Turns the public inputs into what the bindings read (src/bindings): flat
// option objects for layers, a staged call for the attention op, checking
// every type first: C++ must never see a value of the wrong type, and a wrong
// length must fail before any copy.
import { AttnscopeError } from './errors.js';
import type { StagedArrays } from './staged.js';
import type {
  AttentionInput,
  Mask,
  MultiHeadInput,
  MultiHeadLayerSpec,
  MultiHeadRunInput,
  ScoringParams,
} from './types.js';

// In the order of attnscope::Scoring (src/attention/types.hpp): the staged
// attention call passes the index.
const SCORING_CODES = ['dot', 'scaled_dot', 'general', 'additive'];
const SCORINGS = new Set(SCORING_CODES);

function fail(code: 'invalid_argument' | 'shape_mismatch', message: string): never {
  throw new AttnscopeError(code, message);
}

function size(value: unknown, name: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    fail('invalid_argument', `${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as { length?: unknown }).length === 'number' &&
    Number.isSafeInteger((x as { length: number }).length)
  );
}

/** A Float32Array of exactly `expected` elements (the caller's own, or one copy). */
export function floats(x: unknown, name: string, expected: number): Float32Array {
  if (!isArrayLike(x)) fail('invalid_argument', `${name} must be a Float32Array or an array of numbers`);
  if (x.length !== expected) fail('shape_mismatch', `${name} has ${x.length} elements, its shape says ${expected}`);
  if (x instanceof Float32Array) return x;
  const out = new Float32Array(expected);
  for (let i = 0; i < expected; i++) {
    const v = x[i];
    if (typeof v !== 'number') fail('invalid_argument', `${name}[${i}] is not a number`);
    out[i] = v;
  }
  return out;
}

function optionalFloats(x: unknown, name: string, expected: number): Float32Array | undefined {
  return x === undefined || x === null ? undefined : floats(x, name, expected);
}

function scoringOf(x: unknown): string {
  if (x === undefined) return 'scaled_dot';
  if (typeof x !== 'string' || !SCORINGS.has(x))
    fail('invalid_argument', `scoring must be one of dot, scaled_dot, general, additive; got ${String(x)}`);
  return x;
}

function temperatureOf(x: unknown): number {
  if (x === undefined) return 1;
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0)
    fail('invalid_argument', `temperature must be a finite number > 0, got ${String(x)}`);
  return x;
}

function maskOf(mask: Mask | undefined, s: number): { causal: boolean; keyPadding?: Uint8Array } {
  if (mask === undefined || mask === null) return { causal: false };
  if (typeof mask !== 'object') fail('invalid_argument', 'mask must be an object');
  const causal = mask.causal ?? false;
  if (typeof causal !== 'boolean') fail('invalid_argument', 'mask.causal must be a boolean');
  const pad = mask.keyPadding;
  if (pad === undefined || pad === null) return { causal };
  if (!isArrayLike(pad)) fail('invalid_argument', 'mask.keyPadding must be an array of booleans or numbers');
  if (pad.length !== s) fail('shape_mismatch', `mask.keyPadding has ${pad.length} flags, expected one per key (${s})`);
  const keyPadding = new Uint8Array(s);
  for (let j = 0; j < s; j++) keyPadding[j] = pad[j] ? 1 : 0;
  return { causal, keyPadding };
}

/** Scoring parameters for `heads` stacked heads of query width dq and key width dk. */
function paramsOf(
  scoring: string,
  params: ScoringParams | undefined,
  heads: number,
  dq: number,
  dk: number,
): Record<string, unknown> {
  const p = params ?? {};
  if (typeof p !== 'object') fail('invalid_argument', 'params must be an object');
  if (scoring === 'general') {
    if (p.W === undefined) fail('invalid_argument', 'general scoring needs params.W');
    return { W: floats(p.W, 'params.W', heads * dq * dk) };
  }
  if (scoring === 'additive') {
    if (p.v === undefined || p.W1 === undefined || p.W2 === undefined)
      fail('invalid_argument', 'additive scoring needs params.W1, params.W2 and params.v');
    const vLength = isArrayLike(p.v) ? p.v.length : NaN;
    const hidden = size(p.hidden ?? vLength / heads, 'params.hidden');
    return {
      hidden,
      W1: floats(p.W1, 'params.W1', heads * hidden * dq),
      W2: floats(p.W2, 'params.W2', heads * hidden * dk),
      va: floats(p.v, 'params.v', heads * hidden),
      b1: optionalFloats(p.b1, 'params.b1', heads * hidden),
      b2: optionalFloats(p.b2, 'params.b2', heads * hidden),
    };
  }
  return {};
}

function objectOf(x: unknown, name: string): Record<string, unknown> {
  if (x === null || typeof x !== 'object') fail('invalid_argument', `${name} must be an object`);
  return x as Record<string, unknown>;
}

/**
 * The caller's result arrays (`out`) by result name, checked against the
 * results' lengths (`lengths`: result name -> elements; absent names are not
 * results of this call). Two of them may not share memory: the second copy
 * would overwrite the first. The previous result of the same call may be
 * passed as it is.
 */
function outArrays(out: unknown, lengths: Record<string, number>): Record<string, Float32Array> {
  if (out === undefined || out === null) return {};
  const o = objectOf(out, 'out');
  const wire: Record<string, Float32Array> = {};
  const taken: Array<[string, Float32Array]> = [];
  for (const [key, value] of Object.entries(o)) {
    // (A previous result is a valid `out`: its shape is not an array to fill.)
    if (value === undefined || value === null || key === 'shape') continue;
    if (!Object.prototype.hasOwnProperty.call(lengths, key))
      fail('invalid_argument', `out.${key} is not a result of this call (${Object.keys(lengths).join(', ')})`);
    if (!(value instanceof Float32Array)) fail('invalid_argument', `out.${key} must be a Float32Array`);
    if (value.length !== lengths[key])
      fail('shape_mismatch', `out.${key} has ${value.length} elements, the result has ${lengths[key]}`);
    for (const [other, a] of taken)
      if (
        a.buffer === value.buffer &&
        a.byteOffset < value.byteOffset + value.byteLength &&
        value.byteOffset < a.byteOffset + a.byteLength
      )
        fail('invalid_argument', `out.${key} and out.${other} share memory`);
    taken.push([key, value]);
    wire[key] = value;
  }
  return wire;
}

/** out arrays as the embind wire names them: outWeights, outOutput, ... */
function outKeys(out: Record<string, Float32Array>): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [`out${k[0].toUpperCase()}${k.slice(1)}`, v]));
}

/** The attention op's staged call (see staged.ts and src/bindings/core_handle.hpp). */
export interface AttentionWire {
  scalars: Record<string, number | boolean>;
  /** Inputs, and the results' element counts. */
  arrays: StagedArrays;
  /** The caller's arrays for results, by result name. */
  out: Record<string, Float32Array>;
  shape: { heads: number; t: number; s: number; dv: number };
  withScores: boolean;
}

export function attentionWire(input: AttentionInput): AttentionWire {
  const i = objectOf(input, 'the input') as unknown as AttentionInput;
  const shape = objectOf(i.shape, 'shape');
  const t = size(shape.t, 'shape.t');
  const s = size(shape.s, 'shape.s');
  const dq = size(shape.d, 'shape.d');
  const dk = size(shape.dk ?? dq, 'shape.dk');
  const dv = size(shape.dv ?? dk, 'shape.dv');
  const heads = size(shape.heads ?? 1, 'shape.heads');
  const scoring = scoringOf(i.scoring);
  const withScores = i.withScores ?? true;
  if (typeof withScores !== 'boolean') fail('invalid_argument', 'withScores must be a boolean');
  const q = floats(i.q, 'q', heads * t * dq);
  const k = floats(i.k, 'k', heads * s * dk);
  const v = floats(i.v, 'v', heads * s * dv);
  const temperature = temperatureOf(i.temperature);
  const { causal, keyPadding } = maskOf(i.mask, s);
  const { hidden, ...params } = paramsOf(scoring, i.params, heads, dq, dk);
  const results = { ...(withScores ? { scores: heads * t * s } : {}), weights: heads * t * s, context: heads * t * dv };
  return {
    scalars: {
      heads,
      t,
      s,
      dq,
      dk,
      dv,
      scoring: SCORING_CODES.indexOf(scoring),
      hidden: (hidden as number | undefined) ?? 0,
      temperature,
      causal,
      withScores,
    },
    arrays: { q, k, v, keyPadding, ...(params as StagedArrays), ...results },
    out: outArrays(i.out, results),
    shape: { heads, t, s, dv },
    withScores,
  };
}

/** The widths a layer was built with (what a run's inputs are checked against). */
export interface LayerShape {
  dIn: number;
  dKeyIn: number;
  dValueIn: number;
  dModel: number;
  heads: number;
}

export function layerSpecWire(spec: MultiHeadLayerSpec): { wire: Record<string, unknown>; shape: LayerShape } {
  const i = objectOf(spec, 'the layer spec') as unknown as MultiHeadLayerSpec;
  const sh = objectOf(i.shape, 'shape');
  const w = objectOf(i.weights, 'weights') as unknown as MultiHeadLayerSpec['weights'];
  const dModel = size(sh.dModel, 'shape.dModel');
  const heads = size(sh.heads, 'shape.heads');
  if (dModel % heads !== 0) fail('shape_mismatch', `${heads} heads do not divide the model width ${dModel}`);
  const dIn = size(sh.dIn ?? dModel, 'shape.dIn');
  const dKeyIn = size(sh.dKeyIn ?? dIn, 'shape.dKeyIn');
  const dValueIn = size(sh.dValueIn ?? dKeyIn, 'shape.dValueIn');
  const scoring = scoringOf(i.scoring);
  const dh = dModel / heads;
  const shape = { dIn, dKeyIn, dValueIn, dModel, heads };
  const wire = {
    ...shape,
    scoring,
    wq: floats(w.wq, 'weights.wq', dModel * dIn),
    wk: floats(w.wk, 'weights.wk', dModel * dKeyIn),
    wv: floats(w.wv, 'weights.wv', dModel * dValueIn),
    wo: floats(w.wo, 'weights.wo', dModel * dModel),
    bq: optionalFloats(w.bq, 'weights.bq', dModel),
    bk: optionalFloats(w.bk, 'weights.bk', dModel),
    bv: optionalFloats(w.bv, 'weights.bv', dModel),
    bo: optionalFloats(w.bo, 'weights.bo', dModel),
    ...paramsOf(scoring, i.params, heads, dh, dh),
  };
  return { wire, shape };
}

/**
 * A run of a layer of `shape`. Key and value that are the query (resp. the
 * key) are sent once: the bindings fall back to it, saving two copies.
 */
export function layerRunWire(input: MultiHeadRunInput, shape: LayerShape): Record<string, unknown> {
  const i = objectOf(input, 'the input') as unknown as MultiHeadRunInput;
  const sh = objectOf(i.shape, 'shape');
  const t = size(sh.t, 'shape.t');
  const s = size(sh.s ?? t, 'shape.s');
  const { dIn, dKeyIn, dValueIn, dModel, heads } = shape;
  const query = floats(i.query, 'query', t * dIn);
  const keyIsQuery = i.key === undefined || i.key === null || i.key === i.query;
  if (keyIsQuery && (s !== t || dKeyIn !== dIn))
    fail('invalid_argument', 'key and value are required unless they have the shape of query (self-attention)');
  const valueIsKey = i.value === undefined || i.value === null || i.value === (keyIsQuery ? i.query : i.key);
  if (valueIsKey && dValueIn !== dKeyIn) fail('invalid_argument', 'value is required unless it has the shape of key');
  return {
    t,
    s,
    query,
    key: keyIsQuery ? undefined : floats(i.key, 'key', s * dKeyIn),
    value: valueIsKey ? undefined : floats(i.value, 'value', s * dValueIn),
    temperature: temperatureOf(i.temperature),
    ...maskOf(i.mask, s),
    ...outKeys(outArrays(i.out, { weights: heads * t * s, output: t * dModel })),
  };
}

/** multiHeadAttention's one-shot input as a layer spec and a run. */
export function splitMultiHead(input: MultiHeadInput): { spec: MultiHeadLayerSpec; run: MultiHeadRunInput } {
  const i = objectOf(input, 'the input') as unknown as MultiHeadInput;
  const sh = objectOf(i.shape, 'shape') as unknown as MultiHeadInput['shape'];
  const { t, s, ...widths } = sh;
  return {
    spec: { shape: widths, weights: i.weights, scoring: i.scoring, params: i.params },
    run: { query: i.query, key: i.key, value: i.value, shape: { t, s }, mask: i.mask, temperature: i.temperature },
  };
}
