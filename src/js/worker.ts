// attnscope/worker: the engine's API in a Web Worker (or a Node worker
// thread), so a page's main thread never blocks on compute.
//
// Compute calls (attention, model runs) go to the worker one at a time, in
// order; downloads (loadModel, loadPreset) run alongside them. An AbortSignal
// drops a queued call, cancels a download in place, and for a running compute
// call rejects at once: when the worker holds no models it is replaced (wasm
// compute cannot be interrupted), otherwise its result is discarded.
import { AttnscopeError } from './errors.js';
import type { ModelInfo, ModelOutput, ModelSources, RunOptions, RunResult } from './model.js';
import type { PresetOptions } from './presets.js';
import type { SimdBuild } from './loader.js';
import type { LoadOptions } from './sources.js';
import type {
  AttentionInput,
  AttentionOutput,
  AttentionWeightsOutput,
  MemoryStats,
  MultiHeadInput,
  MultiHeadLayerSpec,
  MultiHeadOutput,
  MultiHeadRunInput,
} from './types.js';
import type { LayerShape } from './wire.js';
import { ASYNC_OPS, buffersOf, type Op, type Reply, type Request } from './worker-protocol.js';

export { AttnscopeError, type ErrorCode } from './errors.js';
export type * from './types.js';
export type { ModelInfo, ModelOutput, ModelSources, RunOptions, RunResult, Token } from './model.js';
export type { LoadOptions, Progress, Source } from './sources.js';
export type { SimdBuild } from './loader.js';

export interface WorkerEngineOptions {
  /** The worker script; defaults to worker-main.js beside this module. */
  workerUrl?: string | URL;
  /** The wasm for the worker to load (a URL, or a compiled module); the worker's default otherwise. */
  wasm?: string | URL | WebAssembly.Module;
  /** Which default wasm the worker loads (see EngineOptions.simd). */
  simd?: SimdBuild;
}

export interface CallOptions {
  /** Aborting rejects the call with code 'aborted'. */
  signal?: AbortSignal;
  /** Transfer the input's typed-array buffers to the worker instead of copying (they become detached here). */
  transfer?: boolean;
}

interface Channel {
  post(message: Request, transfer: ArrayBuffer[]): void;
  terminate(): void;
  /** Node: whether the worker keeps the process alive (only while calls are pending). */
  keepAlive(on: boolean): void;
}

interface Job {
  id: number;
  op: Op;
  input: unknown;
  transfer: boolean;
  signal?: AbortSignal;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  onAbort?: () => void;
  onProgress?: (p: unknown) => void;
  onSize?: (bytes: number | undefined) => void;
  /** Rejected already; its reply is ignored. */
  abandoned?: boolean;
}

const aborted = () => new AttnscopeError('aborted', 'the call was aborted');
const disposedError = () => new AttnscopeError('disposed', 'this engine has been disposed');

async function spawn(url: URL, onReply: (r: Reply) => void, onCrash: (message: string) => void): Promise<Channel> {
  if (typeof Worker === 'function') {
    const w = new Worker(url, { type: 'module', name: 'attnscope' });
    w.onmessage = (e: MessageEvent<Reply>) => onReply(e.data);
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      onCrash(e.message || 'the worker failed to start');
    };
    return { post: (m, t) => w.postMessage(m, t), terminate: () => w.terminate(), keepAlive: () => {} };
  }
  const { Worker: NodeWorker } = await import(/* webpackIgnore: true */ 'node:worker_threads');
  const w = new NodeWorker(url);
  w.on('message', onReply);
  w.on('error', (err: Error) => onCrash(err.message));
  return {
    post: (m, t) => w.postMessage(m, t),
    terminate: () => void w.terminate(),
    keepAlive: (on) => (on ? w.ref() : w.unref()), // an idle engine must not keep Node alive
  };
}

/** Something living in the worker (a model, a layer), addressed by a handle. */
abstract class WorkerObject {
  readonly #engine: WorkerEngine;
  readonly #handle: number;
  readonly #generation: number;
  readonly #kind: 'model' | 'layer';
  #disposed = false;

  constructor(engine: WorkerEngine, handle: number, generation: number, kind: 'model' | 'layer') {
    this.#engine = engine;
    this.#handle = handle;
    this.#generation = generation;
    this.#kind = kind;
    const disposeSymbol = (Symbol as { dispose?: symbol }).dispose;
    if (disposeSymbol) (this as unknown as Record<symbol, () => void>)[disposeSymbol] = () => this.dispose();
  }

  get disposed(): boolean {
    return this.#disposed || this.#engine.generation !== this.#generation;
  }

  /** Frees it in the worker. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.#disposed = true;
    this.#engine.objectDisposed();
    const op = this.#kind === 'model' ? 'disposeModel' : 'disposeLayer';
    void this.#engine.call(op, { [this.#kind]: this.#handle }).catch(() => {});
  }

  protected send(op: Op, input: Record<string, unknown>, options?: CallOptions): Promise<unknown> {
    if (this.disposed) return Promise.reject(new AttnscopeError('disposed', `this ${this.#kind} has been disposed`));
    return this.#engine.call(op, { ...input, [this.#kind]: this.#handle }, options);
  }
}

/** A model living in the worker. */
export class WorkerModel extends WorkerObject {
  readonly info: ModelInfo;

  /** @internal Use WorkerEngine.loadModel. */
  constructor(engine: WorkerEngine, handle: number, info: ModelInfo, generation: number) {
    super(engine, handle, generation, 'model');
    this.info = info;
  }

  run(text: string, options: RunOptions & CallOptions = {}): Promise<RunResult> {
    const { signal, transfer, ...run } = options;
    return this.send('run', { text, options: run }, { signal, transfer }) as Promise<RunResult>;
  }

  runIds(ids: ArrayLike<number>, options: RunOptions & CallOptions = {}): Promise<ModelOutput> {
    const { signal, transfer, ...run } = options;
    return this.send('runIds', { ids: Array.from(ids), options: run }, { signal, transfer }) as Promise<ModelOutput>;
  }

  clearCache(): Promise<void> {
    return this.send('clearCache', {}) as Promise<void>;
  }
}

// Results come back from the worker as transferred arrays: writing them into
// the caller's `out` arrays would cost the copy `out` exists to avoid.
const hasOut = (input: unknown): boolean =>
  typeof input === 'object' && input !== null && (input as { out?: unknown }).out != null;
const outUnsupported = () =>
  new AttnscopeError('unsupported', 'out arrays are for the main-thread engine; worker results are transferred');

/** A multi-head attention layer living in the worker: weights sent once, runs send only inputs. */
export class WorkerMultiHeadLayer extends WorkerObject {
  readonly shape: Readonly<LayerShape>;

  /** @internal Use WorkerEngine.multiHeadLayer. */
  constructor(engine: WorkerEngine, handle: number, shape: LayerShape, generation: number) {
    super(engine, handle, generation, 'layer');
    this.shape = Object.freeze(shape);
  }

  run(input: MultiHeadRunInput, options: CallOptions = {}): Promise<MultiHeadOutput> {
    if (hasOut(input)) return Promise.reject(outUnsupported());
    return this.send('runLayer', { input }, options) as Promise<MultiHeadOutput>;
  }
}

export class WorkerEngine {
  readonly #url: URL;
  readonly #wasm?: string | WebAssembly.Module;
  readonly #simd?: SimdBuild;
  #channel: Promise<Channel> | null = null;
  #ready: Promise<string> | null = null;
  #queue: Job[] = [];
  #running: Job | null = null;
  #async = new Map<number, Job>();
  #nextId = 1;
  #models = 0;
  #disposed = false;
  /** Bumped whenever the worker is replaced: its models are gone. */
  generation = 0;

  private constructor(options: WorkerEngineOptions) {
    this.#url = new URL(options.workerUrl ?? './worker-main.js', import.meta.url);
    const wasm = options.wasm;
    this.#wasm = wasm instanceof URL ? wasm.href : wasm;
    this.#simd = options.simd;
    const disposeSymbol = (Symbol as { dispose?: symbol }).dispose;
    if (disposeSymbol) (this as unknown as Record<symbol, () => void>)[disposeSymbol] = () => this.dispose();
  }

  /** Starts the worker and waits until its engine is ready. */
  static async create(options: WorkerEngineOptions = {}): Promise<WorkerEngine> {
    const engine = new WorkerEngine(options);
    await engine.#start();
    return engine;
  }

  attention(input: AttentionInput & { withScores: false }, options?: CallOptions): Promise<AttentionWeightsOutput>;
  attention(input: AttentionInput, options?: CallOptions): Promise<AttentionOutput>;
  attention(input: AttentionInput, options?: CallOptions): Promise<AttentionOutput | AttentionWeightsOutput> {
    if (hasOut(input)) return Promise.reject(outUnsupported());
    return this.call('attention', input, options) as Promise<AttentionOutput | AttentionWeightsOutput>;
  }

  multiHeadAttention(input: MultiHeadInput, options?: CallOptions): Promise<MultiHeadOutput> {
    return this.call('multiHeadAttention', input, options) as Promise<MultiHeadOutput>;
  }

  /** A multi-head attention layer in the worker; its weights are sent (and copied into wasm) once. */
  async multiHeadLayer(spec: MultiHeadLayerSpec, options: CallOptions = {}): Promise<WorkerMultiHeadLayer> {
    const r = (await this.call('createLayer', { spec }, options)) as { layer: number; shape: LayerShape };
    this.#models++;
    return new WorkerMultiHeadLayer(this, r.layer, r.shape, this.generation);
  }

  memory(): Promise<MemoryStats> {
    return this.call('memory', undefined) as Promise<MemoryStats>;
  }

  /** Loads a model in the worker (sources: bytes, Blobs or URLs; progress reported here). */
  async loadModel(sources: ModelSources, options: LoadOptions = {}): Promise<WorkerModel> {
    const { signal, onProgress } = options;
    const r = (await this.call('loadModel', { sources }, { signal }, { onProgress })) as {
      model: number;
      info: ModelInfo;
    };
    this.#models++;
    return new WorkerModel(this, r.model, r.info, this.generation);
  }

  /** Loads a preset ('gpt2', ...) or a hub repository in the worker. */
  async loadPreset(
    name: string,
    options: LoadOptions & PresetOptions & { onSize?: (bytes: number | undefined) => void } = {},
  ): Promise<WorkerModel> {
    const { signal, onProgress, onSize, ...preset } = options;
    const r = (await this.call('loadPreset', { name, options: preset }, { signal }, { onProgress, onSize })) as {
      model: number;
      info: ModelInfo;
    };
    this.#models++;
    return new WorkerModel(this, r.model, r.info, this.generation);
  }

  /** The worker engine's SIMD instruction set: 'wasm' or 'wasm+relaxed' (see Engine.simdArch). */
  get simdArch(): Promise<string> {
    return this.#start();
  }

  /** Stops the worker; pending calls reject with 'disposed'. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.generation++;
    for (const job of [...this.#queue, ...this.#async.values(), ...(this.#running ? [this.#running] : [])])
      this.#settle(job, disposedError());
    this.#queue = [];
    this.#async.clear();
    this.#running = null;
    void this.#channel?.then((c) => c.terminate());
    this.#channel = null;
  }

  /** @internal */
  objectDisposed(): void {
    this.#models = Math.max(0, this.#models - 1);
  }

  /** @internal Sends one call; compute calls queue, async ones go at once. */
  call(
    op: Op,
    input: unknown,
    options: CallOptions = {},
    callbacks: { onProgress?: (p: never) => void; onSize?: (b: number | undefined) => void } = {},
  ): Promise<unknown> {
    if (this.#disposed) return Promise.reject(disposedError());
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(aborted());
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.#nextId++,
        op,
        input,
        transfer: !!options.transfer,
        signal,
        resolve,
        reject,
        onProgress: callbacks.onProgress as ((p: unknown) => void) | undefined,
        onSize: callbacks.onSize,
      };
      if (signal) {
        job.onAbort = () => this.#abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      if (ASYNC_OPS.has(op)) {
        this.#async.set(job.id, job);
        this.#post(job);
      } else {
        this.#queue.push(job);
        this.#pump();
      }
    });
  }

  #abort(job: Job): void {
    if (this.#async.has(job.id)) {
      this.#async.delete(job.id);
      void this.#channel?.then((c) => c.post({ type: 'abort', id: job.id }, []));
      this.#settle(job, aborted());
    } else if (this.#running === job) {
      if (this.#models === 0 && this.#async.size === 0) {
        this.#restart(aborted()); // nothing to lose: replace the busy worker
      } else {
        job.abandoned = true; // the worker finishes it; the reply is ignored
        this.#settle(job, aborted());
      }
    } else {
      this.#queue = this.#queue.filter((j) => j !== job);
      this.#settle(job, aborted());
    }
  }

  #start(): Promise<string> {
    if (this.#ready) return this.#ready;
    let ready!: (arch: string) => void;
    let fail!: (err: AttnscopeError) => void;
    const readyPromise = new Promise<string>((res, rej) => {
      ready = res;
      fail = rej;
    });
    this.#ready = readyPromise;
    const crash = (message: string) => {
      const err = new AttnscopeError('load_failed', `attnscope worker: ${message}`);
      fail(err);
      this.#restart(err);
    };
    this.#channel = spawn(this.#url, (reply) => this.#onReply(reply, ready, crash), crash);
    this.#channel.then(
      (c) => c.post({ type: 'init', wasm: this.#wasm, simd: this.#simd }, []),
      (err: unknown) => crash(String(err)),
    );
    readyPromise.catch(() => {
      if (this.#ready === readyPromise) this.#ready = null; // a failed start is retried by the next call
    });
    return readyPromise;
  }

  #onReply(reply: Reply, ready: (arch: string) => void, crash: (message: string) => void): void {
    switch (reply.type) {
      case 'ready':
        ready(reply.simdArch);
        this.#idle();
        return;
      case 'failed':
        crash(reply.error.message);
        return;
      case 'progress':
        this.#async.get(reply.id)?.onProgress?.(reply.progress);
        return;
      case 'size':
        this.#async.get(reply.id)?.onSize?.(reply.bytes);
        return;
      case 'result': {
        const job = this.#async.get(reply.id) ?? (this.#running?.id === reply.id ? this.#running : undefined);
        if (!job) return; // a reply to an aborted download
        if (this.#running === job) this.#running = null;
        this.#async.delete(job.id);
        if (!job.abandoned) {
          if (reply.ok) this.#settle(job, undefined, reply.value);
          else this.#settle(job, AttnscopeError.from(reply.error));
        }
        this.#pump();
      }
    }
  }

  // The worker died or was replaced: everything in it is gone.
  #restart(err: AttnscopeError): void {
    void this.#channel?.then((c) => c.terminate());
    this.#channel = null;
    this.#ready = null;
    this.generation++;
    this.#models = 0;
    if (this.#running && !this.#running.abandoned) this.#settle(this.#running, err);
    this.#running = null;
    for (const job of this.#async.values()) this.#settle(job, err);
    this.#async.clear();
    if (this.#queue.length && !this.#disposed) this.#pump();
  }

  // Lets Node exit when nothing is pending.
  #idle(): void {
    if (!this.#running && !this.#queue.length && !this.#async.size) void this.#channel?.then((c) => c.keepAlive(false));
  }

  #post(job: Job): void {
    this.#start()
      .then(() => this.#channel!)
      .then((channel) => {
        if (this.#running !== job && !this.#async.has(job.id)) return; // aborted meanwhile
        channel.keepAlive(true);
        channel.post(
          { type: 'call', id: job.id, op: job.op, input: job.input },
          job.transfer ? buffersOf(job.input) : [],
        );
      })
      .catch((err: unknown) => {
        const wasRunning = this.#running === job;
        if (!wasRunning && !this.#async.has(job.id)) return;
        if (wasRunning) this.#running = null;
        this.#async.delete(job.id);
        this.#settle(job, err instanceof AttnscopeError ? err : new AttnscopeError('invalid_argument', String(err)));
        this.#pump();
      });
  }

  #pump(): void {
    if (this.#running || this.#disposed) return;
    const job = this.#queue.shift();
    if (!job) {
      this.#idle();
      return;
    }
    this.#running = job;
    this.#post(job);
  }

  #settle(job: Job, err?: unknown, value?: unknown): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (err) job.reject(err);
    else job.resolve(value);
  }
}

/** Starts an engine in a worker. Same calls as Engine, returning promises. */
export function createWorkerEngine(options?: WorkerEngineOptions): Promise<WorkerEngine> {
  return WorkerEngine.create(options);
}
