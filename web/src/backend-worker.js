// The served page's engine: one Web Worker (attnscope/worker) for every
// <attn-scope> on the page, so compute never blocks the main thread. The worker
// script and the wasm sit beside attn-scope.js.
import { createWorkerEngine } from '../../dist/worker.js';

export const kind = 'worker';

export function createBackend() {
  return createWorkerEngine({
    workerUrl: new URL('./attnscope-worker.js', import.meta.url),
    wasm: new URL('./attnscope.wasm', import.meta.url),
  });
}
