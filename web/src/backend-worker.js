// The served page's engine: one Web Worker (attnscope/worker) for every
// <attn-scope> on the page, so compute never blocks the main thread. The worker
// script and the wasm builds sit beside attn-scope.js (the worker's default:
// attnscope.relaxed.wasm where the browser has relaxed SIMD, else attnscope.wasm).
import { createWorkerEngine } from '../../dist/worker.js';

export const kind = 'worker';

export function createBackend({ simd } = {}) {
  return createWorkerEngine({
    workerUrl: new URL('./attnscope-worker.js', import.meta.url),
    simd,
  });
}
