/** How query i scores key j before the softmax. */
export type Scoring = 'dot' | 'scaled_dot' | 'general' | 'additive';

/** Row-major float data: a Float32Array, or any array-like of numbers (copied once). */
export type FloatData = Float32Array | ArrayLike<number>;

export interface Mask {
  /** Query i sees keys j <= i + (s - t): the lower triangle when t == s. */
  causal?: boolean;
  /** One flag per key; true / nonzero marks padding, which is ignored. */
  keyPadding?: ArrayLike<boolean | number>;
}

/**
 * Learned parameters of the general and additive scorings. For multi-head
 * attention each one stacks the heads: W [heads*dh, dh], W1/W2 [heads*hidden, dh],
 * v/b1/b2 [heads*hidden].
 */
export interface ScoringParams {
  /** general: e_ij = q_i^T W k_j, W [dq, dk]. */
  W?: FloatData;
  /** additive: e_ij = v^T tanh(W1 q_i + b1 + W2 k_j + b2); W1 [hidden, dq]. */
  W1?: FloatData;
  /** additive: W2 [hidden, dk]. */
  W2?: FloatData;
  /** additive: v [hidden]. */
  v?: FloatData;
  b1?: FloatData;
  b2?: FloatData;
  /** additive hidden size; inferred from v's length when omitted. */
  hidden?: number;
}

export interface AttentionShape {
  /** Number of queries (rows of q). */
  t: number;
  /** Number of keys and values (rows of k and v). */
  s: number;
  /** Query width (columns of q). */
  d: number;
  /** Key width; defaults to d. */
  dk?: number;
  /** Value width; defaults to dk. */
  dv?: number;
  /**
   * Independent heads computed in one call (default 1): q [heads, t, d],
   * k [heads, s, dk], v [heads, s, dv], head after head; general and additive
   * params stack per head (W [heads*d, dk], W1 [heads*hidden, d], ...).
   */
  heads?: number;
}

export interface AttentionInput {
  q: FloatData; // [t, d]
  k: FloatData; // [s, dk]
  v: FloatData; // [s, dv]
  shape: AttentionShape;
  /** Defaults to 'scaled_dot'. */
  scoring?: Scoring;
  params?: ScoringParams;
  mask?: Mask;
  /** softmax(e / temperature); within [1e-6, 1e6]; defaults to 1. */
  temperature?: number;
  /** Return the raw scores too (default true); false saves their copy out of wasm. */
  withScores?: boolean;
  /**
   * Arrays to write the results into instead of fresh ones: each a Float32Array
   * of exactly the result's length, and the result returns it. A call in a
   * loop that passes its last result as `out` allocates nothing in JS (a
   * fresh 12 MB array costs Chromium several ms). Left untouched on an error.
   * Main thread only: a worker's results arrive as transferred arrays.
   */
  out?: AttentionOutArrays;
}

/** Where attention() may write its results (any subset). */
export interface AttentionOutArrays {
  scores?: Float32Array;
  weights?: Float32Array;
  context?: Float32Array;
}

export interface AttentionOutput {
  /** e_ij after scoring and scaling; -Infinity where masked. [heads, t, s] */
  scores: Float32Array;
  /** alpha = softmax(e / temperature); rows sum to 1, or are all 0 when fully masked. [heads, t, s] */
  weights: Float32Array;
  /** c_i = sum_j alpha_ij v_j. [heads, t, dv] */
  context: Float32Array;
  shape: { heads: number; t: number; s: number; dv: number };
}

/** What attention() returns when called with withScores: false. */
export type AttentionWeightsOutput = Omit<AttentionOutput, 'scores'>;

/** Projection weights in torch's Linear layout: W [out, in], y = x W^T + b. */
export interface MultiHeadWeights {
  wq: FloatData; // [dModel, dIn]
  wk: FloatData; // [dModel, dKeyIn]
  wv: FloatData; // [dModel, dValueIn]
  wo: FloatData; // [dModel, dModel]
  bq?: FloatData;
  bk?: FloatData;
  bv?: FloatData;
  bo?: FloatData;
}

export interface MultiHeadShape {
  t: number;
  /** Key/value rows; defaults to t (self-attention). */
  s?: number;
  dModel: number;
  heads: number;
  /** Width of query rows; defaults to dModel. */
  dIn?: number;
  /** Width of key rows; defaults to dIn. */
  dKeyIn?: number;
  /** Width of value rows; defaults to dKeyIn. */
  dValueIn?: number;
}

export interface MultiHeadInput {
  query: FloatData; // [t, dIn]
  /** Defaults to query (self-attention). [s, dKeyIn] */
  key?: FloatData;
  /** Defaults to key. [s, dValueIn] */
  value?: FloatData;
  shape: MultiHeadShape;
  weights: MultiHeadWeights;
  scoring?: Scoring;
  params?: ScoringParams;
  mask?: Mask;
  temperature?: number;
}

/** A multi-head attention layer's fixed part: its widths, weights and scoring. */
export interface MultiHeadLayerSpec {
  shape: Omit<MultiHeadShape, 't' | 's'>;
  weights: MultiHeadWeights;
  scoring?: Scoring;
  params?: ScoringParams;
}

/** One run of a layer: the inputs, their lengths, the mask and temperature. */
export interface MultiHeadRunInput {
  query: FloatData; // [t, dIn]
  /** Defaults to query (self-attention). [s, dKeyIn] */
  key?: FloatData;
  /** Defaults to key. [s, dValueIn] */
  value?: FloatData;
  /** s defaults to t. */
  shape: { t: number; s?: number };
  mask?: Mask;
  temperature?: number;
  /** Arrays to write the results into, as AttentionInput.out (main thread only). */
  out?: { weights?: Float32Array; output?: Float32Array };
}

export interface MultiHeadOutput {
  /** Per-head attention weights. [heads, t, s] */
  weights: Float32Array;
  /** Output after the output projection. [t, dModel] */
  output: Float32Array;
  shape: { heads: number; t: number; s: number; dModel: number };
}

export interface MemoryStats {
  /** Bytes currently allocated on the wasm heap. */
  heapUsed: number;
  /** Current size of the wasm memory in bytes (it grows, never shrinks). */
  heapSize: number;
}

/** The calls an engine answers, on the main thread or in a worker. */
export interface AttentionApi {
  attention(
    input: AttentionInput,
  ): AttentionOutput | AttentionWeightsOutput | Promise<AttentionOutput | AttentionWeightsOutput>;
  multiHeadAttention(input: MultiHeadInput): MultiHeadOutput | Promise<MultiHeadOutput>;
}
