// Sets up the runtimes the same way in Node and in the page: single thread,
// SIMD on, best graph optimisation. `imports` supplies the modules (Node
// imports the packages; the page imports a bundle of them).
export async function setupRuntimes({ ort, tf, tfWasm, wasmPaths = {} }, log = () => {}) {
  const out = { tfBackends: [] };
  if (ort) {
    ort.env.wasm.numThreads = 1;
    if (wasmPaths.ort) ort.env.wasm.wasmPaths = wasmPaths.ort;
    out.ort = ort;
    out.ortOptions = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  }
  if (tf) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
    if (tfWasm) {
      if (wasmPaths.tfjs) tfWasm.setWasmPaths(wasmPaths.tfjs);
      tfWasm.setThreadsCount?.(1);
    }
    for (const backend of ['wasm', 'cpu']) {
      try {
        if (await tf.setBackend(backend)) out.tfBackends.push(backend);
        else log(`tfjs backend ${backend} did not initialise`);
      } catch (err) {
        log(`tfjs backend ${backend}: ${err?.message ?? err}`);
      }
    }
    out.tf = tf;
  }
  return out;
}

export async function versionsOf({ ort, tf }) {
  return {
    'onnxruntime-web': ort?.env?.versions?.web ?? ort?.env?.versions?.common,
    tfjs: tf?.version_core ?? tf?.version?.['tfjs-core'],
  };
}
