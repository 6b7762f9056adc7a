// A multi-head attention layer on the main thread: its weights are copied into
// wasm memory once, so runs copy only their inputs and results (the one-shot
// engine.multiHeadAttention is a layer built, run once and freed).
import type { AttnscopeModule, LayerHandle, WireResult } from './attnscope.mjs';
import { AttnscopeError } from './errors.js';
import type { MultiHeadLayerSpec, MultiHeadOutput, MultiHeadRunInput } from './types.js';
import { layerRunWire, layerSpecWire, type LayerShape } from './wire.js';

const disposeSymbol: symbol | undefined = (Symbol as { dispose?: symbol }).dispose;

function okOf(result: WireResult): Record<string, unknown> {
  if (!result.ok) throw AttnscopeError.from(result);
  return result;
}

export class MultiHeadLayer {
  /** The widths the layer was built with. */
  readonly shape: Readonly<LayerShape>;
  #handle: LayerHandle | null;

  /** @internal Use Engine.multiHeadLayer. */
  constructor(module: AttnscopeModule, spec: MultiHeadLayerSpec) {
    const { wire, shape } = layerSpecWire(spec);
    const handle = new module.Layer();
    try {
      okOf(handle.load(wire));
    } catch (err) {
      handle.delete();
      throw err;
    }
    this.shape = Object.freeze(shape);
    this.#handle = handle;
    if (disposeSymbol) (this as unknown as Record<symbol, () => void>)[disposeSymbol] = () => this.dispose();
  }

  /** Attention of the query over key and value through the layer's projections. */
  run(input: MultiHeadRunInput): MultiHeadOutput {
    if (!this.#handle) throw new AttnscopeError('disposed', 'this layer has been disposed');
    const wire = layerRunWire(input, this.shape);
    const r = okOf(this.#handle.run(wire));
    return {
      weights: r.weights as Float32Array,
      output: r.output as Float32Array,
      shape: { heads: this.shape.heads, t: wire.t as number, s: wire.s as number, dModel: this.shape.dModel },
    };
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  /** Frees the layer's wasm memory. Idempotent. */
  dispose(): void {
    this.#handle?.delete();
    this.#handle = null;
  }
}
