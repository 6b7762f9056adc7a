// attnscope: the engine, with its wasm as a separate file (attnscope.wasm
// beside this module), compiled by streaming where the platform allows it.
import { makeCreateEngine } from './api.js';

export * from './api.js';

/** Loads the module (compiled once per page and shared) and starts an engine. */
export const createEngine = makeCreateEngine(() => new URL('./attnscope.wasm', import.meta.url), import.meta.url);
