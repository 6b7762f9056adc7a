// A real transformer in the engine: load Hugging Face files, run text, get
// every layer's and head's attention.
import type { AttnscopeModule, BufferHandle, ModelHandle, WireOk, WireResult } from './attnscope.mjs';
import { AttnscopeError } from './errors.js';
import { readBytes, readInto, type LoadOptions, type Source } from './sources.js';

export type { LoadOptions, Progress, Source } from './sources.js';

/** tokenizer.json, GPT-2's legacy vocab.json + merges.txt, or BERT's vocab.txt. */
export type TokenizerSource = Source | { vocab: Source; merges: Source } | { vocabTxt: Source; lowercase?: boolean };

export interface ModelSources {
  /** config.json */
  config: Source;
  /** model.safetensors (F32, F16 or BF16) */
  weights: Source;
  tokenizer: TokenizerSource;
}

export interface ModelInfo {
  architecture: 'gpt2' | 'bert';
  layers: number;
  heads: number;
  dModel: number;
  vocabSize: number;
  /** Longer texts are truncated to this many tokens (with a notice). */
  maxTokens: number;
  scoring: 'scaled_dot' | 'additive';
  parameters: number;
  /** GPT-2: each token attends to itself and earlier tokens only. */
  causal: boolean;
  tokenizer: 'bpe' | 'wordpiece';
}

export interface Token {
  id: number;
  /** Readable text of the token (byte-level pieces decoded; a leading space shown as a space). */
  text: string;
  /** UTF-16 range in the input string ([start, end), empty for special tokens). */
  start: number;
  end: number;
  special: boolean;
  /**
   * Byte-level BPE: the token holds only some bytes of a character (emoji, CJK);
   * every such token shows the whole character, so texts of a run repeat it.
   */
  partial: boolean;
}

export interface RunOptions {
  /** Also return every layer's hidden states [layers + 1, tokens, dModel]. */
  hiddenStates?: boolean;
  /** GPT-2: reuse the previous call's shared prefix (default true). */
  useCache?: boolean;
  addSpecialTokens?: boolean;
  /** Also return one head's q, k, v and raw scores (forces a full pass). */
  inspect?: { layer: number; head: number };
}

/** One head's inputs to attention, for showing the math step by step. */
export interface HeadInspection {
  layer: number;
  head: number;
  headDim: number;
  /** Projected queries, keys, values [tokens, headDim] each. */
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  /** e_ij after scoring and scaling (scaled_dot: q·k/sqrt(d)), -Infinity where masked [tokens, tokens]. */
  scores: Float32Array;
}

export interface ModelOutput {
  /** Attention weights [layers, heads, tokens, tokens]. */
  attentions: Float32Array;
  /** Final hidden states [tokens, dModel]. */
  lastHidden: Float32Array;
  hiddenStates?: Float32Array;
  shape: { layers: number; heads: number; tokens: number; dModel: number };
  /** Leading positions served from the key/value cache. */
  reused: number;
  /** Present when options.inspect asked for a head. */
  inspect?: HeadInspection;
}

export interface RunResult extends ModelOutput {
  tokens: Token[];
  /** Tokens in the whole text, before truncation. */
  totalTokens: number;
  /** Set when the text was longer than the model reads. */
  notice?: string;
}

const encoder = new TextEncoder();

/** byteToIndex[b] = UTF-16 index of the character holding UTF-8 byte b (TextEncoder's bytes). */
function utf8ToUtf16Map(text: string, byteLength: number): Uint32Array {
  const map = new Uint32Array(byteLength + 1);
  let b = 0;
  for (let i = 0; i < text.length;) {
    const c = text.codePointAt(i)!;
    const lone = c >= 0xd800 && c <= 0xdfff; // TextEncoder writes U+FFFD (3 bytes)
    const n = lone ? 3 : c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) map[b + k] = i;
    b += n;
    i += c >= 0x10000 ? 2 : 1;
  }
  map[byteLength] = text.length;
  return map;
}

/** UTF-16 index just past the character starting at i. */
function charEnd(text: string, i: number): number {
  return i + ((text.codePointAt(i) ?? 0) >= 0x10000 ? 2 : 1);
}

function okOf(r: WireResult): WireOk {
  if (!r.ok) throw AttnscopeError.from(r);
  return r;
}

function outputOf(f: Record<string, unknown>): ModelOutput {
  const out: ModelOutput = {
    attentions: f.attentions as Float32Array,
    lastHidden: f.lastHidden as Float32Array,
    shape: {
      layers: f.layers as number,
      heads: f.heads as number,
      tokens: f.tokens as number,
      dModel: f.dModel as number,
    },
    reused: f.reused as number,
  };
  if (f.hiddenStates) out.hiddenStates = f.hiddenStates as Float32Array;
  if (f.inspect) out.inspect = f.inspect as HeadInspection;
  return out;
}

export class Model {
  #handle: ModelHandle | null;
  readonly info: ModelInfo;

  /** @internal Use Engine.loadModel. */
  constructor(handle: ModelHandle) {
    this.#handle = handle;
    this.info = handle.info() as unknown as ModelInfo;
    const disposeSymbol = (Symbol as { dispose?: symbol }).dispose;
    if (disposeSymbol) (this as unknown as Record<symbol, () => void>)[disposeSymbol] = () => this.dispose();
  }

  /** Tokenizes `text` and runs the model: tokens and every head's attention. */
  run(text: string, options: RunOptions = {}): RunResult {
    if (typeof text !== 'string') throw new AttnscopeError('invalid_argument', 'text must be a string');
    const bytes = encoder.encode(text); // lone surrogates become U+FFFD here
    if (bytes.length > 1_000_000)
      throw new AttnscopeError('too_large', `the text is ${bytes.length} bytes; at most 1,000,000`);
    const r = okOf(this.#live().run(bytes, { ...options }));
    const map = utf8ToUtf16Map(text, bytes.length);
    type Raw = { id: number; text: string; begin: number; end: number; special: boolean; partial: boolean };
    const tokens = (r.tokens as Raw[]).map((t) => ({
      id: t.id,
      text: t.text,
      // A partial token's bytes start or end inside a character: widen to the whole character.
      start: map[t.begin]!,
      end: t.end > t.begin ? Math.max(map[t.end]!, charEnd(text, map[t.end - 1]!)) : map[t.begin]!,
      special: t.special,
      partial: t.partial,
    }));
    const result: RunResult = {
      ...outputOf(r.forward as Record<string, unknown>),
      tokens,
      totalTokens: r.totalTokens as number,
    };
    if (r.notice) result.notice = r.notice as string;
    return result;
  }

  /** Runs token ids directly (no tokenizer). */
  runIds(ids: ArrayLike<number>, options: RunOptions = {}): ModelOutput {
    if (!ids || typeof ids.length !== 'number')
      throw new AttnscopeError('invalid_argument', 'ids must be an array of integers');
    const checked = Int32Array.from(ids as ArrayLike<number>, (x) => {
      if (!Number.isInteger(x)) throw new AttnscopeError('invalid_argument', `token id ${String(x)} is not an integer`);
      return x;
    });
    const r = okOf(this.#live().runIds(checked, { ...options }));
    return outputOf(r.forward as Record<string, unknown>);
  }

  /** Forgets the key/value cache (the next run computes every row). */
  clearCache(): void {
    this.#live().clearCache();
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  /** Frees the model's wasm memory. Idempotent. */
  dispose(): void {
    this.#handle?.delete();
    this.#handle = null;
  }

  #live(): ModelHandle {
    if (!this.#handle) throw new AttnscopeError('disposed', 'this model has been disposed');
    return this.#handle;
  }
}

async function tokenizerSpec(source: TokenizerSource, options: LoadOptions): Promise<Record<string, unknown>> {
  if (source && typeof source === 'object' && 'merges' in source && 'vocab' in source) {
    const [vocab, merges] = await Promise.all([
      readBytes(source.vocab, 'vocab.json', options),
      readBytes(source.merges, 'merges.txt', options),
    ]);
    return { kind: 'gpt2-files', files: [vocab, merges] };
  }
  if (source && typeof source === 'object' && 'vocabTxt' in source)
    return {
      kind: 'bert-vocab',
      files: [await readBytes(source.vocabTxt, 'vocab.txt', options)],
      lowercase: source.lowercase ?? true,
    };
  return { kind: 'tokenizer.json', files: [await readBytes(source as Source, 'tokenizer', options)] };
}

/** Loads a model into `module`'s heap; the weights stream straight into wasm memory. */
export async function loadModel(
  module: AttnscopeModule,
  sources: ModelSources,
  options: LoadOptions = {},
): Promise<Model> {
  if (!sources || typeof sources !== 'object')
    throw new AttnscopeError('invalid_argument', 'loadModel needs { config, weights, tokenizer }');
  for (const key of ['config', 'weights', 'tokenizer'] as const)
    if (sources[key] === undefined || sources[key] === null)
      throw new AttnscopeError('invalid_argument', `loadModel: ${key} is missing`);
  let buffer: BufferHandle | null = null;
  let handle: ModelHandle | null = null;
  try {
    // All three downloads at once: the weights stream into wasm memory while
    // the small files arrive. A small file that fails stops the weights'
    // download (it may be hundreds of megabytes) and is the error reported.
    const inner = new AbortController();
    const stop = () => inner.abort();
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    const both = { ...options, signal: inner.signal };
    let smallError: unknown;
    const small = Promise.all([readBytes(sources.config, 'config', both), tokenizerSpec(sources.tokenizer, both)]);
    small.catch((err) => {
      smallError ??= err;
      stop();
    });
    try {
      await readInto(
        sources.weights,
        'weights',
        {
          allocate: (size) => {
            buffer?.delete();
            buffer = new module.Buffer(size);
            if (!buffer.ok())
              throw new AttnscopeError(
                'out_of_memory',
                `no room in the wasm heap for ${(size / 2 ** 20).toFixed(0)} MiB of weights`,
              );
          },
          write: (offset, chunk) => {
            if (!buffer!.write(offset, chunk))
              throw new AttnscopeError('internal', 'a chunk did not fit the weights buffer');
          },
        },
        both,
      );
    } catch (err) {
      await small.catch(() => {});
      throw smallError ?? err;
    }
    const [config, tokenizer] = await small.finally(() => options.signal?.removeEventListener('abort', stop));
    handle = new module.Model();
    okOf(handle.load(config, buffer!, tokenizer));
    const model = new Model(handle);
    handle = null;
    return model;
  } finally {
    (buffer as BufferHandle | null)?.delete(); // the model holds float32 copies; the file goes
    (handle as ModelHandle | null)?.delete();
  }
}
