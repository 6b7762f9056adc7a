// Runs the C++ kernel benchmark (bench/kernels.cpp, built by em++ as an ES
// module; the wasm inlined, or given as wasmBinary for the relaxed build) and
// returns its JSON.
export async function runKernels(createModule, args, wasmBinary) {
  let out = '';
  const mod = await createModule({
    print: (s) => (out += s + '\n'),
    printErr: () => {},
    ...(wasmBinary ? { wasmBinary } : {}),
  });
  mod.callMain(args);
  return JSON.parse(out);
}
