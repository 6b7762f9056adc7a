#!/usr/bin/env node
// attnscope's benchmark suite (issue 7): attnscope against onnxruntime-web
// (wasm, one thread), TensorFlow.js (wasm/XNNPACK one thread, and cpu) and a
// plain-JS loop, in Node and in headless Chromium, plus the machine's WASM
// SIMD limits and the kernels without the JS API. Writes bench/RESULTS.md.
//
//   node bench/run.mjs [--quick] [--runs N] [--no-browser | --browser-only]
//                      [--sections kernels,ops,model] [--engine DIST] [--baseline DIST]
//                      [--out FILE] [--no-lts]
//
//   --quick        5 runs, fewer cases: a smoke test (about 3 minutes)
//   --engine DIST  the attnscope build to measure (default: dist/, built if missing)
//   --baseline D   a second attnscope build measured alongside (before/after a kernel change)
//   --no-lts       skip the current LTS Node (fetched from npm; see lib/node-lts.mjs); Node 20
//                  with --experimental-wasm-relaxed-simd stands in for it
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { engineSize } from '../scripts/engine-size.mjs';
import { runKernels } from './lib/kernels.mjs';
import { ltsNode } from './lib/node-lts.mjs';
import { prepare } from './lib/prepare.mjs';
import { renderReport } from './lib/report.mjs';
import { startServer } from './lib/server.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const flag = (n) => argv.includes(n);
const opt = (n, d) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : d);
const quick = flag('--quick');
const runs = opt('--runs');
const inNode = !flag('--browser-only');
const inBrowser = !flag('--no-browser');
const sections = new Set(opt('--sections', 'kernels,ops,model').split(','));
const engineDir = resolve(opt('--engine', join(ROOT, 'dist')));
const baselineDir = opt('--baseline') ? resolve(opt('--baseline')) : null;
const outFile = resolve(opt('--out', join(ROOT, 'bench/RESULTS.md')));
const log = (s) => console.error(`[bench] ${s}`);
const started = Date.now();
const load = [loadavg()];

// ---- build ------------------------------------------------------------------
if (!existsSync(join(engineDir, 'index.js'))) {
  if (opt('--engine')) throw new Error(`${engineDir}/index.js is missing`);
  log('dist/ is missing: building the package (bash scripts/build.sh)');
  execFileSync('bash', ['scripts/build.sh'], { cwd: ROOT, stdio: 'inherit' });
}
const prep = prepare(ROOT, { log, tiny: true, browser: inBrowser });

// ---- the limit and the kernels without JS --------------------------------------
const kernels = {};
if (sections.has('kernels')) {
  const { default: createKernels } = await import(pathToFileURL(join(ROOT, 'build/bench/kernels.mjs')).href);
  log('kernels (wasm, Node): peak, bandwidth, GEMM, attention without the JS API');
  kernels.wasmNode = await runKernels(createKernels, quick ? ['--quick'] : []);
  log(`  peak ${kernels.wasmNode.peak_gflops.toFixed(1)} GFLOP/s, read ${kernels.wasmNode.read_gbs.toFixed(1)} GB/s`);
  if (existsSync(join(ROOT, 'build/bench/kernels-relaxed.wasm'))) {
    // Node 20 runs relaxed SIMD only behind a V8 flag (Node 22+ without): a child with the flag.
    log('kernels (wasm relaxed SIMD, Node --experimental-wasm-relaxed-simd)');
    const url = (p) => JSON.stringify(pathToFileURL(join(ROOT, p)).href);
    const script = `
      const { runKernels } = await import(${url('bench/lib/kernels.mjs')});
      const { default: create } = await import(${url('build/bench/kernels-relaxed.mjs')});
      const { readFileSync } = await import('node:fs');
      const bytes = readFileSync(new URL(${url('build/bench/kernels-relaxed.wasm')}));
      process.stdout.write(JSON.stringify(await runKernels(create, ${JSON.stringify(quick ? ['--quick'] : [])}, bytes)));`;
    kernels.relaxedNode = JSON.parse(
      execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--input-type=module', '-e', script], {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      }),
    );
    log(
      `  mul+add peak ${kernels.relaxedNode.peak_gflops.toFixed(1)}, fma peak ${kernels.relaxedNode.fma_peak_gflops.toFixed(1)} GFLOP/s`,
    );
  }
  log('kernels (native, -march=native)');
  kernels.native = JSON.parse(
    execFileSync(join(ROOT, 'build/bench/kernels-native'), quick ? ['--quick'] : [], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    }),
  );
  log(`  ${kernels.native.arch}: peak ${kernels.native.peak_gflops.toFixed(1)} GFLOP/s`);
  // AVX2 + FMA, when this CPU has them and -march=native chose something else (AVX-512).
  const avx2 = join(ROOT, 'build/bench/kernels-native-avx2');
  const flags = cpuFlags();
  if (existsSync(avx2) && flags.includes('avx2') && flags.includes('fma') && !/avx2/.test(kernels.native.arch)) {
    log('kernels (native, -march=x86-64-v3: AVX2 + FMA)');
    kernels.nativeAvx2 = JSON.parse(
      execFileSync(avx2, quick ? ['--quick'] : [], { encoding: 'utf8', maxBuffer: 1 << 26 }),
    );
    log(`  ${kernels.nativeAvx2.arch}: peak ${kernels.nativeAvx2.peak_gflops.toFixed(1)} GFLOP/s`);
  }
}

// ---- Node -------------------------------------------------------------------------
const suiteSections = [...sections].filter((s) => s !== 'kernels').join(',');
// The Node suite in a child process: node flags, suite sections, extra suite arguments.
async function nodeSuite(flags, suiteSections, extra, name, nodeBin = process.execPath) {
  const out = join(ROOT, `build/bench/${name}.json`);
  const args = [
    ...flags,
    join(ROOT, 'bench/lib/node-suite.mjs'),
    '--out',
    out,
    '--engine',
    engineDir,
    '--sections',
    suiteSections,
    '--tiny',
    prep.tiny.dir,
    '--tiny-name',
    prep.tiny.name,
    ...extra,
  ];
  if (quick) args.push('--quick');
  if (runs) args.push('--runs', runs);
  log(`Node: ${nodeBin} ${args.slice(0, flags.length + 1).join(' ')} ...`);
  await new Promise((ok, fail) => {
    const child = spawn(nodeBin, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    child.stderr.on('data', (d) => process.stderr.write(String(d).replace(/^(?!\s*$)/gm, '[node] ')));
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`the Node suite exited with ${code}`))));
  });
  return JSON.parse(readFileSync(out, 'utf8'));
}

let node = null;
let nodeRelaxed = null;
let nodeLts = null;
if (inNode && suiteSections) {
  node = await nodeSuite([], suiteSections, baselineDir ? ['--baseline', baselineDir] : [], 'node-results');
  // The ops in the Node people run now (relaxed SIMD shipped), with the SIMD128 build alongside;
  // where it cannot be had, Node 20 with the V8 flag stands in.
  if (sections.has('ops') && existsSync(join(engineDir, 'attnscope.relaxed.wasm'))) {
    const lts = flag('--no-lts') ? null : ltsNode(ROOT, log);
    if (lts) nodeLts = await nodeSuite([], 'ops', ['--with-simd128'], 'node-lts', lts);
    else nodeRelaxed = await nodeSuite(['--experimental-wasm-relaxed-simd'], 'ops', ['--with-simd128'], 'node-relaxed');
  }
}
load.push(loadavg());

// ---- Chromium -----------------------------------------------------------------------
let browser = null;
if (inBrowser) {
  const CHROMIUM = process.env.ATTNSCOPE_CHROMIUM || '/usr/bin/chromium';
  const { chromium } = await import('playwright-core');
  const mounts = { main: engineDir };
  if (baselineDir) mounts.baseline = baselineDir;
  const server = await startServer({ root: ROOT, mounts });
  const userDataDir = mkdtempSync(join(tmpdir(), 'attnscope-bench-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--js-flags=--max-old-space-size=8192',
    ],
  });
  try {
    const page = await context.newPage();
    page.on('console', (m) => console.error(`[chromium] ${m.text()}`));
    page.on('pageerror', (e) => console.error(`[chromium] page error: ${e.message}`));
    const q = new URLSearchParams({
      sections: [...sections].join(','),
      // Chromium loads the relaxed-SIMD build by default; the SIMD128 one runs alongside.
      engines: [
        'attnscope:/engines/main/',
        ...(existsSync(join(engineDir, 'attnscope.relaxed.wasm'))
          ? ['attnscope (simd128):/engines/main/@simd128']
          : []),
        ...(baselineDir ? ['attnscope (baseline):/engines/baseline/'] : []),
      ].join(','),
      tiny: `/${prep.tiny.dir.slice(ROOT.length).replace(/^\/+/, '')}/`,
      tinyName: prep.tiny.name,
      tinyTokenizer: prep.tiny.tokenizer,
    });
    if (quick) q.set('quick', '1');
    if (runs) q.set('runs', runs);
    log(`Chromium: ${server.origin}/bench/browser/index.html?${q}`);
    await page.goto(`${server.origin}/bench/browser/index.html?${q}`);
    await page.waitForFunction(() => window.__done === true, null, { timeout: 0, polling: 1000 });
    const err = await page.evaluate(() => window.__error);
    if (err) throw new Error(`the page failed: ${err}`);
    browser = await page.evaluate(() => window.__result);
    browser.env.version =
      context.browser()?.version() ?? execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
  } finally {
    await context.close();
    await server.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
  if (browser.kernels) kernels.wasmChromium = browser.kernels;
  if (browser.relaxedKernels) kernels.relaxedChromium = browser.relaxedKernels;
}
load.push(loadavg());

// ---- size -------------------------------------------------------------------------------
const size = await engineSize(engineDir);
log(
  `size: wasm ${(size.wasmGzip / 1024).toFixed(1)} KB + JS ${(size.jsGzip / 1024).toFixed(1)} KB = ${(size.totalGzip / 1024).toFixed(1)} KB gzip (budget 150 KB)`,
);

// ---- report ---------------------------------------------------------------------------
const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};
/** This CPU's feature flags (Linux; empty elsewhere). */
function cpuFlags() {
  try {
    return ((readFileSync('/proc/cpuinfo', 'utf8').match(/flags\s*:\s*(.*)/) ?? [])[1] ?? '').split(' ');
  } catch {
    return [];
  }
}
const pkgVersion = (p) => JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version;
const machine = {
  cpu: (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? cpus()[0]?.model,
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  flags: cpuFlags().filter((f) => /^(avx2|avx512f|fma)$/.test(f)),
  load,
};
const meta = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  command: `node bench/run.mjs ${argv.join(' ')}`.trim(),
  minutes: (Date.now() - started) / 60000,
  machine,
  versions: {
    node: process.version,
    chromium: browser?.env.version ?? null,
    emcc:
      (sh('bash', ['-c', 'source scripts/emscripten-env.sh >/dev/null 2>&1; emcc --version']) ?? '')
        .split('\n')[0]
        .replace(/^emcc \(.*?\) /, '') || null,
    'onnxruntime-web': pkgVersion('onnxruntime-web'),
    '@tensorflow/tfjs-core': pkgVersion('@tensorflow/tfjs-core'),
    '@tensorflow/tfjs-backend-wasm': pkgVersion('@tensorflow/tfjs-backend-wasm'),
    attnscope: sh('git', ['describe', '--always', '--dirty']),
  },
  engineDir: engineDir.startsWith(ROOT) ? engineDir.slice(ROOT.length) || 'dist' : engineDir,
  baselineDir,
  tinyModel: prep.tiny.name,
  quick,
};
const data = { meta, kernels, node, nodeRelaxed, nodeLts, browser, size };
writeFileSync(join(ROOT, 'build/bench/results.json'), JSON.stringify(data, null, 1));
const md = renderReport(data);
writeFileSync(outFile, md);
console.log(md);
log(`wrote ${outFile} (and build/bench/results.json) in ${meta.minutes.toFixed(1)} min`);
