// What every entry point exports; each entry supplies its default wasm.
import { Engine } from './engine.js';
import { compileWasm, type WasmSource } from './loader.js';

export { Engine } from './engine.js';
export { AttnscopeError, type ErrorCode } from './errors.js';
export type { WasmSource } from './loader.js';
export type * from './types.js';
export { Model } from './model.js';
export { MultiHeadLayer } from './layer.js';
export type { LayerShape } from './wire.js';
export type {
  HeadInspection,
  ModelInfo,
  ModelOutput,
  ModelSources,
  RunOptions,
  RunResult,
  Token,
  TokenizerSource,
} from './model.js';
export type { LoadOptions, Progress, Source } from './sources.js';
export { PRESETS, presetUrls, type Preset, type PresetOptions } from './presets.js';

export interface EngineOptions {
  /**
   * Where to load the wasm from: a URL, the bytes, or a compiled module.
   * Defaults to attnscope.wasm beside the entry module ('attnscope'), or the
   * copy inlined in 'attnscope/single-file'.
   */
  wasm?: WasmSource;
}

export type CreateEngine = (options?: EngineOptions) => Promise<Engine>;

export function makeCreateEngine(defaultWasm: () => WasmSource, base: string): CreateEngine {
  return async (options: EngineOptions = {}) =>
    Engine.instantiate(await compileWasm(options.wasm ?? defaultWasm(), base));
}
