// The npm package as users get it: `npm pack`, install the tarball into an
// empty project outside the repo, import every export there (no access to the
// repo's sources), type-check against the shipped .d.ts, and print the sizes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { engineSize } from '../../scripts/engine-size.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let dir;
let installed;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'attnscope-pack-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const tarball = join(dir, JSON.parse(out)[0].filename);
  const project = join(dir, 'project');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: project, stdio: 'ignore' });
  installed = join(project, 'node_modules', 'attnscope');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function targets(node) {
  return typeof node === 'string' ? [node] : Object.values(node).flatMap(targets);
}

test('every exports target is in the installed package; types come first', () => {
  for (const [entry, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'object') assert.equal(Object.keys(target)[0], 'types', `${entry}: types first`);
    for (const file of targets(target))
      assert.ok(existsSync(join(installed, file)), `${entry} -> ${file} is missing from the tarball`);
  }
  assert.ok(!existsSync(join(installed, 'src')), 'sources are not shipped');
});

test('the installed package imports and runs in Node: main, single-file and worker entries', () => {
  const script = `
    import { createEngine, AttnscopeError } from 'attnscope';
    import * as single from 'attnscope/single-file';
    import { createWorkerEngine } from 'attnscope/worker';
    const input = { q: [1, 0, 0, 1], k: [1, 0, 0, 1, 1, 1], v: [1, 2, 3, 4, 5, 6], shape: { t: 2, s: 3, d: 2 }, mask: { causal: true } };
    const a = (await createEngine()).attention(input);
    const b = (await single.createEngine()).attention(input);
    const w = await createWorkerEngine();
    const c = await w.attention(input);
    w.dispose();
    let code;
    try { (await createEngine()).attention({ ...input, q: [NaN, 0, 0, 1] }); } catch (e) { code = e instanceof AttnscopeError && e.code; }
    console.log(JSON.stringify({ a: [...a.weights], b: [...b.weights], c: [...c.weights], code }));
  `;
  writeFileSync(join(installed, '..', '..', 'run.mjs'), script);
  const out = JSON.parse(execFileSync('node', ['run.mjs'], { cwd: join(installed, '..', '..'), encoding: 'utf8' }));
  assert.equal(out.code, 'non_finite');
  assert.deepEqual(out.b, out.a);
  assert.deepEqual(out.c, out.a);
  assert.equal(out.a[2], 0);
});

test('the installed package loads its relaxed-SIMD build where the runtime has it (Node 20: behind a flag)', () => {
  const script = `
    import { createEngine } from 'attnscope';
    import { createWorkerEngine } from 'attnscope/worker';
    const input = { q: [1, 0, 0, 1], k: [1, 0, 0, 1, 1, 1], v: [1, 2, 3, 4, 5, 6], shape: { t: 2, s: 3, d: 2 } };
    const [relaxed, simd128, w] = await Promise.all([createEngine(), createEngine({ simd: 'simd128' }), createWorkerEngine()]);
    const out = { arch: relaxed.simdArch, archs: [simd128.simdArch, await w.simdArch],
      a: [...relaxed.attention(input).context], b: [...simd128.attention(input).context] };
    w.dispose();
    console.log(JSON.stringify(out));
  `;
  const project = join(installed, '..', '..');
  writeFileSync(join(project, 'relaxed.mjs'), script);
  const flags = ['--experimental-wasm-relaxed-simd'];
  const out = JSON.parse(execFileSync('node', [...flags, 'relaxed.mjs'], { cwd: project, encoding: 'utf8' }));
  assert.equal(out.arch, 'wasm+relaxed');
  assert.deepEqual(out.archs, ['wasm', 'wasm+relaxed']);
  for (let i = 0; i < out.a.length; i++) assert.ok(Math.abs(out.a[i] - out.b[i]) <= 1e-6 * Math.abs(out.b[i]) + 1e-6);
});

test('the shipped .d.ts files type-check a consumer (tsc, NodeNext resolution)', () => {
  const project = join(installed, '..', '..');
  writeFileSync(
    join(project, 'consumer.ts'),
    `import { createEngine, AttnscopeError, type AttentionOutput, type ErrorCode } from 'attnscope';
     import { createWorkerEngine } from 'attnscope/worker';
     import * as single from 'attnscope/single-file';
     const engine = await createEngine();
     const r: AttentionOutput = engine.attention({ q: new Float32Array(4), k: new Float32Array(4), v: new Float32Array(4), shape: { t: 2, s: 2, d: 2 }, scoring: 'additive', params: { W1: [], W2: [], v: [] } });
     const code: ErrorCode = new AttnscopeError('aborted', 'x').code;
     const w = await createWorkerEngine();
     const m = await w.multiHeadAttention({ query: [], shape: { t: 1, dModel: 2, heads: 1 }, weights: { wq: [], wk: [], wv: [], wo: [] } });
     const e2 = await single.createEngine();
     console.log(r.weights.length, code, m.shape.heads, e2.simdArch);
     // @ts-expect-error: scoring names are checked
     engine.attention({ q: [], k: [], v: [], shape: { t: 1, s: 1, d: 1 }, scoring: 'cosine' });
     export {};
    `,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        lib: ['ES2022', 'DOM'],
        types: [],
      },
      files: ['consumer.ts'],
    }),
  );
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', project], { stdio: 'inherit' });
});

test('size budget: wasm (either build) + JS of the main entry <= 150 KB gzip', async () => {
  const size = await engineSize(join(installed, 'dist'));
  const single = readFileSync(join(installed, 'dist', 'attnscope.single.js'));
  const kb = (n) => (n / 1024).toFixed(1);
  const total = size.totalGzip;
  console.log(
    `size: attnscope.wasm ${kb(size.wasm)} KB (${kb(size.wasmGzip)} KB gzip), ` +
      `attnscope.relaxed.wasm ${kb(size.relaxedWasm)} KB (${kb(size.relaxedWasmGzip)} KB gzip), ` +
      `main entry JS minified ${kb(size.js)} KB (${kb(size.jsGzip)} KB gzip), ` +
      `total ${kb(total)} KB gzip; single-file ${kb(single.length)} KB (${kb(gzipSync(single, { level: 9 }).length)} KB gzip)`,
  );
  assert.ok(total <= 150 * 1024, `main entry is ${kb(total)} KB gzip, over the 150 KB budget`);
});
