// What every entry point exports; each entry supplies its default wasm.
import { Engine } from './engine.js';
import { AttnscopeError } from './errors.js';
import { compileWasm, relaxedSimdSupported, type SimdBuild, type WasmSource } from './loader.js';

export { Engine } from './engine.js';
export { AttnscopeError, type ErrorCode } from './errors.js';
export { relaxedSimdSupported, type SimdBuild, type WasmSource } from './loader.js';
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
   * Defaults to attnscope.wasm (or attnscope.relaxed.wasm, see `simd`) beside
   * the entry module ('attnscope'), or the copy inlined in 'attnscope/single-file'.
   */
  wasm?: WasmSource;
  /** Which default wasm to load (ignored when `wasm` is given); 'auto' if absent. */
  simd?: SimdBuild;
}

export type CreateEngine = (options?: EngineOptions) => Promise<Engine>;

/** Whether to load the relaxed-SIMD build, given the option and whether the entry ships one. */
function wantRelaxed(simd: SimdBuild | undefined, shipped: boolean): boolean {
  switch (simd ?? 'auto') {
    case 'simd128':
      return false;
    case 'auto':
      return shipped && relaxedSimdSupported();
    case 'relaxed':
      if (!shipped)
        throw new AttnscopeError(
          'unsupported',
          "this entry inlines only the simd128 build; use 'attnscope' for relaxed",
        );
      if (!relaxedSimdSupported())
        throw new AttnscopeError('unsupported', 'this JavaScript engine does not run WebAssembly relaxed SIMD');
      return true;
    default:
      throw new AttnscopeError('invalid_argument', `simd must be 'auto', 'relaxed' or 'simd128', not ${String(simd)}`);
  }
}

/** defaultWasm(relaxed) gives the entry's wasm; `relaxedShipped` says whether it has a relaxed build. */
export function makeCreateEngine(
  defaultWasm: (relaxed: boolean) => WasmSource,
  base: string,
  relaxedShipped: boolean,
): CreateEngine {
  return async (options: EngineOptions = {}) =>
    Engine.instantiate(await compileWasm(options.wasm ?? defaultWasm(wantRelaxed(options.simd, relaxedShipped)), base));
}
