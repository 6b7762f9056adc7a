// The main-thread engine: one wasm instance, synchronous calls, explicit
// dispose(). The API is the same in the worker (worker.ts).
import createAttnscopeModule, { type AttnscopeModule, type CoreHandle } from './attnscope.mjs';
import { AttnscopeError } from './errors.js';
import type {
  AttentionInput,
  AttentionOutput,
  AttentionWeightsOutput,
  MemoryStats,
  MultiHeadInput,
  MultiHeadLayerSpec,
  MultiHeadOutput,
} from './types.js';
import { attentionWire, splitMultiHead } from './wire.js';
import { MultiHeadLayer } from './layer.js';
import { StagedPlan } from './staged.js';
import { loadModel, type Model, type ModelSources } from './model.js';
import { probePreset, type PresetOptions } from './presets.js';
import type { LoadOptions } from './sources.js';

const disposeSymbol: symbol | undefined = (Symbol as { dispose?: symbol }).dispose;

export class Engine {
  #module: AttnscopeModule | null;
  #core: CoreHandle | null;
  #plan: StagedPlan | undefined;
  #header: number | undefined; // the core's header address, fixed for its life

  private constructor(module: AttnscopeModule) {
    this.#module = module;
    this.#core = new module.Core();
    if (disposeSymbol) (this as unknown as Record<symbol, () => void>)[disposeSymbol] = () => this.dispose();
  }

  /** Instantiates `compiled` (see loader.ts) into a fresh engine. */
  static async instantiate(compiled: WebAssembly.Module): Promise<Engine> {
    let module: AttnscopeModule;
    try {
      module = await createAttnscopeModule({
        // The wasm arrives through instantiateWasm; this only stops the glue
        // resolving a URL against import.meta.url, which classic-script builds lack.
        locateFile: (path) => path,
        instantiateWasm(imports, done) {
          WebAssembly.instantiate(compiled, imports).then((instance) => done(instance, compiled));
          return {};
        },
      });
    } catch (err) {
      throw new AttnscopeError('load_failed', `could not start the attnscope wasm module: ${String(err)}`, {
        cause: err,
      });
    }
    return new Engine(module);
  }

  /** The SIMD instruction set the kernels run on: 'wasm' (WebAssembly SIMD128) or 'wasm+relaxed' (relaxed SIMD). */
  get simdArch(): string {
    return this.#live()[0].simdArch();
  }

  get disposed(): boolean {
    return this.#core === null;
  }

  /**
   * Attention of q over k and v: scores, weights and context, for one head or
   * `shape.heads` independent heads in one call. withScores: false leaves the
   * raw scores out.
   */
  attention(input: AttentionInput & { withScores: false }): AttentionWeightsOutput;
  attention(input: AttentionInput): AttentionOutput;
  attention(input: AttentionInput): AttentionOutput | AttentionWeightsOutput {
    const wire = attentionWire(input);
    const r = this.#guard((module, core) =>
      this.#attentionPlan(module).run(
        module,
        core,
        (this.#header ??= core.header()),
        () => core.attention(),
        wire.scalars,
        wire.arrays,
        wire.out,
      ),
    );
    const out: AttentionWeightsOutput = { weights: r.weights, context: r.context, shape: wire.shape };
    return wire.withScores ? { scores: r.scores, ...out } : out;
  }

  /** Multi-head attention with projections, like torch.nn.MultiheadAttention. */
  multiHeadAttention(input: MultiHeadInput): MultiHeadOutput {
    const { spec, run } = splitMultiHead(input);
    const layer = this.multiHeadLayer(spec);
    try {
      return layer.run(run);
    } finally {
      layer.dispose();
    }
  }

  /**
   * A multi-head attention layer whose weights stay in wasm memory: each
   * run() copies only its inputs in and its results out. dispose() frees it.
   */
  multiHeadLayer(spec: MultiHeadLayerSpec): MultiHeadLayer {
    const [module] = this.#live();
    return new MultiHeadLayer(module, spec);
  }

  /**
   * Loads a model from its config.json, model.safetensors and tokenizer files;
   * each may be bytes, a File/Blob or a URL (streamed, with progress and abort).
   */
  loadModel(sources: ModelSources, options: LoadOptions = {}): Promise<Model> {
    return loadModel(this.#live()[0], sources, options);
  }

  /**
   * Loads a public model ('gpt2', 'distilgpt2', 'bert-base-uncased', or a
   * repository id) from the Hugging Face hub. onSize reports the download size
   * before the weights start.
   */
  async loadPreset(
    name: string,
    options: LoadOptions & PresetOptions & { onSize?: (bytes: number | undefined) => void } = {},
  ): Promise<Model> {
    const { sources, bytes } = await probePreset(name, options);
    options.onSize?.(bytes);
    return this.loadModel(sources, options);
  }

  /** Wasm heap usage, for leak checks and memory budgets. */
  memory(): MemoryStats {
    const [module] = this.#live();
    return { heapUsed: module.heapUsed(), heapSize: module.heapSize() };
  }

  /** Frees the engine's wasm objects. Calls after this throw 'disposed'. Idempotent. */
  dispose(): void {
    this.#core?.delete();
    this.#core = null;
    this.#module = null;
  }

  #live(): [AttnscopeModule, CoreHandle] {
    if (!this.#module || !this.#core) throw new AttnscopeError('disposed', 'this engine has been disposed');
    return [this.#module, this.#core];
  }

  #attentionPlan(module: AttnscopeModule): StagedPlan {
    return (this.#plan ??= new StagedPlan(module.Core.attentionLayout()));
  }

  // Runs fn on the live module. An AttnscopeError is the call's answer; any
  // other throw is a bug (inputs were checked) or a trap, which leaves the
  // instance unusable.
  #guard<T>(fn: (module: AttnscopeModule, core: CoreHandle) => T): T {
    const [module, core] = this.#live();
    try {
      return fn(module, core);
    } catch (err) {
      if (err instanceof AttnscopeError) throw err;
      this.#core = null;
      this.#module = null;
      throw new AttnscopeError('internal', `the wasm module failed (${String(err)}); create a new engine`, {
        cause: err,
      });
    }
  }
}
