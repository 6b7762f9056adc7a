// Runs the C++ kernel benchmark (bench/kernels.cpp, built by em++ as an ES
// module with the wasm inlined) and returns its JSON.
export async function runKernels(createModule, args) {
  let out = '';
  const mod = await createModule({ print: (s) => (out += s + '\n'), printErr: () => {} });
  mod.callMain(args);
  return JSON.parse(out);
}
