// The worker side of attnscope/worker: owns one Engine and answers calls in
// order. Runs as a module Web Worker, or a Node worker_threads worker.
import { createEngine, type Engine } from './index.js';
import { AttnscopeError } from './errors.js';
import { buffersOf, type CallMessage, type InitMessage, type Reply } from './worker-protocol.js';

interface Port {
  postMessage(message: Reply, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (data: InitMessage | CallMessage) => void): void;
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

p.onMessage(async (msg) => {
  if (msg.type === 'init') {
    try {
      engine = await createEngine(msg.wasm ? { wasm: msg.wasm } : {});
      p.postMessage({ type: 'ready', simdArch: engine.simdArch });
    } catch (err) {
      p.postMessage({ type: 'failed', error: errorData(err) });
    }
    return;
  }
  if (!engine) {
    p.postMessage({ type: 'result', id: msg.id, ok: false, error: { code: 'internal', message: 'not initialised' } });
    return;
  }
  try {
    let value: unknown;
    switch (msg.op) {
      case 'attention':
        value = engine.attention(msg.input as Parameters<Engine['attention']>[0]);
        break;
      case 'multiHeadAttention':
        value = engine.multiHeadAttention(msg.input as Parameters<Engine['multiHeadAttention']>[0]);
        break;
      case 'memory':
        value = engine.memory();
        break;
      case 'simdArch':
        value = engine.simdArch;
        break;
      default:
        throw new AttnscopeError('invalid_argument', `unknown operation ${String(msg.op)}`);
    }
    // Results are fresh copies: hand their buffers over instead of copying again.
    p.postMessage({ type: 'result', id: msg.id, ok: true, value }, buffersOf(value));
  } catch (err) {
    p.postMessage({ type: 'result', id: msg.id, ok: false, error: errorData(err) });
  }
});
