// attnscope/worker: the engine's API in a Web Worker (or a Node worker
// thread), so a page's main thread never blocks on compute. Calls run one at a
// time in order; an AbortSignal drops a queued call, or stops a running one by
// replacing the worker.
import { AttnscopeError } from './errors.js';
import type { AttentionInput, AttentionOutput, MemoryStats, MultiHeadInput, MultiHeadOutput } from './types.js';
import { buffersOf, type CallMessage, type InitMessage, type Op, type Reply } from './worker-protocol.js';

export { AttnscopeError, type ErrorCode } from './errors.js';
export type * from './types.js';

export interface WorkerEngineOptions {
  /** The worker script; defaults to worker-main.js beside this module. */
  workerUrl?: string | URL;
  /** The wasm for the worker to load (a URL, or a compiled module); the worker's default otherwise. */
  wasm?: string | URL | WebAssembly.Module;
}

export interface CallOptions {
  /** Aborting rejects the call with code 'aborted'. */
  signal?: AbortSignal;
  /** Transfer the input's typed-array buffers to the worker instead of copying (they become detached here). */
  transfer?: boolean;
}

interface Channel {
  post(message: InitMessage | CallMessage, transfer: ArrayBuffer[]): void;
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
}

function aborted(): AttnscopeError {
  return new AttnscopeError('aborted', 'the call was aborted');
}

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

export class WorkerEngine {
  readonly #url: URL;
  readonly #wasm?: string | WebAssembly.Module;
  #channel: Promise<Channel> | null = null;
  #ready: Promise<string> | null = null;
  #queue: Job[] = [];
  #running: Job | null = null;
  #nextId = 1;
  #disposed = false;

  private constructor(options: WorkerEngineOptions) {
    this.#url = new URL(options.workerUrl ?? './worker-main.js', import.meta.url);
    const wasm = options.wasm;
    this.#wasm = wasm instanceof URL ? wasm.href : wasm;
    const disposeSymbol = (Symbol as { dispose?: symbol }).dispose;
    if (disposeSymbol) (this as unknown as Record<symbol, () => void>)[disposeSymbol] = () => this.dispose();
  }

  /** Starts the worker and waits until its engine is ready. */
  static async create(options: WorkerEngineOptions = {}): Promise<WorkerEngine> {
    const engine = new WorkerEngine(options);
    await engine.#start();
    return engine;
  }

  attention(input: AttentionInput, options?: CallOptions): Promise<AttentionOutput> {
    return this.#call('attention', input, options) as Promise<AttentionOutput>;
  }

  multiHeadAttention(input: MultiHeadInput, options?: CallOptions): Promise<MultiHeadOutput> {
    return this.#call('multiHeadAttention', input, options) as Promise<MultiHeadOutput>;
  }

  memory(): Promise<MemoryStats> {
    return this.#call('memory', undefined) as Promise<MemoryStats>;
  }

  get simdArch(): Promise<string> {
    return this.#start();
  }

  /** Stops the worker; pending calls reject with 'disposed'. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const err = new AttnscopeError('disposed', 'this engine has been disposed');
    for (const job of [...this.#queue, ...(this.#running ? [this.#running] : [])]) this.#settle(job, err);
    this.#queue = [];
    this.#running = null;
    void this.#channel?.then((c) => c.terminate());
    this.#channel = null;
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
    this.#channel = spawn(
      this.#url,
      (reply) => {
        if (reply.type === 'ready') {
          ready(reply.simdArch);
          this.#idle();
        } else if (reply.type === 'failed') crash(reply.error.message);
        else this.#onResult(reply);
      },
      crash,
    );
    this.#channel.then(
      (c) => c.post({ type: 'init', wasm: this.#wasm }, []),
      (err: unknown) => crash(String(err)),
    );
    // A failed start is retried by the next call.
    readyPromise.catch(() => {
      if (this.#ready === readyPromise) this.#ready = null;
    });
    return readyPromise;
  }

  // The worker died or was replaced: the running call fails, queued ones go to the next worker.
  #restart(err: AttnscopeError): void {
    void this.#channel?.then((c) => c.terminate());
    this.#channel = null;
    this.#ready = null;
    if (this.#running) this.#settle(this.#running, err);
    this.#running = null;
    if (this.#queue.length && !this.#disposed) this.#pump();
  }

  #call(op: Op, input: unknown, options: CallOptions = {}): Promise<unknown> {
    if (this.#disposed) return Promise.reject(new AttnscopeError('disposed', 'this engine has been disposed'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(aborted());
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.#nextId++, op, input, transfer: !!options.transfer, signal, resolve, reject };
      if (signal) {
        job.onAbort = () => {
          if (this.#running === job)
            this.#restart(aborted()); // compute cannot be interrupted: replace the worker
          else {
            this.#queue = this.#queue.filter((j) => j !== job);
            this.#settle(job, aborted());
          }
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  // Lets Node exit when nothing is pending.
  #idle(): void {
    if (!this.#running && !this.#queue.length) void this.#channel?.then((c) => c.keepAlive(false));
  }

  #pump(): void {
    if (this.#running || this.#disposed) return;
    const job = this.#queue.shift();
    if (!job) {
      this.#idle();
      return;
    }
    this.#running = job;
    this.#start()
      .then(() => this.#channel!)
      .then((channel) => {
        if (this.#running !== job) return; // aborted meanwhile
        channel.keepAlive(true);
        channel.post(
          { type: 'call', id: job.id, op: job.op, input: job.input },
          job.transfer ? buffersOf(job.input) : [],
        );
      })
      .catch((err: unknown) => {
        if (this.#running !== job) return;
        this.#running = null;
        this.#settle(job, err instanceof AttnscopeError ? err : new AttnscopeError('invalid_argument', String(err)));
        this.#pump();
      });
  }

  #onResult(reply: Extract<Reply, { type: 'result' }>): void {
    const job = this.#running;
    if (!job || job.id !== reply.id) return; // a stale reply from before an abort
    this.#running = null;
    if (reply.ok) this.#settle(job, undefined, reply.value);
    else this.#settle(job, AttnscopeError.from(reply.error));
    this.#pump();
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
