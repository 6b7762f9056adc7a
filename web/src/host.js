// What every <attn-scope> on a page shares: one engine (one worker) and one
// copy of each model. Elements ask for a model by id; the first asks loads it,
// the others wait for the same promise.
import { createBackend, kind } from 'attnscope:backend';
import DEFAULT_MODELS from 'attnscope:default-models';
import { PRESETS } from '../../dist/presets.js';
import { readBytes } from '../../dist/sources.js';

export const backendKind = kind;
export { DEFAULT_MODELS, PRESETS };

let backend = null;
const models = new Map(); // id -> Promise<model>
const custom = new Map(); // id -> { label, model }
let customCount = 0;

// ?simd=simd128 (or relaxed) picks the engine's wasm build; by default the
// fastest the browser runs. The build in use is shown as <html data-simd-arch>.
const simd = new URLSearchParams(globalThis.location?.search ?? '').get('simd') ?? undefined;

export function engine() {
  backend ??= createBackend({ simd }).then(
    async (b) => {
      document.documentElement.dataset.simdArch = await b.simdArch;
      return b;
    },
    (err) => {
      backend = null; // retried by the next call
      throw err;
    },
  );
  return backend;
}

function bytesOf(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Default models' files fetched ahead of their load: id -> Promise<sources>.
const fetched = new Map();

function defaultSources(def, signal) {
  const f = def.files;
  if (def.inline)
    return Promise.resolve({ config: bytesOf(f.config), weights: bytesOf(f.weights), tokenizer: bytesOf(f.tokenizer) });
  let sources = fetched.get(def.id);
  if (!sources) {
    sources = download(f, signal);
    fetched.set(def.id, sources);
    sources.catch(() => fetched.delete(def.id)); // a failed or cancelled download is tried again
  }
  return sources;
}

// Once a default model is in, the other default models' files (one switch
// away in the picker) download in the background, so switching loads at once.
function prefetchOtherDefaults() {
  const later = globalThis.requestIdleCallback ?? ((fn) => setTimeout(fn, 200));
  later(() => {
    for (const def of DEFAULT_MODELS) if (!def.inline && !models.has(def.id)) defaultSources(def).catch(() => {});
  });
}

/** The three files of a default model as bytes (read whole, as loadModel reads small files). */
async function download(files, signal) {
  const [config, weights, tokenizer] = await Promise.all([
    readBytes(files.config, 'config', { signal }),
    readBytes(files.weights, 'weights', { signal }),
    readBytes(files.tokenizer, 'tokenizer', { signal }),
  ]);
  return { config, weights, tokenizer };
}

export const isDefault = (id) => DEFAULT_MODELS.some((m) => m.id === id);
export const isPreset = (id) => Object.hasOwn(PRESETS, id);
export const isKnown = (id) => isDefault(id) || isPreset(id) || custom.has(id);
export const customModels = () => [...custom.entries()].map(([id, c]) => ({ id, label: c.label }));
export const isLoaded = (id) => models.has(id) && !models.get(id).pending;

/**
 * The model `id`: a default model, a Hugging Face preset, or one loaded from
 * files. `options` ({ onSize, onProgress, signal }) apply to the first load;
 * a cancelled or failed load is forgotten so it can be retried.
 */
export function model(id, options = {}) {
  let p = models.get(id);
  // A model whose worker died (or was disposed) is loaded again.
  if (p && p.value?.disposed && !custom.has(id)) {
    models.delete(id);
    p = undefined;
  }
  if (p) return p;
  const def = DEFAULT_MODELS.find((m) => m.id === id);
  if (def) {
    // A default model's files (about a megabyte, same origin) start
    // downloading now, while the worker starts and the wasm compiles, not after.
    const sources = defaultSources(def, options.signal);
    sources.catch(() => {}); // (reported through p)
    options.onSize?.(def.bytes);
    // Timed from the engine being ready to the model being usable (what is
    // left of the download, weights into wasm, tokenizer), as the measure
    // `attnscope load <id>`: the page test prints it (target < 100 ms).
    p = engine().then(async (e) => {
      const start = performance.now();
      const m = await e.loadModel(await sources, options);
      performance.measure(`attnscope load ${id}`, { start, detail: { bytes: def.bytes } });
      fetched.delete(id); // (the engine holds its own copy now)
      prefetchOtherDefaults();
      return m;
    });
  } else if (isPreset(id)) {
    p = engine().then((e) => e.loadPreset(id, options));
  } else {
    const err = new Error(`unknown model "${id}"`);
    err.code = 'not_found';
    return Promise.reject(err);
  }
  p.pending = true;
  models.set(id, p);
  p.then(
    (m) => {
      p.pending = false;
      p.value = m;
    },
    () => {
      if (models.get(id) === p) models.delete(id);
    },
  );
  return p;
}

const ROLE_PATTERNS = [
  ['config', /(^|\/)config\.json$/i],
  ['tokenizer', /tokenizer\.json$/i],
  ['weights', /\.safetensors$/i],
  ['vocab', /vocab\.json$/i],
  ['merges', /merges\.txt$/i],
  ['vocabTxt', /vocab\.txt$/i],
];

/** Which dropped file is which; throws a plain-words error when something is missing. */
export function sourcesFromFiles(files) {
  const found = {};
  for (const file of files) {
    const role = ROLE_PATTERNS.find(([, re]) => re.test(file.name))?.[0];
    if (role && !found[role]) found[role] = file;
  }
  const tokenizer =
    found.tokenizer ??
    (found.vocab && found.merges
      ? { vocab: found.vocab, merges: found.merges }
      : found.vocabTxt
        ? { vocabTxt: found.vocabTxt }
        : null);
  const missing = [
    !found.config && 'config.json',
    !found.weights && 'model.safetensors',
    !tokenizer && 'tokenizer.json (or vocab.json + merges.txt, or vocab.txt)',
  ].filter(Boolean);
  if (missing.length) {
    const err = new Error(`missing: ${missing.join(', ')}`);
    err.code = 'invalid_argument';
    err.missing = missing;
    throw err;
  }
  return { config: found.config, weights: found.weights, tokenizer };
}

/** Loads a model from the person's own files; resolves to its new id. */
export async function loadFiles(files, options = {}) {
  const sources = sourcesFromFiles(files);
  const e = await engine();
  const m = await e.loadModel(sources, options);
  const id = `file-${++customCount}`;
  const label = (sources.weights.name || 'model').replace(/\.safetensors$/i, '');
  custom.set(id, { label, model: m });
  const p = Promise.resolve(m);
  models.set(id, p);
  return id;
}
