// Compiling the wasm module: once per source, shared by every engine (and
// every <attn-scope> element) in the same realm. Each engine then gets its own
// cheap instance, so engines never share heap state.
import { AttnscopeError } from './errors.js';

/** Where the wasm comes from. */
export type WasmSource = URL | string | ArrayBuffer | ArrayBufferView | WebAssembly.Module;

/**
 * Which wasm build: 'simd128' (WebAssembly SIMD, every current runtime),
 * 'relaxed' (relaxed SIMD's fused multiply-add: faster matrix products; Chromium
 * 114+, Node 22+), or 'auto': relaxed where the runtime has it and the entry
 * ships it ('attnscope' does; 'attnscope/single-file' inlines only simd128).
 * The two builds agree to float rounding, not bit for bit.
 */
export type SimdBuild = 'auto' | 'relaxed' | 'simd128';

const compiled = new Map<unknown, Promise<WebAssembly.Module>>();

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function compileUrl(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:' && isNode()) {
    // Node's fetch() does not read file: URLs.
    const fs = await import(/* webpackIgnore: true */ 'node:fs/promises');
    return WebAssembly.compile(await fs.readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new AttnscopeError('load_failed', `could not load ${url.href}: HTTP ${response.status}`);
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      // Streaming compile needs the application/wasm MIME type; fall back if the server lacks it.
      return await WebAssembly.compileStreaming(response.clone());
    } catch {
      /* fall through */
    }
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

function toBytes(view: ArrayBuffer | ArrayBufferView): Uint8Array {
  return view instanceof ArrayBuffer
    ? new Uint8Array(view)
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** The compiled module for `source`, compiling it at most once per source. */
export function compileWasm(source: WasmSource, base?: string): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  const key = typeof source === 'string' || source instanceof URL ? new URL(source, base).href : source;
  let promise = compiled.get(key);
  if (!promise) {
    promise = (
      typeof key === 'string' ? compileUrl(new URL(key)) : WebAssembly.compile(toBytes(key) as BufferSource)
    ).catch((err: unknown) => {
      compiled.delete(key); // let a later call retry
      if (err instanceof AttnscopeError) throw err;
      throw new AttnscopeError('load_failed', `could not compile the attnscope wasm module: ${String(err)}`, {
        cause: err,
      });
    });
    compiled.set(key, promise);
  }
  return promise;
}

// (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd)
// prettier-ignore
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section
  0x03, 0x02, 0x01, 0x00, // function section
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // code section
]);
let relaxed: boolean | undefined;

/** Whether this runtime runs WebAssembly relaxed SIMD (Chromium 114+, Node 22+; Node 20 behind a flag). */
export function relaxedSimdSupported(): boolean {
  if (relaxed === undefined) {
    try {
      relaxed = typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

/** Decodes base64 without eval or Node's Buffer (works in every realm). */
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
