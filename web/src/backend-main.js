// The file:// copy's engine: browsers refuse module workers (and fetch) on
// file:// pages, so the single-file engine (wasm inlined) runs on the main
// thread behind the worker engine's promise API. The default model runs a
// sentence in about a millisecond; big models block while they compute.
import { createEngine } from '../../dist/attnscope.single.js';

export const kind = 'main-thread';

class MainModel {
  #model;
  constructor(model) {
    this.#model = model;
    this.info = model.info;
  }
  async run(text, options = {}) {
    const { signal, transfer, ...rest } = options;
    if (signal?.aborted)
      throw Object.assign(new Error('the call was aborted'), { name: 'AttnscopeError', code: 'aborted' });
    return this.#model.run(text, rest);
  }
  get disposed() {
    return this.#model.disposed;
  }
  dispose() {
    this.#model.dispose();
  }
}

export async function createBackend({ simd } = {}) {
  const engine = await createEngine({ simd });
  return {
    simdArch: engine.simdArch,
    async loadModel(sources, options) {
      return new MainModel(await engine.loadModel(sources, options));
    },
    async loadPreset(name, options) {
      return new MainModel(await engine.loadPreset(name, options));
    },
    dispose: () => engine.dispose(),
  };
}
