// attnscope in a real browser (Debian's Chromium, driven by playwright-core):
// every entry point gives the same results as Node, bit for bit, also under a
// strict Content-Security-Policy and from a file:// page.
//
//   node --test tests/browser/
//
// The pages are static files beside this one (tests/browser/*.html + *-page.mjs,
// no inline scripts); each publishes window.__result / window.__error (see
// harness.mjs). Console errors, uncaught page errors, failed requests and CSP
// violations on any page fail its test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { CSP, CSP_NO_WASM, CSP_NO_WASM_PREFIX, CSP_PREFIX, startServer } from './server.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.ATTNSCOPE_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PAGE_TIMEOUT = 20_000;
const TEST_TIMEOUT = 45_000;
const MAX_MAIN_THREAD_GAP_MS = 100;

let server; // { origin, requests, close }
let context; // playwright BrowserContext (persistent, fresh profile)
let userDataDir;
let node; // reference results computed in Node, per wasm build: { [simdArch]: results }
let scenarios; // tests/js/scenarios.mjs
let launchMs;

before(async () => {
  for (const file of [
    'dist/index.js',
    'dist/attnscope.wasm',
    'dist/attnscope.relaxed.wasm',
    'dist/attnscope.single.js',
    'dist/attnscope.global.js',
    'dist/worker.js',
    'dist/worker-main.js',
  ])
    if (!existsSync(join(ROOT, file)))
      throw new Error(`${file} is missing: build the package first (bash scripts/build.sh)`);
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: run scripts/setup.sh (it installs Debian's chromium) and try again`,
    );
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (err) {
    throw new Error(`playwright-core is not installed (${err.message}): run scripts/setup.sh / npm install`);
  }

  scenarios = await import('../js/scenarios.mjs');
  node = { wasm: await referenceResults('simd128'), 'wasm+relaxed': await referenceResults('relaxed') };

  server = await startServer({ root: ROOT });
  userDataDir = mkdtempSync(join(tmpdir(), 'attnscope-chromium-'));
  const t0 = performance.now();
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  } catch (err) {
    throw new Error(`could not launch ${CHROMIUM} (run scripts/setup.sh if it is missing or broken): ${err.message}`);
  }
  launchMs = performance.now() - t0;
  console.log(
    `chromium ${context.browser()?.version() ?? '?'} launched in ${launchMs.toFixed(0)} ms; server ${server.origin}`,
  );
});

after(async () => {
  await context?.close().catch(() => {});
  await server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- helpers

const ms = (x) => `${Number(x).toFixed(1)} ms`;

/**
 * Opens `path` (below the server root, or a file: URL) in a fresh tab, waits
 * for window.__done and returns the page's result. Fails on page errors,
 * console errors, failed requests, HTTP errors and CSP violations.
 * csp: true serves everything with the strict CSP; 'no-wasm' with the control
 * policy (then, with expectError, the page's error and problems are returned).
 */
async function runPage(path, { csp = false, blockWasm = false, expectError = false } = {}) {
  const prefix = csp === 'no-wasm' ? CSP_NO_WASM_PREFIX : csp ? CSP_PREFIX : '';
  const policy = csp === 'no-wasm' ? CSP_NO_WASM : CSP;
  const url = path.startsWith('file:') ? path : `${server.origin}${prefix}${path}`;
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  const responses = [];
  const blocked = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const where = m.location();
      problems.push(`console.error${m.worker() ? ' (worker)' : ''}: ${m.text()} [${where.url}:${where.lineNumber}]`);
    }
  });
  page.on('pageerror', (err) => problems.push(`uncaught error: ${err.stack || err.message}`));
  page.on('crash', () => problems.push('the page crashed'));
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    responses.push({ url: r.url(), status: r.status(), csp: r.headers()['content-security-policy'] });
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  if (blockWasm)
    await page.route('**/*.wasm', (route) => {
      blocked.push(route.request().url());
      return route.abort('blockedbyclient');
    });

  const t0 = performance.now();
  try {
    const response = await page.goto(url);
    try {
      await page.waitForFunction(() => window.__done === true, null, { timeout: PAGE_TIMEOUT, polling: 50 });
    } catch (err) {
      const status = await page
        .locator('#status')
        .textContent()
        .catch(() => '?');
      throw new Error(
        `${url} did not finish in ${PAGE_TIMEOUT} ms (status: ${status}); problems: ${JSON.stringify(problems)}`,
        { cause: err },
      );
    }
    const { result, error, errorCode, violations } = await page.evaluate(() => ({
      result: window.__result,
      error: window.__error,
      errorCode: window.__errorCode,
      violations: window.__violations ?? [],
    }));
    const elapsedMs = performance.now() - t0;
    for (const v of violations) problems.push(`CSP violation: ${v}`);
    if (csp) {
      assert.equal(response.headers()['content-security-policy'], policy, 'the page must be served with the policy');
      for (const r of responses) assert.equal(r.csp, policy, `${r.url} must be served with the policy`);
    }
    if (expectError) {
      assert.ok(error, `${url} was expected to fail, but it succeeded`);
      return { error, errorCode, problems, violations, requests, elapsedMs };
    }
    if (error !== undefined)
      assert.fail(`${url} threw:\n${error}\nother problems on the page: ${JSON.stringify(problems, null, 1)}`);
    assert.deepEqual(problems, [], `${url}: problems on the page`);
    return { result, requests, responses, blocked, elapsedMs };
  } finally {
    await page.close().catch(() => {});
  }
}

/** {name: {key: uint32[]}} from a page back to {name: {key: number[]}} as runScenarios gives. */
function fromBits(bits) {
  return Object.fromEntries(
    Object.entries(bits).map(([name, arrays]) => [
      name,
      Object.fromEntries(
        Object.entries(arrays).map(([key, u32]) => [key, Array.from(new Float32Array(Uint32Array.from(u32).buffer))]),
      ),
    ]),
  );
}

const layoutOf = (results) =>
  Object.fromEntries(
    Object.entries(results).map(([n, a]) => [n, Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v.length]))]),
  );

const countValues = (results) =>
  Object.values(results).reduce((n, a) => n + Object.values(a).reduce((m, v) => m + v.length, 0), 0);

/**
 * runScenarios() in Node on one wasm build ('simd128' or 'relaxed'). Node < 22 runs
 * relaxed SIMD only behind a V8 flag: then a child Node with the flag computes it.
 */
async function referenceResults(simd) {
  const { createEngine, relaxedSimdSupported } = await import('../../dist/index.js');
  if (simd === 'simd128' || relaxedSimdSupported()) {
    const engine = await createEngine({ simd });
    const results = await scenarios.runScenarios(engine);
    engine.dispose();
    return results;
  }
  const url = (p) => JSON.stringify(new URL(p, import.meta.url).href);
  const script = `
    const { createEngine } = await import(${url('../../dist/index.js')});
    const { runScenarios } = await import(${url('../js/scenarios.mjs')});
    const engine = await createEngine({ simd: 'relaxed' });
    const bits = {};
    for (const [name, arrays] of Object.entries(await runScenarios(engine)))
      bits[name] = Object.fromEntries(
        Object.entries(arrays).map(([k, v]) => [k, Array.from(new Uint32Array(new Float32Array(v).buffer))]));
    process.stdout.write(JSON.stringify(bits));`;
  const out = execFileSync(
    process.execPath,
    ['--experimental-wasm-relaxed-simd', '--input-type=module', '-e', script],
    { maxBuffer: 1 << 30 },
  );
  return fromBits(JSON.parse(out));
}

/** Node's results for the build a page ran (its simdArch). */
function referenceFor(simdArch, label) {
  assert.ok(node[simdArch], `${label}: simdArch ${simdArch} is not one of ${Object.keys(node).join(', ')}`);
  return node[simdArch];
}

/**
 * Asserts a page's scenario bits equal Node's results on the same wasm build bit
 * for bit; returns how many floats were compared.
 */
function assertSameAsNode(bits, label, simdArch) {
  assert.ok(bits && typeof bits === 'object', `${label}: no results`);
  const reference = referenceFor(simdArch, label);
  const browser = fromBits(bits);
  assert.deepEqual(layoutOf(browser), layoutOf(reference), `${label}: the scenarios or their sizes differ from Node's`);
  const diffs = scenarios.diffResults(reference, browser);
  assert.deepEqual(diffs, [], `${label}: results differ from Node on the ${simdArch} build (node vs browser)`);
  return countValues(browser);
}

/** The Node result of one scenario's `key` on a build, as bit patterns. */
function nodeBits(name, key, simdArch) {
  return Array.from(new Uint32Array(new Float32Array(referenceFor(simdArch, name)[name][key]).buffer));
}

function assertError(err, code, label) {
  assert.ok(err, `${label}: expected an AttnscopeError '${code}', but the call succeeded`);
  assert.equal(err.isAttnscopeError, true, `${label}: not an AttnscopeError: ${JSON.stringify(err)}`);
  assert.equal(err.name, 'AttnscopeError', label);
  assert.equal(err.code, code, `${label}: wrong code (${err.message})`);
}

// ---------------------------------------------------------------- checks shared by plain and CSP runs

// Chromium has relaxed SIMD: by default the main entry loads attnscope.relaxed.wasm; simd: 'simd128' the other.
async function checkMainEntry(t, { csp }) {
  for (const [simd, arch, file] of [
    ['auto', 'wasm+relaxed', 'attnscope.relaxed.wasm'],
    ['simd128', 'wasm', 'attnscope.wasm'],
  ]) {
    const { result, requests, elapsedMs } = await runPage(`/tests/browser/scenarios.html?entry=main&simd=${simd}`, {
      csp,
    });
    const label = `main entry, simd ${simd}${csp ? ' (CSP)' : ''}`;
    assert.equal(result.simdArch, arch, label);
    const n = assertSameAsNode(result.bits, label, result.simdArch);
    const wasmRequests = requests.filter((u) => /\.wasm($|\?)/.test(u));
    assert.deepEqual(
      wasmRequests.map((u) => u.slice(u.lastIndexOf('/') + 1)),
      [file],
      `${label}: loads ${file} beside it, once, and no other wasm`,
    );
    t.diagnostic(
      `${label}: ${n} floats identical to Node's ${arch} build; ` +
        `import ${ms(result.importMs)}, createEngine ${ms(result.createMs)}, scenarios ${ms(result.runMs)}, page ${ms(elapsedMs)}`,
    );
  }
}

async function checkSingleFile(t, { csp }) {
  const { result, requests, blocked, elapsedMs } = await runPage('/tests/browser/scenarios.html?entry=single', {
    csp,
    blockWasm: true,
  });
  assert.equal(result.simdArch, 'wasm', 'the single-file entry inlines the simd128 build only');
  const n = assertSameAsNode(result.bits, `single-file entry${csp ? ' (CSP)' : ''}`, result.simdArch);
  assert.deepEqual(blocked, [], 'the single-file entry must not request any .wasm file');
  assert.deepEqual(
    requests.filter((u) => /\.wasm($|\?)/.test(u)),
    [],
  );
  assert.ok(requests.some((u) => u.endsWith('/dist/attnscope.single.js')));
  assert.ok(!requests.some((u) => u.endsWith('/dist/index.js')), 'the single-file entry must not pull in index.js');
  t.diagnostic(
    `single-file entry${csp ? ' + CSP' : ''} (.wasm requests aborted, none made): ${n} floats identical to Node; ` +
      `import ${ms(result.importMs)}, createEngine ${ms(result.createMs)}, scenarios ${ms(result.runMs)}, page ${ms(elapsedMs)}`,
  );
}

async function checkWorker(t, { csp }) {
  const { result: r, requests, elapsedMs } = await runPage('/tests/browser/worker.html', { csp });
  const label = `worker entry${csp ? ' (CSP)' : ''}`;
  assert.equal(r.simdArch, 'wasm+relaxed', `${label}: the worker loads the relaxed build where it can`);
  const n = assertSameAsNode(r.bits, label, r.simdArch);
  assert.ok(
    requests.some((u) => u.endsWith('/dist/worker-main.js')),
    'the worker script was loaded',
  );

  // Abort of a queued call; the call ahead of it and the next call are fine.
  assertError(r.queuedAbort, 'aborted', `${label}: aborted queued call`);
  assert.equal(r.runningAheadOk, true, `${label}: the call ahead of the aborted one must complete`);
  assert.deepEqual(r.afterQueuedAbort, nodeBits('dot', 'context', r.simdArch), `${label}: the call after an abort`);
  assertError(r.preAborted, 'aborted', `${label}: already-aborted signal`);
  // Abort of the running call: the worker is replaced, the next call is answered.
  assertError(r.runningAbort, 'aborted', `${label}: aborted running call`);
  assert.deepEqual(
    r.afterRunningAbort,
    nodeBits('dot', 'context', r.simdArch),
    `${label}: the call after aborting a running call`,
  );
  // After dispose.
  assertError(r.afterDispose, 'disposed', `${label}: call after dispose()`);

  // Responsiveness.
  assert.equal(r.bigSameBits, true, `${label}: the 2048x2048 attention differs between the worker and the main thread`);
  assert.ok(r.workerGap.ticks > 0, 'setInterval never fired while the worker computed');
  assert.ok(
    r.workerGap.maxGap < MAX_MAIN_THREAD_GAP_MS,
    `${label}: the main thread stalled ${ms(r.workerGap.maxGap)} while the worker computed (limit ${MAX_MAIN_THREAD_GAP_MS} ms)`,
  );
  t.diagnostic(
    `${label}: ${n} floats identical to Node; create ${ms(r.createMs)}, scenarios ${ms(r.runMs)}, page ${ms(elapsedMs)}`,
  );
  t.diagnostic(
    `${label}: aborts ok (queued -> 'aborted'; running -> 'aborted' after ${ms(r.runningAbortMs)}, ` +
      `next call on a fresh worker ${ms(r.restartMs)})`,
  );
  t.diagnostic(
    `${label}: 3x attention t=s=2048 d=64 in the worker took ${ms(r.workerGap.workMs)}; main-thread setInterval(10) ` +
      `max gap ${ms(r.workerGap.maxGap)} over ${r.workerGap.ticks} ticks ` +
      `(control: 1x on the main thread blocks ${ms(r.mainThreadGap.maxGap)}, same bits as the worker)`,
  );
}

async function checkErrors(t, entry) {
  const { result: r } = await runPage(`/tests/browser/errors.html?entry=${entry}`);
  assertError(r.nan, 'non_finite', `${entry}: NaN in q`);
  assertError(r.infMha, 'non_finite', `${entry}: Infinity in weights.wk`);
  assertSameAsNode(r.afterNan, `${entry}: scenarios after a non_finite error`, r.simdArch);
  assertError(r.shortQ, 'shape_mismatch', `${entry}: q one element short`);
  assertError(r.badHeads, 'shape_mismatch', `${entry}: 5 heads for dModel 12`);
  assertError(r.invalid, 'invalid_argument', `${entry}: unknown scoring`);
  assertSameAsNode(r.afterMismatch, `${entry}: scenarios after shape errors`, r.simdArch);
  assertError(r.disposed, 'disposed', `${entry}: attention after dispose()`);
  assertError(r.disposedMha, 'disposed', `${entry}: multiHeadAttention after dispose()`);
  t.diagnostic(
    `errors (${entry}): non_finite (NaN, Infinity), shape_mismatch (x2), invalid_argument, disposed (x2) ok; ` +
      `engine still matches Node after the errors`,
  );
}

// ---------------------------------------------------------------- tests

test('static server: MIME types, CSP flag, refuses paths outside dist/ and tests/', async (t) => {
  const get = (path, init) => fetch(`${server.origin}${path}`, init);
  const types = {
    '/dist/index.js': 'text/javascript',
    '/tests/browser/harness.mjs': 'text/javascript',
    '/dist/attnscope.wasm': 'application/wasm',
    '/tests/browser/scenarios.html': 'text/html',
  };
  for (const [path, type] of Object.entries(types)) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type').split(';')[0], type, path);
    assert.equal(res.headers.get('content-security-policy'), null, `${path} without the flag has no CSP`);
    await res.arrayBuffer();
  }
  for (const path of ['/csp/dist/index.js', '/dist/index.js?csp']) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-security-policy'), CSP, path);
    await res.arrayBuffer();
  }
  // Raw request paths (fetch() would normalise the dot segments away before sending).
  const rawStatus = (path) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(`${server.origin}/`, { path, method: 'GET' }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end();
    });
  const refused = [
    '/package.json',
    '/src/js/engine.ts',
    '/.git/HEAD',
    '/node_modules/playwright-core/package.json',
    '/dist/../package.json',
    '/csp/dist/../../package.json',
    '/dist/%2e%2e/package.json',
    '/dist/..%2fpackage.json',
    '/tests/..%2f..%2f..%2fetc/passwd',
    '/dist/%00index.js',
    '/dist/nope.js',
    '/dist/',
  ];
  for (const path of refused) {
    const status = await rawStatus(path);
    assert.ok([400, 403, 404].includes(status), `${path} must be refused, got ${status}`);
  }
  const res = await get('/dist/index.js', { method: 'PUT', body: 'x' });
  assert.equal(res.status, 405);
  t.diagnostic(`server ${server.origin}: MIME types, CSP header and path checks ok`);
});

test('a. main entry (/dist/index.js) in Chromium == Node, bit for bit', { timeout: TEST_TIMEOUT }, async (t) => {
  await checkMainEntry(t, { csp: false });
});

test(
  'b. single-file entry (/dist/attnscope.single.js), .wasm requests blocked, == Node',
  { timeout: TEST_TIMEOUT },
  async (t) => {
    await checkSingleFile(t, { csp: false });
  },
);

test(
  'c. worker entry (/dist/worker.js): scenarios == Node, aborts, responsive main thread',
  { timeout: TEST_TIMEOUT },
  async (t) => {
    await checkWorker(t, { csp: false });
  },
);

test(`d. strict CSP (${CSP}): pages a, b and c still pass`, { timeout: TEST_TIMEOUT }, async (t) => {
  await t.test('main entry under CSP', (t) => checkMainEntry(t, { csp: true }));
  await t.test('single-file entry under CSP', (t) => checkSingleFile(t, { csp: true }));
  await t.test('worker entry under CSP (the worker script gets the policy too)', (t) => checkWorker(t, { csp: true }));
  // Control: without 'wasm-unsafe-eval' the same page must fail, so the policy above was really enforced.
  await t.test(`control: without 'wasm-unsafe-eval' (${CSP_NO_WASM}) the engine cannot load`, async (t) => {
    const r = await runPage('/tests/browser/scenarios.html?entry=main', { csp: 'no-wasm', expectError: true });
    assert.equal(r.errorCode, 'load_failed', `expected load_failed, got: ${r.error}`);
    assert.ok(r.violations.length > 0, 'the blocked wasm compilation must be reported as a CSP violation');
    t.diagnostic(
      `CSP control: engine refused as expected (${r.error.split('\n')[0]}); violations: ${r.violations.join('; ')}`,
    );
  });
});

test(
  'e. errors in the browser: AttnscopeError codes, engine usable afterwards',
  { timeout: TEST_TIMEOUT },
  async (t) => {
    await t.test('main entry', (t) => checkErrors(t, 'main'));
    await t.test('worker entry', (t) => checkErrors(t, 'worker'));
  },
);

test(
  'f. file:// page with the classic-script build (dist/attnscope.global.js) == Node',
  { timeout: TEST_TIMEOUT },
  async (t) => {
    const url = pathToFileURL(join(ROOT, 'tests/browser/file.html')).href;
    const { result: r, elapsedMs } = await runPage(url);
    assert.equal(r.protocol, 'file:');
    assert.equal(r.simdArch, 'wasm');
    const make = Object.fromEntries(scenarios.SCENARIOS);
    const floatsOf = (value, prefix = '', out = {}) => {
      for (const [key, v] of Object.entries(value)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (v instanceof Float32Array) out[path] = Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
        else if (v && typeof v === 'object' && !Array.isArray(v)) floatsOf(v, path, out);
      }
      return out;
    };
    const names = Object.keys(r.outputs);
    assert.ok(names.length >= 2, 'the file:// page ran its scenarios');
    for (const name of names) {
      assert.ok(make[name], `${name} is a scenario of tests/js/scenarios.mjs`);
      assert.deepEqual(
        r.inputs[name],
        floatsOf(make[name]()),
        `${name}: file-page.js's copy of the scenario builder has drifted`,
      );
      assert.deepEqual(Object.keys(r.outputs[name]).sort(), Object.keys(node.wasm[name]).sort(), name);
    }
    assert.deepEqual(
      scenarios.diffResults(fromBits(r.outputs), node.wasm),
      [],
      'file:// results differ from Node (browser vs node)',
    );
    assert.deepEqual(r.nanError, { name: 'AttnscopeError', code: 'non_finite', isAttnscopeError: true });
    const n = countValues(fromBits(r.outputs));
    t.diagnostic(
      `file:// (${names.join(', ')}): ${n} floats identical to Node; createEngine ${ms(r.createMs)}, run ${ms(r.runMs)}, page ${ms(elapsedMs)}`,
    );
  },
);

test('g. two engines on one page: independent, second creation fast', { timeout: TEST_TIMEOUT }, async (t) => {
  const { result: r, requests } = await runPage('/tests/browser/two-engines.html');
  assert.equal(r.distinct, true);
  assert.equal(r.simdArch, 'wasm+relaxed');
  assertSameAsNode(r.a, 'engine A', r.simdArch);
  assertSameAsNode(r.b, 'engine B', r.simdArch);
  assert.equal(r.aDisposed, true);
  assert.equal(r.bDisposedAfterA, false, 'disposing A must not dispose B');
  assertError(r.aCall, 'disposed', 'a call on the disposed engine A');
  assertSameAsNode(r.bAfter, 'engine B after A was disposed', r.simdArch);
  assert.ok(
    r.secondMs < r.firstMs,
    `the second createEngine() (${ms(r.secondMs)}) should be faster than the first (${ms(r.firstMs)}), which compiles`,
  );
  const wasmFetches = requests.filter((u) => u.endsWith('/dist/attnscope.relaxed.wasm')).length;
  t.diagnostic(
    `two engines: createEngine #1 ${ms(r.firstMs)}, #2 ${ms(r.secondMs)}, #3 ${ms(r.thirdMs)}; ` +
      `attnscope.relaxed.wasm fetched ${wasmFetches}x; B unaffected by A.dispose(); heaps A ${r.heaps.a.heapSize} B ${r.heaps.b.heapSize} bytes`,
  );
});
