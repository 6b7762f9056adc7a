// Messages between WorkerEngine (worker.ts) and the worker (worker-main.ts).
import type { SimdBuild } from './loader.js';

/** Synchronous compute in the worker: one at a time, in order. */
export type ComputeOp =
  | 'attention'
  | 'multiHeadAttention'
  | 'createLayer'
  | 'runLayer'
  | 'disposeLayer'
  | 'memory'
  | 'run'
  | 'runIds'
  | 'clearCache'
  | 'disposeModel';
/** Asynchronous work (downloads): runs alongside compute, cancellable in place. */
export type AsyncOp = 'loadModel' | 'loadPreset';
export type Op = ComputeOp | AsyncOp;

export const ASYNC_OPS: ReadonlySet<Op> = new Set<Op>(['loadModel', 'loadPreset']);

export interface InitMessage {
  type: 'init';
  /** URL of the wasm, or a compiled module; the worker's default otherwise. */
  wasm?: string | WebAssembly.Module;
  simd?: SimdBuild;
}

export interface CallMessage {
  type: 'call';
  id: number;
  op: Op;
  input?: unknown;
}

/** Cancels an async call (loadModel, loadPreset) that is under way. */
export interface AbortMessage {
  type: 'abort';
  id: number;
}

export type Request = InitMessage | CallMessage | AbortMessage;

export type Reply =
  | { type: 'ready'; simdArch: string }
  | { type: 'progress'; id: number; progress: unknown }
  | { type: 'size'; id: number; bytes: number | undefined }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: { code: string; message: string } }
  | { type: 'failed'; error: { code: string; message: string } };

/** The buffers of every typed array directly inside `value` (two levels deep). */
export function buffersOf(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown) => {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  };
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) {
      visit(v);
      if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) Object.values(v).forEach(visit);
    }
  }
  return [...out];
}
