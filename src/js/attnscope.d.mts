// Types of the Emscripten glue (src/bindings, built as attnscope.mjs).
export interface WireOk {
  ok: true;
  [key: string]: unknown;
}
export interface WireError {
  ok: false;
  code: string;
  message: string;
}
export type WireResult = WireOk | WireError;

export interface CoreHandle {
  header(): number;
  stage(): number;
  attention(): boolean;
  lastError(): WireError;
  release(): void;
  delete(): void;
}

export interface LayerHandle {
  load(spec: Record<string, unknown>): WireResult;
  run(opts: Record<string, unknown>): WireResult;
  delete(): void;
}

export interface BufferHandle {
  ok(): boolean;
  size(): number;
  write(offset: number, chunk: Uint8Array): boolean;
  delete(): void;
}

export interface ModelHandle {
  load(config: Uint8Array, weights: BufferHandle, tokenizer: Record<string, unknown>): WireResult;
  run(text: Uint8Array, opts: Record<string, unknown>): WireResult;
  runIds(ids: Int32Array, opts: Record<string, unknown>): WireResult;
  info(): Record<string, unknown>;
  clearCache(): void;
  delete(): void;
}

export interface AttnscopeModule {
  /** attentionLayout(): the staged call's header slots, "scalars|arrays" (see src/js/staged.ts). */
  Core: { new (): CoreHandle; attentionLayout(): string };
  Buffer: new (size: number) => BufferHandle;
  Model: new () => ModelHandle;
  Layer: new () => LayerHandle;
  heapUsed(): number;
  heapSize(): number;
  simdArch(): string;
  /** Views of the wasm memory, replaced when it grows: read them after every call. */
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  HEAPF64: Float64Array;
}

export interface ModuleArgs {
  locateFile?: (path: string, prefix: string) => string;
  instantiateWasm?: (
    imports: WebAssembly.Imports,
    done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ) => object;
  print?: (text: string) => void;
  printErr?: (text: string) => void;
}

export default function createAttnscopeModule(args?: ModuleArgs): Promise<AttnscopeModule>;
