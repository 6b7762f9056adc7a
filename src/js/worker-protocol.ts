// Messages between WorkerEngine (worker.ts) and the worker (worker-main.ts).
export type Op = 'attention' | 'multiHeadAttention' | 'memory' | 'simdArch';

export interface InitMessage {
  type: 'init';
  /** URL of the wasm, or a compiled module; the worker's default otherwise. */
  wasm?: string | WebAssembly.Module;
}

export interface CallMessage {
  type: 'call';
  id: number;
  op: Op;
  input?: unknown;
}

export type Reply =
  | { type: 'ready'; simdArch: string }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: { code: string; message: string } }
  | { type: 'failed'; error: { code: string; message: string } };

/** The buffers of every typed array directly inside `value` (one level deep). */
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
