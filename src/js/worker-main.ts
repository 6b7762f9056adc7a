// The worker side of attnscope/worker: owns one Engine and its models.
// Compute calls run as they arrive (the client sends one at a time); loads
// are asynchronous and can be aborted in place. Runs as a module Web Worker,
// or a Node worker_threads worker.
import { createEngine, type Engine } from './index.js';
import { AttnscopeError } from './errors.js';
import type { Model } from './model.js';
import type { MultiHeadLayer } from './layer.js';
import { buffersOf, type Reply, type Request } from './worker-protocol.js';

interface Port {
  postMessage(message: Reply, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (data: Request) => void): void;
}

async function port(): Promise<Port> {
  const scope = globalThis as unknown as {
    postMessage?: (m: unknown, t?: unknown[]) => void;
    addEventListener?: (type: string, h: (e: MessageEvent) => void) => void;
    WorkerGlobalScope?: unknown;
  };
  if (scope.WorkerGlobalScope !== undefined && scope.postMessage && scope.addEventListener) {
    return {
      postMessage: (m, t) => scope.postMessage!(m, t ?? []),
      onMessage: (h) => scope.addEventListener!('message', (e) => h(e.data)),
    };
  }
  const { parentPort } = await import(/* webpackIgnore: true */ 'node:worker_threads');
  if (!parentPort) throw new Error('attnscope/worker: not running in a worker');
  return {
    postMessage: (m, t) => parentPort.postMessage(m, t ?? []),
    onMessage: (h) => parentPort.on('message', h),
  };
}

function errorData(err: unknown): { code: string; message: string } {
  if (err instanceof AttnscopeError) return { code: err.code, message: err.message };
  return { code: 'internal', message: String(err) };
}

const p = await port();
let engine: Engine | undefined;
const models = new Map<number, Model>();
const loads = new Map<number, AbortController>();
let nextModel = 1;

function modelOf(input: { model?: unknown }): Model {
  const m = models.get(input?.model as number);
  if (!m) throw new AttnscopeError('disposed', 'this model has been disposed');
  return m;
}

const layers = new Map<number, MultiHeadLayer>();
let nextLayer = 1;

function layerOf(input: { layer?: unknown }): MultiHeadLayer {
  const l = layers.get(input?.layer as number);
  if (!l) throw new AttnscopeError('disposed', 'this layer has been disposed');
  return l;
}

async function call(id: number, op: string, input: any): Promise<unknown> {
  const e = engine!;
  switch (op) {
    case 'attention':
      return e.attention(input);
    case 'multiHeadAttention':
      return e.multiHeadAttention(input);
    case 'createLayer': {
      const layer = e.multiHeadLayer(input.spec);
      const handle = nextLayer++;
      layers.set(handle, layer);
      return { layer: handle, shape: { ...layer.shape } };
    }
    case 'runLayer':
      return layerOf(input).run(input.input);
    case 'disposeLayer':
      layers.get(input?.layer)?.dispose();
      layers.delete(input?.layer);
      return undefined;
    case 'memory':
      return e.memory();
    case 'run':
      return modelOf(input).run(input.text, input.options);
    case 'runIds':
      return modelOf(input).runIds(input.ids, input.options);
    case 'clearCache':
      return modelOf(input).clearCache();
    case 'disposeModel':
      models.get(input?.model)?.dispose();
      models.delete(input?.model);
      return undefined;
    case 'loadModel':
    case 'loadPreset': {
      const controller = new AbortController();
      loads.set(id, controller);
      try {
        const options = {
          ...(input.options ?? {}),
          signal: controller.signal,
          onProgress: (progress: unknown) => p.postMessage({ type: 'progress', id, progress }),
          onSize: (bytes: number | undefined) => p.postMessage({ type: 'size', id, bytes }),
        };
        const model =
          op === 'loadModel' ? await e.loadModel(input.sources, options) : await e.loadPreset(input.name, options);
        const handle = nextModel++;
        models.set(handle, model);
        return { model: handle, info: model.info };
      } finally {
        loads.delete(id);
      }
    }
    default:
      throw new AttnscopeError('invalid_argument', `unknown operation ${String(op)}`);
  }
}

p.onMessage(async (msg) => {
  if (msg.type === 'init') {
    try {
      engine = await createEngine({ wasm: msg.wasm || undefined, simd: msg.simd });
      p.postMessage({ type: 'ready', simdArch: engine.simdArch });
    } catch (err) {
      p.postMessage({ type: 'failed', error: errorData(err) });
    }
    return;
  }
  if (msg.type === 'abort') {
    loads.get(msg.id)?.abort();
    return;
  }
  if (!engine) {
    p.postMessage({ type: 'result', id: msg.id, ok: false, error: { code: 'internal', message: 'not initialised' } });
    return;
  }
  try {
    const value = await call(msg.id, msg.op, msg.input);
    // Results are fresh copies: hand their buffers over instead of copying again.
    p.postMessage({ type: 'result', id: msg.id, ok: true, value }, buffersOf(value));
  } catch (err) {
    p.postMessage({ type: 'result', id: msg.id, ok: false, error: errorData(err) });
  }
});
