// attnscope/single-file: the same API with the wasm inlined (base64), for
// file:// pages and servers that cannot serve a .wasm file. Bundled by
// scripts/build.mjs into one attnscope.single.js.
import { makeCreateEngine } from './api.js';
import { base64ToBytes } from './loader.js';
import wasmBase64 from './attnscope.wasm.b64.js';

export * from './api.js';

let bytes: Uint8Array | undefined;

/**
 * Loads the inlined module (decoded and compiled once) and starts an engine.
 * Only the simd128 build is inlined: one copy keeps the file small.
 */
export const createEngine = makeCreateEngine(() => (bytes ??= base64ToBytes(wasmBase64)), import.meta.url, false);
