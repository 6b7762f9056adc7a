// Builds the web page and the <attn-scope> element from web/ and dist/:
//
//   build/web/        the served site (npm start): index.html, tutorial.html,
//                     three.html, attn-scope.js (the element: ONE ES module),
//                     attnscope-worker.js + attnscope.wasm and
//                     attnscope.relaxed.wasm beside it (the worker loads one), the
//                     default models under models/, page.css, page.js
//   build/web-file/   the same pages for file:// (double-click to open): classic
//                     scripts only, the single-file engine and the default
//                     models inlined (nothing is fetched), compute on the main
//                     thread (browsers refuse module scripts and workers there)
//
// Usage: node scripts/build-web.mjs [--minify=false]
// Needs dist/ (bash scripts/build.sh) and the default models (see DEFAULT_MODELS).
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WEB = join(ROOT, 'web');
const OUT = join(ROOT, 'build/web');
const OUT_FILE = join(ROOT, 'build/web-file');

// ---------------------------------------------------------------------------
// The default models the page ships, in the order of the model picker. The
// first is loaded at start. ONE constant: switch between the trained models
// (models/, issue 5) and the test fixtures (build/fixtures, made by
// tests/model/make_fixtures.py) here, or for one build with
// ATTNSCOPE_WEB_MODELS=trained|fixtures. Unset: the trained models when both
// are in models/, else the fixtures (generated here if missing), said loudly.
const MODEL_SETS = {
  trained: [
    { id: 'tiny', dir: 'models/attnscope-tiny-scaled-dot', weights: 'model.safetensors' },
    { id: 'tiny-additive', dir: 'models/attnscope-tiny-additive', weights: 'model.safetensors' },
  ],
  fixtures: [
    { id: 'tiny', dir: 'build/fixtures/gpt2-tiny', weights: 'model.f16.safetensors' },
    { id: 'tiny-additive', dir: 'build/fixtures/gpt2-tiny-additive', weights: 'model.f16.safetensors' },
  ],
};
const trainedPresent = MODEL_SETS.trained.every((m) => existsSync(join(ROOT, m.dir, m.weights)));
const MODEL_SET = process.env.ATTNSCOPE_WEB_MODELS || (trainedPresent ? 'trained' : 'fixtures');
if (!process.env.ATTNSCOPE_WEB_MODELS && !trainedPresent) {
  console.warn(
    'build-web: NOTE: the trained default models are not all in models/ yet (tools/train/train.sh makes them);\n' +
      '  this build uses the random test fixtures as stand-ins.',
  );
  if (!existsSync(join(ROOT, 'build/fixtures/manifest.json')))
    execFileSync(
      '/usr/bin/python3',
      [join(ROOT, 'tests/model/make_fixtures.py'), '--out', join(ROOT, 'build/fixtures')],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
}
// ---------------------------------------------------------------------------

const minify = !process.argv.includes('--minify=false');
const fail = (message) => {
  console.error(`build-web: ${message}`);
  process.exit(1);
};

const DEFAULT_MODELS = MODEL_SETS[MODEL_SET];
if (!DEFAULT_MODELS) fail(`ATTNSCOPE_WEB_MODELS=${MODEL_SET} is not one of ${Object.keys(MODEL_SETS).join(', ')}`);

for (const file of [
  'dist/worker.js',
  'dist/worker-main.js',
  'dist/index.js',
  'dist/attnscope.wasm',
  'dist/attnscope.relaxed.wasm',
  'dist/attnscope.single.js',
])
  if (!existsSync(join(ROOT, file))) fail(`${file} is missing: build the package first (bash scripts/build.sh)`);

const models = DEFAULT_MODELS.map((m) => {
  const files = { config: 'config.json', weights: m.weights, tokenizer: 'tokenizer.json' };
  const missing = Object.values(files).filter((f) => !existsSync(join(ROOT, m.dir, f)));
  if (missing.length)
    fail(
      `the default model "${m.id}" is missing ${missing.map((f) => join(m.dir, f)).join(', ')}.\n` +
        (MODEL_SET === 'trained'
          ? '  The trained models come from issue 5 (tools/train). To build the page against the test fixtures meanwhile:\n' +
            '    /usr/bin/python3 tests/model/make_fixtures.py --out build/fixtures && ATTNSCOPE_WEB_MODELS=fixtures npm start'
          : '  Make them with: /usr/bin/python3 tests/model/make_fixtures.py --out build/fixtures'),
    );
  const config = JSON.parse(readFileSync(join(ROOT, m.dir, 'config.json'), 'utf8'));
  const scoring =
    config.attention_scoring === 'additive' || config.attn_scoring === 'additive' ? 'additive' : 'scaled_dot';
  return { ...m, files, scoring, bytes: statSync(join(ROOT, m.dir, m.weights)).size };
});

// The virtual module 'attnscope:default-models': where the element finds the
// default models. Served site: URLs beside attn-scope.js. File copy: inlined.
function modelsModule(inline) {
  const entries = models.map((m) => {
    const files = Object.entries(m.files).map(([key, name]) => {
      if (inline) return `${key}: ${JSON.stringify(readFileSync(join(ROOT, m.dir, name)).toString('base64'))}`;
      return `${key}: new URL(${JSON.stringify(`./models/${m.id}/${name}`)}, import.meta.url).href`;
    });
    return `{ id: ${JSON.stringify(m.id)}, scoring: ${JSON.stringify(m.scoring)}, bytes: ${m.bytes}, inline: ${inline}, files: { ${files.join(', ')} } }`;
  });
  return `export default [\n  ${entries.join(',\n  ')}\n];\n`;
}

// The colour scales, sampled from d3-scale-chromatic at build time: 256 colours
// each as hex, so the page ships tables instead of the library.
async function palettesModule() {
  const d3 = await import('d3-scale-chromatic');
  const scales = {
    blues: [d3.interpolateBlues, 0.02],
    viridis: [d3.interpolateViridis, 0],
    cividis: [d3.interpolateCividis, 0],
    magma: [d3.interpolateMagma, 0],
    inferno: [d3.interpolateInferno, 0],
    greys: [d3.interpolateGreys, 0.02],
    puor: [d3.interpolatePuOr, 0],
  };
  const hex = (css) => {
    const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css);
    return m
      ? m
          .slice(1, 4)
          .map((x) => Number(x).toString(16).padStart(2, '0'))
          .join('')
      : css.replace('#', '');
  };
  const tables = Object.fromEntries(
    Object.entries(scales).map(([name, [fn, from]]) => [
      name,
      Array.from({ length: 256 }, (_, i) => hex(fn(from + (1 - from) * (i / 255)))).join(''),
    ]),
  );
  return `// generated by scripts/build-web.mjs from d3-scale-chromatic\nexport default ${JSON.stringify(tables)};\n`;
}
const PALETTES_MODULE = await palettesModule();

function plugins({ file }) {
  return [
    {
      name: 'attnscope-web',
      setup(b) {
        b.onResolve({ filter: /^attnscope:/ }, (args) => ({ path: args.path, namespace: 'attnscope' }));
        b.onLoad({ filter: /.*/, namespace: 'attnscope' }, (args) => {
          if (args.path === 'attnscope:default-models') return { contents: modelsModule(file), loader: 'js' };
          if (args.path === 'attnscope:palettes') return { contents: PALETTES_MODULE, loader: 'js' };
          if (args.path === 'attnscope:backend')
            return {
              contents: `export * from ${JSON.stringify(join(WEB, 'src', file ? 'backend-main.js' : 'backend-worker.js'))};`,
              loader: 'js',
              resolveDir: WEB,
            };
          return undefined;
        });
      },
    },
  ];
}

const common = {
  bundle: true,
  minify,
  legalComments: 'none',
  logLevel: 'warning',
  target: ['chrome100', 'firefox100', 'safari15.4'],
  loader: { '.css': 'text' },
  external: ['node:*'],
  charset: 'utf8',
};

function copyModels(dest) {
  for (const m of models) {
    mkdirSync(join(dest, 'models', m.id), { recursive: true });
    for (const name of Object.values(m.files)) copyFileSync(join(ROOT, m.dir, name), join(dest, 'models', m.id, name));
  }
}

const PAGES = readdirSync(WEB).filter((f) => f.endsWith('.html'));
const t0 = performance.now();

// ---- build/web: the served site
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
await build({
  ...common,
  entryPoints: { 'attn-scope': join(WEB, 'src/attn-scope.js'), page: join(WEB, 'src/page.js') },
  outdir: OUT,
  format: 'esm',
  platform: 'browser',
  plugins: plugins({ file: false }),
});
await build({
  ...common,
  entryPoints: { 'attnscope-worker': join(ROOT, 'dist/worker-main.js') },
  outdir: OUT,
  format: 'esm',
  platform: 'browser',
});
for (const wasm of ['attnscope.wasm', 'attnscope.relaxed.wasm'])
  copyFileSync(join(ROOT, 'dist', wasm), join(OUT, wasm));
copyFileSync(join(WEB, 'page.css'), join(OUT, 'page.css'));
for (const page of PAGES) copyFileSync(join(WEB, page), join(OUT, page));
copyModels(OUT);

// ---- build/web-file: classic scripts for file://
rmSync(OUT_FILE, { recursive: true, force: true });
mkdirSync(OUT_FILE, { recursive: true });
await build({
  ...common,
  entryPoints: { 'attn-scope': join(WEB, 'src/attn-scope.js'), page: join(WEB, 'src/page.js') },
  outdir: OUT_FILE,
  format: 'iife',
  platform: 'browser',
  define: { 'import.meta.url': 'undefined' },
  plugins: plugins({ file: true }),
});
copyFileSync(join(WEB, 'page.css'), join(OUT_FILE, 'page.css'));
for (const page of PAGES) {
  const html = readFileSync(join(WEB, page), 'utf8').replace(
    /<script type="module" src="([^"]+)"><\/script>/g,
    '<script defer src="$1"></script>',
  );
  if (/type="module"/.test(html)) fail(`${page}: a module script is left in the file:// copy`);
  writeFileSync(join(OUT_FILE, page), html);
}

// ---- report
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
// A browser downloads one of the two wasm builds: count the larger.
const wasmGz = Math.max(gz(join(OUT, 'attnscope.wasm')), gz(join(OUT, 'attnscope.relaxed.wasm')));
const shipped = ['index.html', 'page.css', 'page.js', 'attn-scope.js', 'attnscope-worker.js'].map((f) => join(OUT, f));
const code = shipped.reduce((n, f) => n + gz(f), wasmGz);
const modelBytes = models.reduce(
  (n, m) => n + gz(join(OUT, 'models', m.id, m.weights)) + gz(join(OUT, 'models', m.id, 'tokenizer.json')),
  0,
);
const report = {
  models: `${MODEL_SET} (${models.map((m) => m.dir).join(', ')})`,
  'page code (html+css+js+worker+wasm), gzip': kb(code),
  'attn-scope.js alone, gzip': kb(gz(join(OUT, 'attn-scope.js'))),
  'default models (weights+tokenizers), gzip': kb(modelBytes),
  'file:// attn-scope.js (engine+models inlined)': kb(statSync(join(OUT_FILE, 'attn-scope.js')).size),
};
writeFileSync(
  join(OUT, 'build-info.json'),
  JSON.stringify(
    {
      modelSet: MODEL_SET,
      models: models.map(({ id, dir, weights, scoring, bytes }) => ({ id, dir, weights, scoring, bytes })),
      sizes: report,
    },
    null,
    1,
  ),
);
for (const [k, v] of Object.entries(report)) console.log(`build-web: ${k}: ${v}`);
console.log(
  `build-web: ${relative(ROOT, OUT)}/ and ${relative(ROOT, OUT_FILE)}/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
