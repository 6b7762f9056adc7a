// The page and the <attn-scope> element in a real browser (Debian's Chromium
// driven by playwright-core), served by scripts/serve.mjs with the strict
// Content-Security-Policy on every response:
//   - typing renders the engine's numbers (the data table == dist/index.js in Node)
//   - every view renders without console errors; screenshots in test-results/page/
//   - hostile text never executes and never breaks the page
//   - CSP, file:// copy, three elements sharing one worker
//   - keyboard-only walkthrough; no long task while typing 200 characters
//   - export, share link, errors in plain words with the previous model kept
//
//   node --test tests/browser/page.test.mjs
// Builds build/web (scripts/build-web.mjs) first when it is missing or stale.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { STRICT_CSP, startServer } from '../../scripts/serve.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = join(ROOT, 'build/web');
const WEB_FILE = join(ROOT, 'build/web-file');
const SHOTS = join(ROOT, 'test-results/page');
const CHROMIUM = process.env.ATTNSCOPE_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const T = { timeout: 60_000 };

let server;
let browser;
let node; // { engine, models: { id: Model }, info }
let nodeSimd; // the wasm build Node's engine runs: 'simd128', or 'relaxed' (Node 22+)
let buildInfo;

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

before(async () => {
  for (const f of ['dist/index.js', 'dist/worker-main.js', 'dist/attnscope.single.js'])
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: build the package first (bash scripts/build.sh)`);
  const stamp = join(WEB, 'build-info.json');
  const stale =
    !existsSync(stamp) ||
    !existsSync(join(WEB_FILE, 'index.html')) ||
    Math.max(
      newestMtime(join(ROOT, 'web')),
      newestMtime(join(ROOT, 'dist')),
      statSync(join(ROOT, 'scripts/build-web.mjs')).mtimeMs,
    ) > statSync(stamp).mtimeMs;
  if (stale) execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
  buildInfo = JSON.parse(readFileSync(stamp, 'utf8'));

  const { createEngine } = await import('../../dist/index.js');
  const engine = await createEngine();
  nodeSimd = engine.simdArch === 'wasm+relaxed' ? 'relaxed' : 'simd128';
  const models = {};
  for (const m of buildInfo.models) {
    const dir = join(ROOT, m.dir);
    models[m.id] = await engine.loadModel({
      config: readFileSync(join(dir, 'config.json')),
      weights: readFileSync(join(dir, m.weights)),
      tokenizer: readFileSync(join(dir, 'tokenizer.json')),
    });
  }
  node = { engine, models };

  server = await startServer({ root: WEB, strict: true });
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (err) {
    throw new Error(`playwright-core is not installed (${err.message}): run scripts/setup.sh / npm install`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  mkdirSync(SHOTS, { recursive: true });
  console.log(
    `page tests: models ${buildInfo.modelSet}, ${Object.entries(buildInfo.sizes)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`,
  );
});

after(async () => {
  await browser?.close().catch(() => {});
  await server?.close();
  for (const m of Object.values(node?.models ?? {})) m.dispose();
  node?.engine.dispose();
});

// ------------------------------------------------------------------ helpers

/**
 * A fresh page that records problems: console errors, uncaught errors, failed
 * requests, HTTP errors, CSP violations, dialogs (alert from injected script).
 */
// simd: the page's ?simd= (which wasm build its engine loads); pages whose numbers are compared with
// Node's use nodeSimd, the build Node runs, so that they agree bit for bit.
async function open(
  path,
  { colorScheme = 'light', viewport = { width: 1200, height: 900 }, locale = 'en-US', allow = [], simd } = {},
) {
  if (simd) path += `${path.includes('?') ? '&' : '?'}simd=${simd}`;
  const context = await browser.newContext({ colorScheme, viewport, locale, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  const responses = [];
  const ok = (s) => allow.some((re) => re.test(s));
  page.on('console', (m) => {
    if (m.type() === 'error' && !ok(m.text())) problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.stack || e.message}`));
  page.on(
    'requestfailed',
    (r) => !ok(r.url()) && problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`),
  );
  page.on('response', (r) => {
    responses.push({ url: r.url(), status: r.status(), csp: r.headers()['content-security-policy'] });
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`),
    );
    window.__longtasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    } catch {
      /* not supported */
    }
  });
  const url = path.startsWith('file:') ? path : `${server.origin}${path}`;
  await page.goto(url);
  const done = async () => {
    const violations = await page.evaluate(() => window.__violations).catch(() => []);
    await context.close();
    return [...problems, ...violations.map((v) => `CSP violation: ${v}`)];
  };
  return { page, problems, responses, done };
}

/** Waits until every <attn-scope> (or `selector`) has shown the result for its current text. */
async function idle(page, selector = 'attn-scope') {
  await page.waitForFunction(
    (sel) =>
      [...document.querySelectorAll(sel)].every(
        (el) => el.result && el.result.tokens && !el.shadowRoot.querySelector('.root.busy'),
      ),
    selector,
    { timeout: 20_000, polling: 50 },
  );
  await page.evaluate((sel) => Promise.all([...document.querySelectorAll(sel)].map((el) => el.whenIdle())), selector);
}

const setAttrs = (page, attrs, selector = 'attn-scope') =>
  page.evaluate(
    ([sel, a]) => {
      const el = document.querySelector(sel);
      for (const [k, v] of Object.entries(a))
        if (v === null) el.removeAttribute(k);
        else el.setAttribute(k, v);
    },
    [selector, attrs],
  );

/** The open data table of the element: [{ i, j, w }] from the cells' data attributes. */
async function tableCells(page, selector = 'attn-scope') {
  return page.evaluate(async (sel) => {
    const el = document.querySelector(sel);
    const details = el.shadowRoot.querySelector('details.data');
    if (!details.open) {
      details.open = true;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return {
      kind: el.shadowRoot.querySelector('.data-table')?.dataset.kind,
      cells: [...el.shadowRoot.querySelectorAll('.data-table td[data-w]')].map((td) => ({
        i: Number(td.dataset.i),
        j: Number(td.dataset.j),
        w: td.dataset.w,
      })),
    };
  }, selector);
}

async function shot(page, name, selector) {
  const file = join(SHOTS, `${name}.png`);
  if (selector) await page.locator(selector).first().screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Asserts the element's heatmap table equals Node's attention for (text, layer, head), value for value. */
function assertMatchesNode(cells, modelId, text, layer, head) {
  const r = node.models[modelId].run(text);
  const t = r.shape.tokens;
  const base = (layer * r.shape.heads + head) * t * t;
  assert.equal(cells.length, t * t, `the table has ${cells.length} cells, the engine ${t}x${t}`);
  let compared = 0;
  for (const { i, j, w } of cells) {
    const expected = r.attentions[base + i * t + j];
    assert.equal(Math.fround(Number(w)), expected, `cell (${i}, ${j}): page ${w}, Node ${expected}`);
    compared++;
  }
  return { compared, tokens: t };
}

// -------------------------------------------------------------------- tests

test('scripts/serve.mjs: MIME types, the CSP on every response, no way out of the folder', async () => {
  const get = async (path, method = 'GET') => {
    const r = await fetch(`${server.origin}${path}`, { method });
    return { status: r.status, type: r.headers.get('content-type'), csp: r.headers.get('content-security-policy') };
  };
  const cases = {
    '/': [200, /text\/html/],
    '/attn-scope.js': [200, /text\/javascript/],
    '/attnscope-worker.js': [200, /text\/javascript/],
    '/attnscope.wasm': [200, /application\/wasm/],
    '/attnscope.relaxed.wasm': [200, /application\/wasm/],
    '/page.css': [200, /text\/css/],
    '/tutorial.html': [200, /text\/html/],
    '/missing.html': [404],
    '/%2e%2e/package.json': [404],
    '/..%2fpackage.json': [403],
    '/%00': [400],
    '/.hidden': [403],
  };
  for (const [path, [status, type]] of Object.entries(cases)) {
    const r = await get(path);
    assert.equal(r.status, status, path);
    if (type) assert.match(r.type, type, path);
    assert.equal(r.csp, STRICT_CSP, `${path} carries the policy`);
  }
  assert.equal((await get('/', 'POST')).status, 405);
});

test('typing a sentence renders the engine’s own numbers (data table == Node)', T, async () => {
  const { page, done } = await open('/', { simd: nodeSimd });
  await idle(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.simdArch), node.engine.simdArch);
  const first = await page.evaluate(() => Number(document.documentElement.dataset.firstResultMs));
  console.log(`first result (navigation start → first picture, default model, worker): ${first} ms`);
  const box = page.locator('attn-scope textarea');
  await box.fill('');
  const sentence = 'The cat sat on the mat because it was warm.';
  await box.pressSequentially(sentence, { delay: 5 });
  await page.waitForFunction(
    (s) => document.querySelector('attn-scope').result?.tokens && document.querySelector('attn-scope').text === s,
    sentence,
  );
  await idle(page);
  const state = await page.evaluate(() => {
    const el = document.querySelector('attn-scope');
    return {
      layer: el.layer,
      head: el.head,
      model: el.model,
      chips: [...el.shadowRoot.querySelectorAll('.tok')].length,
    };
  });
  const { cells, kind } = await tableCells(page);
  assert.equal(kind, 'matrix');
  const { compared, tokens } = assertMatchesNode(cells, state.model, sentence, state.layer, state.head);
  assert.equal(state.chips, tokens, 'one token chip per token');
  console.log(
    `typed sentence: ${compared} weights (${tokens} tokens, layer ${state.layer}, head ${state.head}) equal Node's`,
  );
  // another head and layer, through the UI's radio buttons
  await page.locator('attn-scope .head-picker button[data-value="2"]').click();
  await page.locator('attn-scope .layer-picker button[data-value="0"]').click();
  await idle(page);
  const again = await tableCells(page);
  assertMatchesNode(again.cells, state.model, sentence, 0, 2);
  assert.deepEqual(await done(), []);
});

test('every view renders without console errors; screenshots of each', T, async () => {
  const { page, done } = await open('/');
  await idle(page);
  const arch = await page.evaluate(() => document.documentElement.dataset.simdArch);
  assert.equal(arch, 'wasm+relaxed', 'by default the page runs the relaxed-SIMD build where Chromium has it');
  await setAttrs(page, { text: "The animal didn't cross the street because it was too tired", layer: '1', head: '0' });
  await idle(page);
  const views = [
    ['heatmap', {}],
    ['lines', {}],
    ['lines-all-heads', { view: 'lines', head: 'all' }],
    ['model', { view: 'model', head: '0' }],
    ['distribution', { view: 'distribution', sort: 'weight' }],
    ['steps', { view: 'steps', query: '9' }],
    ['compare', { view: 'compare', temperature: '0.5' }],
    ['heatmap-rollout', { view: 'heatmap', head: 'rollout', layer: '2' }],
    [
      'heatmap-words-mean',
      {
        view: 'heatmap',
        head: 'mean',
        merge: '',
        text: '我今天很高兴，因为天气很好。 Transformers tokenize sub-words.',
      },
    ],
  ];
  for (const [name, attrs] of views) {
    await setAttrs(page, { view: name.split('-')[0], ...attrs });
    await idle(page);
    await page.waitForTimeout(60);
    const info = await page.evaluate(() => {
      const el = document.querySelector('attn-scope');
      const root = el.shadowRoot;
      const canvas = root.querySelector('canvas');
      let ink = 0;
      if (!canvas.closest('[hidden]') && canvas.width > 0) {
        const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let k = 3; k < d.length; k += 4 * 7) if (d[k] > 0) ink++;
      }
      return {
        view: el.view,
        ink,
        html: root.querySelector('.html-view').hidden ? '' : root.querySelector('.html-view').textContent,
        verify: root.querySelector('.verify')?.dataset.diff,
      };
    });
    if (name === 'steps') {
      assert.ok(info.verify !== undefined, 'the step-by-step view shows its check against the engine');
      assert.ok(Number(info.verify) < 1e-5, `recomputed weights differ from the engine's by ${info.verify}`);
    } else assert.ok(info.ink > 200, `${name}: the picture is empty`);
    await shot(page, `view-${name}`, 'attn-scope');
  }
  // dark, high-contrast and Chinese UI
  await setAttrs(page, { view: 'heatmap', head: '1', merge: null, lang: 'zh', text: '我今天很高兴，因为天气很好。' });
  await idle(page);
  await shot(page, 'page-zh');
  await setAttrs(page, { theme: 'contrast', lang: 'en' });
  await idle(page);
  await shot(page, 'page-contrast');
  assert.deepEqual(await done(), []);

  // the UI follows the browser's language
  const zh = await open('/', { locale: 'zh-CN' });
  await idle(zh.page);
  assert.equal(await zh.page.locator('attn-scope [role=tab]').first().textContent(), '热力图');
  assert.deepEqual(await zh.done(), []);

  const dark = await open('/', { colorScheme: 'dark' });
  await idle(dark.page);
  await shot(dark.page, 'page-dark');
  await setAttrs(dark.page, { view: 'lines', head: 'all' });
  await idle(dark.page);
  await shot(dark.page, 'view-lines-dark', 'attn-scope');
  assert.deepEqual(await dark.done(), []);
});

const HOSTILE = [
  '<script>window.__pwned = 1; alert(1)</script>',
  '<img src=x onerror="window.__pwned=2;alert(2)">',
  '"><svg onload=alert(3)>',
  'javascript:alert(4)',
  '<a href="javascript:window.__pwned=5">click</a>',
  '\u202Eevil\u202C text \u2066isolate\u2069 \u200F\u200B',
  '\uD800 lone high, lone low \uDFFF, pair 😀',
  '{{constructor.constructor("window.__pwned=6")()}}',
  '${alert(7)}',
  '%3Cscript%3Ealert(8)%3C/script%3E',
  '\u0000\u0001\u0007 control \u001b[31m',
  '&lt;b&gt; entities &amp; &#x3C;script&#x3E;',
  '\n\n\t  ',
  'x'.repeat(10_000),
  ('<b>' + 'é'.repeat(50) + '</b>').repeat(100),
];

test('hostile text never executes and never breaks the page', T, async () => {
  const { page, done } = await open('/');
  await idle(page);
  for (const [k, text] of HOSTILE.entries()) {
    await setAttrs(page, { text, view: ['heatmap', 'lines', 'distribution', 'steps', 'model'][k % 5] });
    await idle(page);
    const state = await page.evaluate(() => {
      const el = document.querySelector('attn-scope');
      const root = el.shadowRoot;
      return {
        pwned: window.__pwned,
        tokens: el.result?.tokens.length ?? 0,
        imgs:
          root.querySelectorAll('img, script, svg, a[href], iframe').length +
          document.querySelectorAll('img, iframe').length,
        scripts: document.scripts.length,
        tableOk: true,
      };
    });
    assert.equal(state.pwned, undefined, `text #${k} executed script`);
    assert.equal(state.imgs, 0, `text #${k} created elements`);
    assert.ok(state.tokens > 0, `text #${k}: no tokens rendered`);
  }
  // the textarea, the data table and the share link take it too
  await page.locator('attn-scope textarea').fill(HOSTILE[1] + HOSTILE[5]);
  await idle(page);
  await tableCells(page);
  const url = await page.evaluate(() => document.querySelector('attn-scope').shareUrl());
  const notice = await page.evaluate(() => {
    document.querySelector('attn-scope').setAttribute('text', 'x'.repeat(10_000));
    return new Promise((r) =>
      setTimeout(() => r(document.querySelector('attn-scope').shadowRoot.querySelector('.notice').textContent), 400),
    );
  });
  assert.match(notice, /reads the first/, 'a 10,000-character text shows the truncation notice');
  assert.deepEqual(await done(), []);
  // a share link carrying hostile text restores it as text
  const again = await open(new URL(url).pathname + new URL(url).hash);
  await idle(again.page);
  const restored = await again.page.evaluate(() => ({
    text: document.querySelector('attn-scope').text,
    pwned: window.__pwned,
  }));
  assert.equal(restored.pwned, undefined);
  assert.ok(restored.text.includes('<img src=x onerror='), 'the share link restores the text');
  assert.deepEqual(await again.done(), []);
});

test(`the site works under ${STRICT_CSP} (page, element, worker)`, T, async () => {
  const { page, responses, done } = await open('/tutorial.html');
  await idle(page);
  const count = await page.evaluate(() => document.querySelectorAll('attn-scope').length);
  assert.ok(count >= 6, 'the tutorial embeds the element several times');
  await shot(page, 'tutorial');
  assert.ok(responses.length > 5);
  for (const r of responses) assert.equal(r.csp, STRICT_CSP, `${r.url} must carry the policy`);
  assert.equal(page.workers().length, 1, 'all the tutorial’s elements share one worker');
  // a tutorial reacts to the element's events
  await page.locator('#t-dist').scrollIntoViewIfNeeded();
  const canvas = page.locator('#t-dist canvas');
  await canvas.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /attention to/.test(document.getElementById('t-dist-react').textContent));
  assert.deepEqual(await done(), []);
});

test('the file:// copy works with no server (classic scripts, engine and models inlined)', T, async () => {
  const url = pathToFileURL(join(WEB_FILE, 'index.html')).href;
  const { page, done } = await open(url);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await idle(page);
  const arch = await page.evaluate(() => document.documentElement.dataset.simdArch);
  assert.equal(arch, 'wasm', 'the file:// copy inlines the simd128 build');
  const state = await page.evaluate(() => {
    const el = document.querySelector('attn-scope');
    return {
      text: el.text,
      model: el.model ?? 'tiny',
      layer: el.layer,
      head: el.head,
      modules: document.querySelectorAll('script[type=module]').length,
    };
  });
  assert.equal(state.modules, 0, 'no module scripts in the file:// copy');
  const { cells } = await tableCells(page);
  assertMatchesNode(cells, 'tiny', state.text, state.layer, state.head);
  await setAttrs(page, { view: 'steps' });
  await idle(page);
  await shot(page, 'file-page');
  assert.deepEqual(
    requests.filter((u) => !u.startsWith('file:') && !u.startsWith('blob:') && !u.startsWith('data:')),
    [],
    'nothing fetched from a network',
  );
  assert.deepEqual(await done(), []);
  const three = await open(pathToFileURL(join(WEB_FILE, 'three.html')).href);
  await idle(three.page);
  assert.deepEqual(await three.done(), []);
});

test('a page with three elements: one engine, one worker, each its own text and view', T, async () => {
  const { page, done } = await open('/three.html', { simd: nodeSimd });
  await idle(page);
  const states = await page.evaluate(() =>
    [...document.querySelectorAll('attn-scope')].map((el) => ({
      id: el.id,
      view: el.view,
      tokens: el.result.tokens.length,
      text: el.text,
      layer: el.layer,
      head: el.head,
    })),
  );
  assert.equal(states.length, 3);
  assert.deepEqual(
    states.map((s) => s.view),
    ['heatmap', 'lines', 'distribution'],
  );
  assert.equal(page.workers().length, 1, 'one worker for all three');
  // no global leaks beyond the custom element
  const globals = await page.evaluate(() => Object.keys(window).filter((k) => /attn|scope/i.test(k)));
  assert.deepEqual(globals, []);
  const first = await tableCells(page, '#one');
  assertMatchesNode(first.cells, 'tiny', states[0].text, states[0].layer, states[0].head);
  await shot(page, 'three-elements');
  assert.deepEqual(await done(), []);
});

/** The deepest focused element: { tag, cls, role, text, host }. */
const focused = (page) =>
  page.evaluate(() => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return {
      tag: a?.tagName.toLowerCase(),
      cls: a?.className ?? '',
      role: a?.getAttribute('role'),
      text: a?.textContent?.slice(0, 40),
      value: a?.dataset?.value ?? a?.dataset?.view ?? a?.dataset?.index,
    };
  });

async function tabTo(page, pred, what, max = 40) {
  for (let k = 0; k < max; k++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (pred(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

test('keyboard only: views, layers, heads, text, tokens, cells', T, async () => {
  const { page, done } = await open('/');
  await idle(page);
  const events = [];
  await page.exposeFunction('__sel', (d) => events.push(d));
  await page.evaluate(() =>
    document.querySelector('attn-scope').addEventListener('attn-select', (e) => window.__sel(e.detail)),
  );
  // views: one tab stop, arrows move and select
  await tabTo(page, (f) => f.role === 'tab', 'the view tabs');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.querySelector('attn-scope').view), 'lines');
  await page.keyboard.press('ArrowLeft');
  // layer and head radio groups
  await tabTo(page, (f) => f.role === 'radio', 'the layer picker');
  const before = await page.evaluate(() => document.querySelector('attn-scope').layer);
  await page.keyboard.press('ArrowRight');
  await idle(page);
  assert.equal(
    await page.evaluate(() => document.querySelector('attn-scope').layer),
    before + 1,
    'ArrowRight moves to the next layer',
  );
  await tabTo(page, (f) => f.role === 'radio', 'the head picker');
  await page.keyboard.press('ArrowRight');
  await idle(page);
  assert.equal(
    await page.evaluate(() => document.querySelector('attn-scope').head),
    1,
    'ArrowRight moves to the next head',
  );
  // the text box
  await tabTo(page, (f) => f.tag === 'textarea', 'the text box');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Keys move attention here');
  await idle(page);
  assert.equal(await page.evaluate(() => document.querySelector('attn-scope').text), 'Keys move attention here');
  // the tokens: arrows choose the query
  await tabTo(page, (f) => f.role === 'option', 'the tokens');
  const q0 = await page.evaluate(() => document.querySelector('attn-scope').query);
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.querySelector('attn-scope').query), q0 - 2);
  // the picture: arrows move a cursor, Enter selects a cell
  await tabTo(page, (f) => f.tag === 'canvas', 'the heatmap');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  assert.ok(
    events.some((e) => e.key === 1),
    'Enter on a cell fires attn-select with its key',
  );
  const readout = await page.evaluate(
    () => document.querySelector('attn-scope').shadowRoot.querySelector('.readout').textContent,
  );
  assert.match(readout, /weight|masked/, 'the cursor is announced (aria-live)');
  await shot(page, 'keyboard');
  // model view: arrows between heads and layers, Enter opens one
  await setAttrs(page, { view: 'model' });
  await idle(page);
  await page.locator('attn-scope canvas').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  const after = await page.evaluate(() => ({ view: document.querySelector('attn-scope').view }));
  assert.notEqual(after.view, 'model', 'Enter opens the head in another view');
  // every control has an accessible name
  const unnamed = await page.evaluate(() =>
    [
      ...document
        .querySelector('attn-scope')
        .shadowRoot.querySelectorAll('button, select, input:not([type=file]), textarea, canvas, [role=option]'),
    ]
      .filter((e) => !e.closest('[hidden]'))
      .filter(
        (e) =>
          !(
            e.getAttribute('aria-label') ||
            e.textContent.trim() ||
            e.labels?.length ||
            e.getAttribute('aria-labelledby')
          ),
      )
      .map((e) => e.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unnamed, []);
  assert.deepEqual(await done(), []);
});

/** Types 200 characters into the page's text box; returns the long tasks seen meanwhile and the longest frame gap. */
async function typeAndMeasure() {
  const { page, done } = await open('/');
  await idle(page);
  const box = page.locator('attn-scope textarea');
  await box.fill('');
  await box.focus();
  const t0 = await page.evaluate(() => {
    window.__gaps = [];
    document.querySelector('attn-scope').maxDrawMs = 0;
    document.querySelector('attn-scope').latencies.length = 0;
    let last = performance.now();
    const tick = (now) => {
      window.__gaps.push(now - last);
      last = now;
      if (!window.__stopFrames) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return performance.now();
  });
  const text = 'The quick brown fox jumps over the lazy dog; 我们在学习注意力。 Attention lets each token look back. '
    .repeat(3)
    .slice(0, 200);
  const started = Date.now();
  await page.keyboard.type(text, { delay: 15 });
  await idle(page);
  const typingMs = Date.now() - started;
  const m = await page.evaluate((since) => {
    window.__stopFrames = true;
    const el = document.querySelector('attn-scope');
    return {
      tasks: window.__longtasks.filter((e) => e.start >= since),
      maxGap: Math.max(...window.__gaps.slice(1)),
      maxDrawMs: el.maxDrawMs,
      runMs: el.lastRunMs,
      length: el.text.length,
      latencies: el.latencies.slice().sort((a, b) => a - b),
    };
  }, t0);
  const problems = await done();
  return { typingMs, ...m, maxTask: Math.max(0, ...m.tasks.map((e) => e.duration)), problems };
}

const pct = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1) : '?';

test('no main-thread task over 50 ms while typing 200 characters', T, async () => {
  // The machines running this are shared (2 cores); a task can stall for
  // reasons outside the page, so a second attempt is allowed and both are printed.
  const attempts = [];
  for (let k = 0; k < 2; k++) {
    const m = await typeAndMeasure();
    attempts.push(m);
    console.log(
      `typing 200 characters, attempt ${k + 1} (${m.typingMs} ms): ${m.tasks.length} long tasks over 50 ms` +
        `${m.tasks.length ? ` (longest ${m.maxTask.toFixed(0)} ms)` : ''}; longest frame gap ${m.maxGap.toFixed(1)} ms; ` +
        `longest render on the main thread ${m.maxDrawMs.toFixed(1)} ms; last model run in the worker ${m.runMs?.toFixed(1)} ms; ` +
        `keystroke → picture: median ${pct(m.latencies, 0.5)} ms, 95th percentile ${pct(m.latencies, 0.95)} ms over ${m.latencies.length} updates`,
    );
    assert.equal(m.length, 200);
    assert.deepEqual(m.problems, []);
    if (!m.tasks.length) break;
  }
  writeFileSync(join(SHOTS, 'longtasks.json'), JSON.stringify(attempts, null, 1));
  assert.ok(
    attempts.some((m) => m.tasks.length === 0),
    `long tasks while typing in every attempt: ${attempts.map((m) => JSON.stringify(m.tasks)).join(' / ')}`,
  );
  assert.ok(Math.min(...attempts.map((m) => m.maxDrawMs)) < 50, 'rendering one frame takes under 50 ms');
});

test('export (PNG, SVG, JSON, CSV) and the share link', T, async () => {
  const { page, done } = await open('/', { simd: nodeSimd });
  await idle(page);
  const out = {};
  for (const kind of ['png', 'svg', 'json', 'csv']) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator(`attn-scope button[data-export="${kind}"]`).click(),
    ]);
    const file = join(SHOTS, `export.${kind}`);
    await download.saveAs(file);
    out[kind] = readFileSync(file);
  }
  assert.deepEqual([...out.png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
  assert.match(out.svg.toString(), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const json = JSON.parse(out.json.toString());
  const state = await page.evaluate(() => {
    const el = document.querySelector('attn-scope');
    return { text: el.text, layer: el.layer, head: el.head, model: el.model ?? 'tiny' };
  });
  const r = node.models[state.model].run(state.text);
  assert.equal(json.tokens.length, r.tokens.length);
  assert.equal(json.attentions.length, r.shape.layers);
  assert.equal(json.attentions[0].length, r.shape.heads);
  const t = r.shape.tokens;
  assert.equal(
    Math.fround(json.attentions[1][2][t - 1][0]),
    r.attentions[(1 * r.shape.heads + 2) * t * t + (t - 1) * t],
  );
  const csv = out.csv.toString().trim().split(/\r?\n/);
  assert.equal(csv.length, t + 1, 'CSV: a header and one row per query');
  // share: a new page at the link restores text, view, layer, head
  await setAttrs(page, { text: 'Share this text', view: 'distribution', layer: '2', head: '3' });
  await idle(page);
  const url = await page.evaluate(() => document.querySelector('attn-scope').shareUrl());
  assert.deepEqual(await done(), []);
  const again = await open(new URL(url).pathname + new URL(url).hash);
  await idle(again.page);
  const restored = await again.page.evaluate(() => {
    const el = document.querySelector('attn-scope');
    return { text: el.text, view: el.view, layer: el.layer, head: el.head };
  });
  assert.deepEqual(restored, { text: 'Share this text', view: 'distribution', layer: 2, head: 3 });
  assert.deepEqual(await again.done(), []);
});

test('each default model loads in < 100 ms after the engine is ready (printed, not asserted)', T, async () => {
  // Fresh pages (new contexts, empty HTTP cache): the default model loads
  // at start (its download began alongside the engine's start), the other when
  // the picker asks for it (its files were fetched in the background once the
  // first model was in). host.js times each load from the engine being ready
  // (worker up, wasm compiled), or from the request if later, to the model
  // being usable: what is left of the download, weights into wasm, tokenizer.
  const times = {};
  for (let round = 0; round < 3; round++) {
    const { page, done } = await open('/');
    await idle(page);
    await page.locator('attn-scope select.model-sel').selectOption('tiny-additive');
    await page.waitForFunction(() => document.querySelector('attn-scope').modelInfo?.scoring === 'additive');
    await idle(page);
    const loads = await page.evaluate(() =>
      performance
        .getEntriesByType('measure')
        .filter((m) => m.name.startsWith('attnscope load '))
        .map((m) => ({ id: m.name.slice('attnscope load '.length), ms: m.duration, bytes: m.detail?.bytes })),
    );
    for (const l of loads) (times[l.id] ??= { bytes: l.bytes, ms: [] }).ms.push(l.ms);
    await done();
  }
  assert.deepEqual(Object.keys(times).sort(), ['tiny', 'tiny-additive']);
  for (const [id, { bytes, ms }] of Object.entries(times)) {
    assert.equal(ms.length, 3);
    for (const t of ms) assert.ok(Number.isFinite(t) && t > 0);
    const sorted = [...ms].sort((a, b) => a - b);
    console.log(
      `model load after engine ready, ${id} (${(bytes / 1e6).toFixed(2)} MB): median ${sorted[1].toFixed(1)} ms ` +
        `(runs ${ms.map((t) => t.toFixed(1)).join(', ')} ms; target < 100 ms: ${sorted[1] < 100 ? 'met' : 'MISSED'})`,
    );
  }
});

test(
  'models: the picker switches models; bad files give a plain-words error and the previous model keeps working',
  T,
  async () => {
    const { page, done } = await open('/', { simd: nodeSimd });
    await idle(page);
    await page.locator('attn-scope select.model-sel').selectOption('tiny-additive');
    await page.waitForFunction(() => document.querySelector('attn-scope').modelInfo?.scoring === 'additive');
    await idle(page);
    const text = await page.evaluate(() => document.querySelector('attn-scope').text);
    const { cells } = await tableCells(page);
    const st = await page.evaluate(() => ({
      layer: document.querySelector('attn-scope').layer,
      head: document.querySelector('attn-scope').head,
    }));
    assertMatchesNode(cells, 'tiny-additive', text, st.layer, st.head);
    // own files, one missing
    const errors = [];
    await page.exposeFunction('__err', (d) => errors.push(d));
    await page.evaluate(() =>
      document.querySelector('attn-scope').addEventListener('attn-error', (e) => window.__err(e.detail)),
    );
    const input = page.locator('attn-scope input[type=file]');
    await input.setInputFiles([{ name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{}') }]);
    await page.waitForFunction(() => document.querySelector('attn-scope').shadowRoot.querySelector('.error.on'));
    let message = await page.evaluate(
      () => document.querySelector('attn-scope').shadowRoot.querySelector('.error').textContent,
    );
    assert.match(message, /model\.safetensors/, 'names the missing files');
    // own files, all present but broken
    await input.setInputFiles([
      { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{"model_type": "gpt2", "n_layer": 1') },
      {
        name: 'model.safetensors',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from('not a safetensors file'),
      },
      { name: 'tokenizer.json', mimeType: 'application/json', buffer: Buffer.from('{}') },
    ]);
    await page.waitForFunction(
      () => document.querySelector('attn-scope').shadowRoot.querySelector('.error code'),
      null,
      { timeout: 10_000 },
    );
    message = await page.evaluate(
      () => document.querySelector('attn-scope').shadowRoot.querySelector('.error').textContent,
    );
    assert.match(message, /previous model keeps working/);
    assert.ok(errors.length >= 2, 'attn-error fired');
    await shot(page, 'error', 'attn-scope');
    // the previous model still answers
    await setAttrs(page, { text: 'Still working after the error' });
    await idle(page);
    const after = await page.evaluate(() => ({
      model: document.querySelector('attn-scope').model,
      tokens: document.querySelector('attn-scope').result.tokens.length,
      text: document.querySelector('attn-scope').text,
    }));
    assert.equal(after.model, 'tiny-additive');
    const again = await tableCells(page);
    assertMatchesNode(again.cells, 'tiny-additive', after.text, st.layer, st.head);
    // an unknown model attribute: an error, nothing else changes
    await setAttrs(page, { model: 'no-such-model' });
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => document.querySelector('attn-scope').model), 'tiny-additive');
    assert.deepEqual(await done(), []);
  },
);

test('presets: size shown, download progress, cancel, then a load that succeeds (hub served locally)', T, async () => {
  // The site's own policy (connect-src for the hub); the hub itself is answered here from the fixture files.
  const site = await startServer({ root: WEB });
  const context = await browser.newContext();
  const problems = [];
  const fixture = join(ROOT, buildInfo.models[0].dir);
  const fixtureWeights = buildInfo.models[0].weights;
  let release = null;
  const hold = new Promise((r) => (release = r));
  let holdWeights = true;
  await context.route('https://huggingface.co/**', async (route) => {
    const url = new URL(route.request().url());
    const file = url.pathname.split('/').pop();
    const map = {
      'config.json': 'config.json',
      'model.safetensors': fixtureWeights,
      'tokenizer.json': 'tokenizer.json',
    };
    if (!map[file]) return route.fulfill({ status: 404, body: 'not found' });
    const body = readFileSync(join(fixture, map[file]));
    if (file === 'model.safetensors' && route.request().method() === 'GET' && holdWeights) await hold;
    return route.fulfill({
      status: 200,
      body: route.request().method() === 'HEAD' ? '' : body,
      headers: {
        'content-length': String(body.length),
        'access-control-allow-origin': '*',
        'x-linked-size': String(body.length),
      },
    });
  });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  try {
    await page.goto(`${site.origin}/`);
    await idle(page);
    const before = await page.evaluate(() => document.querySelector('attn-scope').text);
    await page.locator('attn-scope select.model-sel').selectOption('distilgpt2');
    await page.waitForFunction(() => !document.querySelector('attn-scope').shadowRoot.querySelector('.loading').hidden);
    await page.waitForFunction(() =>
      /Loading|Downloading/.test(document.querySelector('attn-scope').shadowRoot.querySelector('.loading').textContent),
    );
    await shot(page, 'preset-loading', 'attn-scope');
    await page.locator('attn-scope .loading button').click();
    release();
    await page.waitForFunction(() => document.querySelector('attn-scope').shadowRoot.querySelector('.loading').hidden);
    const cancelled = await page.evaluate(() => ({
      model: document.querySelector('attn-scope').model,
      readout: document.querySelector('attn-scope').shadowRoot.querySelector('.readout').textContent,
    }));
    assert.equal(cancelled.model, 'tiny', 'cancelling keeps the previous model');
    assert.match(cancelled.readout, /cancelled/i);
    // now let it load
    holdWeights = false;
    await page.locator('attn-scope select.model-sel').selectOption('distilgpt2');
    await page.waitForFunction(() => document.querySelector('attn-scope').model === 'distilgpt2', null, {
      timeout: 20_000,
    });
    await idle(page);
    const text = await page.evaluate(() => document.querySelector('attn-scope').text);
    assert.equal(text, before);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await site.close();
  }
});
