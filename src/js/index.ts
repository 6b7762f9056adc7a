// attnscope: the engine, with its wasm as a separate file beside this module
// (attnscope.wasm, or attnscope.relaxed.wasm where the runtime has relaxed
// SIMD), compiled by streaming where the platform allows it.
import { makeCreateEngine } from './api.js';

export * from './api.js';

/** Loads the module (compiled once per page and shared) and starts an engine. */
export const createEngine = makeCreateEngine(
  (relaxed) =>
    relaxed ? new URL('./attnscope.relaxed.wasm', import.meta.url) : new URL('./attnscope.wasm', import.meta.url),
  import.meta.url,
  true,
);
