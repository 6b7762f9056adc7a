// Builds what the suite needs, each step skipped when its output is newer
// than its inputs: the C++ kernel benchmark (em++ for wasm, the host compiler
// for native), the ONNX graphs and model files (Python), the page's bundle of
// the contenders' packages (esbuild).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(paths) {
  let t = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const s = statSync(p);
    if (s.isDirectory()) t = Math.max(t, newest(readdirSync(p).map((f) => join(p, f))));
    else t = Math.max(t, s.mtimeMs);
  }
  return t;
}
const stale = (out, inputs) => !existsSync(out) || statSync(out).mtimeMs < newest(inputs);

export const KERNEL_SOURCES = [
  'src/core/status.cpp',
  'src/kernels/gemm.cpp',
  'src/kernels/softmax.cpp',
  'src/kernels/additive.cpp',
  'src/kernels/convert.cpp',
  'src/attention/validate.cpp',
  'src/attention/head.cpp',
  'src/attention/attention.cpp',
];

function sh(root, script, log) {
  log(`$ ${script}`);
  execFileSync('bash', ['-c', script], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

export function prepare(root, { log, tiny, browser, srcRoot = 'src', buildDir = 'build/bench' }) {
  const out = join(root, buildDir);
  mkdirSync(out, { recursive: true });
  const includes = `-I${srcRoot} -isystem .deps/root/usr/include`;
  // (A --baseline tree from before a file existed builds without it.)
  const sources = KERNEL_SOURCES.map((s) => s.replace(/^src/, srcRoot))
    .filter((s) => existsSync(join(root, s)))
    .join(' ');
  const inputs = [join(root, 'bench/kernels.cpp'), join(root, srcRoot)];
  const common = `-std=c++17 -O3 -DNDEBUG -DXTENSOR_USE_XSIMD ${includes} bench/kernels.cpp ${sources}`;

  if (stale(join(out, 'kernels.mjs'), inputs)) {
    log('building the kernel benchmark for wasm (em++ -O3 -msimd128)');
    sh(
      root,
      `source scripts/emscripten-env.sh >/dev/null && em++ ${common} -msimd128 -fno-exceptions ` +
        '-sMODULARIZE=1 -sEXPORT_ES6=1 -sENVIRONMENT=web,worker -sSINGLE_FILE=1 -sINVOKE_RUN=0 ' +
        '-sEXPORTED_RUNTIME_METHODS=callMain -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=2GB ' +
        `-o ${buildDir}/kernels.mjs`,
      log,
    );
  }
  // The relaxed-SIMD build (kernels::madd fused): its .wasm stays a separate
  // file for the opcode rewrite (scripts/wasm-relaxed.mjs) and is handed to the
  // module as wasmBinary.
  if (existsSync(join(root, 'scripts/wasm-relaxed.mjs')) && stale(join(out, 'kernels-relaxed.wasm'), inputs)) {
    log('building the kernel benchmark for wasm with relaxed SIMD (em++ -O3 -msimd128 -mrelaxed-simd)');
    sh(
      root,
      `source scripts/emscripten-env.sh >/dev/null && em++ ${common} -msimd128 -mrelaxed-simd -fno-exceptions ` +
        '-sMODULARIZE=1 -sEXPORT_ES6=1 -sENVIRONMENT=web,worker -sINVOKE_RUN=0 ' +
        '-sEXPORTED_RUNTIME_METHODS=callMain -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=2GB ' +
        `-o ${buildDir}/kernels-relaxed.mjs && node scripts/wasm-relaxed.mjs ${buildDir}/kernels-relaxed.wasm`,
      log,
    );
  }
  if (stale(join(out, 'kernels-native'), inputs)) {
    log('building the kernel benchmark natively (-O3 -march=native)');
    sh(root, `\${CXX:-c++} ${common} -march=native -o ${buildDir}/kernels-native`, log);
  }
  // The same kernels for AVX2 + FMA (x86-64-v3), which most x86 machines have: on
  // an AVX-512 machine -march=native alone would leave that build unmeasured.
  if (process.arch === 'x64' && stale(join(out, 'kernels-native-avx2'), inputs)) {
    log('building the kernel benchmark for AVX2 + FMA (-O3 -march=x86-64-v3)');
    sh(root, `\${CXX:-c++} ${common} -march=x86-64-v3 -o ${buildDir}/kernels-native-avx2`, log);
  }

  const trained = join(root, 'models/attnscope-tiny-scaled-dot');
  const haveTrained = existsSync(join(trained, 'model.safetensors'));
  if (
    stale(join(out, 'export.json'), [join(root, 'bench/export_onnx.py')]) ||
    !existsSync(join(out, 'gpt2-small.onnx')) ||
    (!haveTrained && tiny && !existsSync(join(out, 'tiny-random')))
  ) {
    log('exporting the ONNX graphs and the GPT-2-small-shaped model (python3 + torch)');
    execFileSync(
      '/usr/bin/python3',
      [join(root, 'bench/export_onnx.py'), '--out', out, ...(haveTrained ? [] : ['--tiny'])],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
  }

  if (
    browser &&
    stale(join(out, 'runtimes.js'), [join(root, 'bench/browser/runtimes-entry.mjs'), join(root, 'package-lock.json')])
  ) {
    log('bundling onnxruntime-web and TensorFlow.js for the page (esbuild)');
    execFileSync(
      join(root, 'node_modules/.bin/esbuild'),
      [
        'bench/browser/runtimes-entry.mjs',
        '--bundle',
        '--format=esm',
        '--platform=browser',
        '--log-level=warning',
        `--outfile=${buildDir}/runtimes.js`,
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
  }
  return {
    tiny: haveTrained
      ? { dir: trained, name: 'attnscope-tiny-scaled-dot (trained, 8-bit weights)', tokenizer: 'own' }
      : { dir: join(out, 'tiny-random'), name: 'tiny random (4 layers, 4 heads, d128)', tokenizer: 'gpt2' },
  };
}
