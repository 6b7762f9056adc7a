// <attn-scope>: live attention of a transformer for a piece of text, in six
// views, framework-free, in Shadow DOM. Several elements on a page share one
// engine (one worker) and one copy of each model (host.js).
//
//   <attn-scope text="The animal didn't cross the street because it was too tired"
//               view="lines" layer="2" head="1"></attn-scope>
//
// Attributes (all reactive; layers and heads count from 0):
//   text        the text (default: the first example sentence)
//   view        heatmap | lines | model | distribution | steps | compare
//   layer       0..layers-1
//   head        0..heads-1, or mean (of the layer's heads), rollout (layers 0..layer), all (lines view)
//   query       the query token: its index, or its text (first match), default the last token
//   model       tiny | tiny-additive (shipped) | gpt2 | distilgpt2 | bert-base-uncased (downloaded on demand)
//   editable    shows the text box
//   controls    basic (default) | full (model picker, export, share, language, contrast) | none
//   merge       merges sub-word tokens into words (sum over keys, mean over queries)
//   palette     blues | viridis | cividis | magma | inferno | greys
//   temperature softmax temperature of the compare view (default 1)
//   sort        position | weight (distribution view)
//   lang        en | zh (default: the page's or the browser's language)
//   theme       contrast for the high-contrast theme (light/dark follow the system)
//   share       keeps text, model, view, layer, head and query in the page's URL hash
// Events (bubbling, composed): attn-ready { model, info, tokens }, attn-select
// { layer, head, query, key, weight, queryText, keyText }, attn-error { code, message }.
// Theming: CSS custom properties --attn-bg, --attn-fg, --attn-muted, --attn-accent,
// --attn-border, --attn-surface, --attn-font, --attn-mono, --attn-radius (see element.css).
import css from './element.css';
import * as host from './host.js';
import { EXAMPLES, pickLang, translator } from './i18n.js';
import { bytes, num, short, visible } from './labels.js';
import {
  entropyBits,
  headMatrix,
  headStats,
  meanOfHeads,
  mergeMatrix,
  rollout,
  wordGroups,
  withTemperature,
} from './math.js';
import { PALETTES, headColour, palette } from './palettes.js';
import { paint, toSVG } from './scene.js';
import { renderSteps, stepNumbers } from './steps.js';
import { compareView, distributionView, heatmapView, linesView, matrixPixels, modelView, tableScene } from './views.js';

export const VIEWS = ['heatmap', 'lines', 'model', 'distribution', 'steps', 'compare'];
const ATTRS = [
  'text',
  'view',
  'layer',
  'head',
  'query',
  'model',
  'editable',
  'controls',
  'merge',
  'palette',
  'temperature',
  'sort',
  'lang',
  'theme',
  'share',
];
const HEAD_WORDS = ['mean', 'rollout', 'all'];
/** Texts for big models (more than 32 heads in all) are cut to this many characters. */
const BIG_MODEL_CHARS = 1000;

let sheet = null;
function styleSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
  }
  return sheet;
}

const h = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
};

/** DOM writes only when something changes: typing re-renders many times a second. */
const setText = (el, text) => {
  if (el.textContent !== text) el.textContent = text;
};
const setHidden = (el, hidden) => {
  if (el.hidden !== hidden) el.hidden = hidden;
};

const TEMPLATE = `
<div class="root" part="root">
  <div class="bar" part="toolbar">
    <div class="tabs" role="tablist"></div>
    <div class="pickers">
      <div class="picker layer-picker"><span class="plabel" id="layer-label"></span><div class="seg" role="radiogroup" aria-labelledby="layer-label"></div></div>
      <div class="picker head-picker"><span class="plabel" id="head-label"></span><div class="seg" role="radiogroup" aria-labelledby="head-label"></div></div>
    </div>
  </div>
  <div class="input">
    <label class="sr-only" for="text"></label>
    <textarea id="text" rows="2" spellcheck="false" autocomplete="off" part="textbox"></textarea>
    <div class="examples"></div>
  </div>
  <div class="tokens-row">
    <div class="tokens" role="listbox" aria-orientation="horizontal"></div>
    <span class="count"></span>
  </div>
  <p class="notice" role="status"></p>
  <div class="stage" part="stage">
    <div class="canvas-wrap">
      <canvas tabindex="0" role="img"></canvas>
      <div class="tip" role="presentation"></div>
    </div>
    <div class="html-view"></div>
    <div class="empty"></div>
  </div>
  <div class="readout" aria-live="polite"></div>
  <div class="meta"></div>
  <div class="options"></div>
  <details class="data"><summary></summary><div class="table-wrap"></div></details>
  <div class="foot"></div>
  <div class="error" role="alert"></div>
  <div class="drop"><div class="drop-inner"></div></div>
</div>`;

export class AttnScope extends HTMLElement {
  static observedAttributes = ATTRS;

  // state
  #text = null;
  #view = 'heatmap';
  #layer = 0;
  #head = 0;
  #queryAttr = null;
  #query = -1;
  #modelId = null;
  #palette = null;
  #merge = false;
  #temperature = 1;
  #sort = 'position';
  #lang = 'en';
  #t = translator('en');
  #hover = null;
  #cursor = null;
  #focused = false;
  #returnView = 'heatmap';

  // model and results
  #model = null;
  #info = null;
  #result = null;
  #resultText = '';
  #resultModel = null;
  #serial = 0;
  #units = [];
  #groups = null;
  #matrixCache = new Map();
  #inspect = null; // { key, data }
  #compare = null; // { text, results: [{ id, info, result }] }
  #readyFired = null;

  // machinery
  #ui = null;
  #wantRun = false;
  #running = false;
  #loading = null; // { id, controller }
  #frame = 0;
  #lastView = null;
  #tableKey = '';
  #width = 640;
  #hashTimer = 0;
  #resize = null;
  #onHash = null;
  #onLang = null;
  #schemeMedia = null;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [styleSheet()];
  }

  // ---------------------------------------------------------------- public API

  /** The last run: { tokens, attentions [layers, heads, T, T], shape, ... } (engine output). */
  get result() {
    return this.#result;
  }
  get modelInfo() {
    return this.#info;
  }
  get text() {
    return this.#text ?? '';
  }
  set text(v) {
    this.setAttribute('text', String(v));
  }
  get view() {
    return this.#view;
  }
  set view(v) {
    this.setAttribute('view', v);
  }
  get layer() {
    return this.#layer;
  }
  set layer(v) {
    this.setAttribute('layer', String(v));
  }
  get head() {
    return this.#head;
  }
  set head(v) {
    this.setAttribute('head', String(v));
  }
  get query() {
    return this.#query;
  }
  set query(v) {
    this.setAttribute('query', String(v));
  }
  get model() {
    return this.#modelId;
  }
  set model(v) {
    this.setAttribute('model', v);
  }
  /** A link that restores this element's text, model, view, layer, head and query (URL hash). */
  shareUrl() {
    const base = location.href.replace(/#.*$/, '');
    return `${base}#${this.#hashParams().toString()}`;
  }
  /** Resolves when the current text's result is shown. */
  whenIdle() {
    return new Promise((resolve) => {
      const check = () =>
        !this.#running && !this.#wantRun && !this.#loading && this.#frame === 0 ? resolve() : setTimeout(check, 16);
      check();
    });
  }

  // ------------------------------------------------------------- lifecycle

  connectedCallback() {
    if (!this.#ui) this.#build();
    this.#lang = pickLang(this.getAttribute('lang'));
    this.#t = translator(this.#lang);
    if (this.hasAttribute('share')) this.#readHash();
    for (const a of ATTRS) this.#apply(a, this.getAttribute(a), true);
    if (this.#text === null) this.#text = this.#t('example.0');
    if (this.#ui.textarea.value !== this.#text) this.#ui.textarea.value = this.#text;
    this.#resize = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0].contentRect.width);
      if (w > 0 && Math.abs(w - this.#width) >= 2) {
        this.#width = w;
        this.#render();
      }
    });
    this.#resize.observe(this.#ui.stage);
    this.#onLang = () => {
      const attr = this.getAttribute('lang');
      if (!attr || attr === 'auto') this.#setLang(pickLang(attr));
    };
    addEventListener('languagechange', this.#onLang);
    this.#schemeMedia = matchMedia('(prefers-color-scheme: dark)');
    this.#schemeMedia.addEventListener?.('change', this.#onScheme);
    this.#relabel();
    this.#useModel(this.#modelId ?? host.DEFAULT_MODELS[0]?.id ?? 'tiny');
    this.#render();
  }

  disconnectedCallback() {
    this.#resize?.disconnect();
    removeEventListener('languagechange', this.#onLang);
    this.#schemeMedia?.removeEventListener?.('change', this.#onScheme);
    this.#loading?.controller.abort();
  }

  #onScheme = () => this.#render();

  attributeChangedCallback(name, old, value) {
    if (!this.#ui || old === value) return;
    this.#apply(name, value, false);
  }

  #apply(name, value, initial) {
    switch (name) {
      case 'text': {
        if (value === null && initial) return;
        const text = value ?? '';
        if (text === this.#text) return;
        this.#text = text;
        this.#typedAt = { text, t0: performance.now() };
        if (this.#ui.textarea.value !== text) this.#ui.textarea.value = text;
        if (!initial) this.#schedule();
        this.#updateHash();
        return;
      }
      case 'view': {
        const v = VIEWS.includes(value) ? value : 'heatmap';
        if (v !== this.#view && v !== 'model') this.#returnView = v;
        this.#view = v;
        this.#hover = null;
        this.#cursor = null;
        if (!initial) {
          this.#schedule(); // steps and compare need more numbers
          this.#render();
        }
        this.#updateHash();
        return;
      }
      case 'layer':
        this.#layer = Math.max(0, Number.parseInt(value ?? '0', 10) || 0);
        if (!initial) this.#afterPick();
        return;
      case 'head': {
        const v = String(value ?? '0')
          .trim()
          .toLowerCase();
        this.#head = HEAD_WORDS.includes(v) ? v : Math.max(0, Number.parseInt(v, 10) || 0);
        if (!initial) this.#afterPick();
        return;
      }
      case 'query':
        this.#queryAttr = value;
        this.#resolveQuery();
        if (!initial) this.#afterPick();
        return;
      case 'model':
        if (value && value !== this.#modelId && !initial) this.#useModel(value);
        else if (initial && value) this.#modelId = value;
        return;
      case 'merge':
        this.#merge = value !== null && value !== 'false';
        this.#matrixCache.clear();
        this.#setUnits();
        if (!initial) this.#render();
        return;
      case 'palette':
        this.#palette = PALETTES.includes(value) ? value : null;
        if (!initial) this.#render();
        return;
      case 'temperature': {
        const x = Number.parseFloat(value ?? '1');
        this.#temperature = Number.isFinite(x) ? Math.min(10, Math.max(0.05, x)) : 1;
        if (!initial) this.#render();
        return;
      }
      case 'sort':
        this.#sort = value === 'weight' ? 'weight' : 'position';
        if (!initial) this.#render();
        return;
      case 'lang':
        if (!initial) this.#setLang(pickLang(value));
        return;
      case 'editable':
      case 'controls':
      case 'theme':
        if (!initial) {
          this.#relabel();
          this.#render();
        }
        return;
      case 'share':
        return;
    }
  }

  #afterPick() {
    this.#clamp();
    this.#updateHash();
    if (this.#view === 'steps') this.#schedule();
    this.#render();
  }

  #setLang(lang) {
    if (lang === this.#lang) return;
    this.#lang = lang;
    this.#t = translator(lang);
    this.#tableKey = '';
    this.#relabel();
    this.#render();
  }

  // ------------------------------------------------------------------ models

  async #useModel(id) {
    if (this.#loading?.id === id) return;
    if (!host.isKnown(id)) {
      this.#error({ code: 'not_found', message: `unknown model "${id}"` });
      if (this.#modelId && this.#model) this.setAttribute('model', this.#modelId);
      else if (id !== host.DEFAULT_MODELS[0]?.id) this.#useModel(host.DEFAULT_MODELS[0].id);
      return;
    }
    this.#loading?.controller.abort();
    const controller = new AbortController();
    const loading = { id, controller, file: '', loaded: 0, total: undefined, size: undefined };
    this.#loading = loading;
    this.#renderLoading();
    try {
      const model = await host.model(id, {
        signal: controller.signal,
        onSize: (size) => {
          loading.size = size;
          this.#renderLoading();
        },
        onProgress: (p) => {
          // The weights are what takes time: once they start, show them.
          if (p.file === 'weights' || loading.file !== 'weights') Object.assign(loading, p);
          this.#renderLoading();
        },
      });
      if (this.#loading !== loading) return;
      this.#loading = null;
      this.#model = model;
      this.#info = model.info;
      this.#modelId = id;
      if (this.getAttribute('model') !== id && (this.hasAttribute('model') || id !== host.DEFAULT_MODELS[0]?.id))
        this.setAttribute('model', id);
      this.#readyFired = null;
      this.#clamp();
      this.#renderLoading();
      this.#relabel();
      this.#updateHash();
      this.#schedule();
    } catch (err) {
      if (this.#loading !== loading) return;
      this.#loading = null;
      this.#renderLoading();
      if (err?.code === 'aborted') this.#status(this.#t('cancelled'));
      else this.#error(err);
      // The previous model keeps working; the attribute goes back to it.
      if (this.#modelId && this.#modelId !== id) this.setAttribute('model', this.#modelId);
      else if (!this.#model && id !== host.DEFAULT_MODELS[0]?.id) this.#useModel(host.DEFAULT_MODELS[0].id);
      this.#relabel();
    }
  }

  async #loadFiles(files) {
    if (!files?.length) return;
    this.#clearError();
    const controller = new AbortController();
    const loading = { id: 'files', controller, file: '', loaded: 0 };
    this.#loading = loading;
    this.#renderLoading();
    try {
      const id = await host.loadFiles(Array.from(files), {
        signal: controller.signal,
        onProgress: (p) => {
          Object.assign(loading, p);
          this.#renderLoading();
        },
      });
      if (this.#loading === loading) this.#loading = null;
      this.#relabel();
      await this.#useModel(id);
    } catch (err) {
      if (this.#loading === loading) this.#loading = null;
      this.#renderLoading();
      if (err?.code === 'aborted') this.#status(this.#t('cancelled'));
      else if (err?.missing)
        this.#error({
          code: 'invalid_argument',
          message: this.#t('err.files', { missing: err.missing.join(', ') }),
          plain: true,
        });
      else this.#error(err);
      this.#relabel();
    }
  }

  #clamp() {
    const info = this.#info;
    if (!info) return;
    if (this.#layer > info.layers - 1) this.#layer = info.layers - 1;
    if (typeof this.#head === 'number' && this.#head > info.heads - 1) this.#head = info.heads - 1;
  }

  // -------------------------------------------------------------------- runs

  /** Asks for a run of the current text; at most one runs at a time, the latest text wins. */
  #schedule() {
    if (!this.isConnected) return;
    this.#wantRun = true;
    if (!this.#running) void this.#pump();
  }

  #job() {
    const headNum = typeof this.#head === 'number' ? this.#head : 0;
    let text = this.#text ?? '';
    // Big models return layers x heads x T x T weights: keep T (and the memory) reasonable.
    const big = this.#info && this.#info.layers * this.#info.heads > 32;
    if (big && text.length > BIG_MODEL_CHARS)
      text = Array.from(text.slice(0, BIG_MODEL_CHARS + 1))
        .slice(0, BIG_MODEL_CHARS)
        .join('')
        .replace(/[\ud800-\udbff]$/, '');
    const job = {
      text,
      modelId: this.#model ? this.#modelId : null,
      model: this.#model,
      cut: text !== (this.#text ?? ''),
    };
    if (this.#view === 'steps') job.inspect = { layer: this.#layer, head: headNum };
    if (this.#view === 'compare') job.compare = host.DEFAULT_MODELS.slice(0, 2).map((m) => m.id);
    return job;
  }

  #needsRun(job) {
    if (!job.model) return false;
    if (this.#resultText !== job.text || this.#resultModel !== job.modelId) return true;
    if (job.inspect && this.#inspect?.key !== this.#inspectKey(job)) return true;
    if (job.compare && this.#compare?.text !== job.text) return true;
    return false;
  }

  #inspectKey(job) {
    return `${job.modelId}|${job.inspect.layer}|${job.inspect.head}|${job.text}`;
  }

  async #pump() {
    this.#running = true;
    try {
      while (this.#wantRun) {
        this.#wantRun = false;
        const job = this.#job();
        if (!this.#needsRun(job)) continue;
        if (job.text === '') {
          this.#result = null;
          this.#resultText = '';
          this.#resultModel = job.modelId;
          this.#setUnits();
          this.#render();
          continue;
        }
        try {
          const t0 = performance.now();
          const main =
            this.#resultText === job.text && this.#resultModel === job.modelId && !job.inspect
              ? this.#result
              : await job.model.run(job.text, job.inspect ? { inspect: job.inspect } : {});
          this.lastRunMs = performance.now() - t0;
          this.#cut = job.cut;
          if (main !== this.#result) {
            this.#result = main;
            this.#resultText = job.text;
            this.#resultModel = job.modelId;
            this.#serial++;
            this.#matrixCache.clear();
            this.#setUnits();
          }
          if (job.inspect && main.inspect)
            this.#inspect = { key: this.#inspectKey(job), data: main.inspect, serial: this.#serial };
          if (job.compare) await this.#runCompare(job);
          this.#render();
        } catch (err) {
          if (err?.code === 'disposed' && this.#model?.disposed && this.#modelId && !this.#loading) {
            // The engine lost the model (its worker was replaced): load it again, then run.
            this.#model = null;
            void this.#useModel(this.#modelId);
          } else if (err?.code !== 'aborted' && err?.code !== 'disposed') this.#error(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #runCompare(job) {
    const results = [];
    for (const id of job.compare) {
      let m;
      try {
        m = await host.model(id);
      } catch (err) {
        this.#error(err);
        this.#compare = { text: job.text, results: [] };
        return;
      }
      const r = id === job.modelId ? this.#result : await m.run(job.text);
      results.push({ id, info: m.info, result: r });
    }
    this.#compare = { text: job.text, results };
  }

  // ------------------------------------------------------------ derived data

  #setUnits() {
    const r = this.#result;
    if (!r) {
      this.#units = [];
      this.#groups = null;
    } else if (this.#merge) {
      this.#groups = wordGroups(r.tokens, this.#resultText);
      this.#units = this.#groups.map((g) => ({ text: g.text, label: short(g.text), first: g.first, last: g.last }));
    } else {
      this.#groups = null;
      this.#units = r.tokens.map((tok, k) => ({ text: tok.text, label: short(tok.text), first: k, last: k }));
    }
    this.#resolveQuery();
  }

  #resolveQuery() {
    const U = this.#units.length;
    const a = this.#queryAttr;
    let q = -1;
    if (a !== null && a !== undefined && a !== '') {
      if (/^\d+$/.test(a.trim())) q = Number(a);
      else {
        const want = a.trim().toLowerCase();
        q = this.#units.findIndex((u) => u.text.trim().toLowerCase() === want);
      }
    }
    if (q < 0 || q >= U) q = U - 1;
    this.#query = q;
  }

  /** The matrix shown for (layer, head) in the current units (tokens or words). */
  #matrix(layer = this.#layer, head = this.#head, result = this.#result, groups = this.#groups) {
    const key = `${result === this.#result ? this.#serial : 'x'}|${layer}|${head}|${this.#merge}`;
    if (result === this.#result && this.#matrixCache.has(key)) return this.#matrixCache.get(key);
    let m;
    if (head === 'rollout') m = rollout(result, layer);
    else if (head === 'mean' || head === 'all') m = meanOfHeads(result, layer);
    else m = headMatrix(result, layer, head);
    if (groups) m = mergeMatrix(m, result.shape.tokens, groups);
    if (result === this.#result) this.#matrixCache.set(key, m);
    return m;
  }

  #what(head = this.#head) {
    const t = this.#t;
    if (head === 'rollout') return t('what.rollout', { l: this.#layer });
    if (head === 'mean') return t('what.mean', { l: this.#layer });
    if (head === 'all') return t('what.all', { l: this.#layer });
    return t('what.head', { l: this.#layer, h: head });
  }

  // ------------------------------------------------------------------ the UI

  #build() {
    const root = this.shadowRoot;
    const tpl = document.createElement('template');
    tpl.innerHTML = TEMPLATE; // static markup: no page or user data in it
    root.append(tpl.content.cloneNode(true));
    const $ = (s) => root.querySelector(s);
    this.#ui = {
      root: $('.root'),
      bar: $('.bar'),
      tabs: $('.tabs'),
      layerSeg: $('.layer-picker .seg'),
      headSeg: $('.head-picker .seg'),
      layerLabel: $('#layer-label'),
      headLabel: $('#head-label'),
      input: $('.input'),
      textLabel: $('label[for=text]'),
      textarea: $('textarea'),
      examples: $('.examples'),
      tokens: $('.tokens'),
      count: $('.count'),
      notice: $('.notice'),
      stage: $('.stage'),
      canvasWrap: $('.canvas-wrap'),
      canvas: $('canvas'),
      tip: $('.tip'),
      html: $('.html-view'),
      empty: $('.empty'),
      readout: $('.readout'),
      meta: $('.meta'),
      options: $('.options'),
      details: $('details.data'),
      summary: $('details.data summary'),
      tableWrap: $('.table-wrap'),
      foot: $('.foot'),
      error: $('.error'),
      drop: $('.drop'),
      dropInner: $('.drop-inner'),
    };
    const ui = this.#ui;
    ui.textarea.addEventListener('input', () => {
      // While typing, a query on the last token keeps following the last token.
      if (this.#query === this.#units.length - 1 && /^\d+$/.test(this.getAttribute('query') ?? ''))
        this.removeAttribute('query');
      this.setAttribute('text', ui.textarea.value);
    });
    ui.details.addEventListener('toggle', () => {
      this.#tableKey = '';
      this.#renderTable();
    });
    const c = ui.canvas;
    c.addEventListener('pointermove', (e) => this.#pointer(e));
    c.addEventListener('pointerleave', () => {
      this.#hover = null;
      this.#hideTip();
      this.#render();
    });
    c.addEventListener('click', (e) => this.#click(e));
    c.addEventListener('keydown', (e) => this.#canvasKey(e));
    c.addEventListener('focus', () => {
      this.#focused = true;
      this.#cursor ??= this.#defaultCursor();
      this.#render();
      this.#announce();
    });
    c.addEventListener('blur', () => {
      this.#focused = false;
      this.#hideTip();
      this.#render();
    });
    ui.tokens.addEventListener('keydown', (e) => this.#tokenKey(e));
    // drag and drop of model files (full controls)
    this.addEventListener('dragover', (e) => {
      if (this.getAttribute('controls') !== 'full' || !e.dataTransfer?.types?.includes('Files')) return;
      e.preventDefault();
      ui.drop.classList.add('on');
    });
    this.addEventListener('dragleave', (e) => {
      if (e.target === this || !this.contains(e.relatedTarget)) ui.drop.classList.remove('on');
    });
    this.addEventListener('drop', (e) => {
      if (this.getAttribute('controls') !== 'full') return;
      e.preventDefault();
      ui.drop.classList.remove('on');
      void this.#loadFiles(e.dataTransfer?.files);
    });
  }

  /** Rebuilds the text that depends on language, model and attributes. */
  #relabel() {
    const ui = this.#ui;
    const t = this.#t;
    const controls = this.getAttribute('controls') ?? 'basic';
    ui.root.classList.toggle('contrast', this.getAttribute('theme') === 'contrast');
    ui.root.dataset.controls = controls;
    ui.root.lang = this.#lang === 'zh' ? 'zh-CN' : 'en';
    ui.bar.hidden = controls === 'none';
    ui.input.hidden = !this.hasAttribute('editable');
    ui.textLabel.textContent = t('text');
    ui.textarea.placeholder = t('textPlaceholder');
    ui.tabs.setAttribute('aria-label', t('views'));
    ui.layerLabel.textContent = t('layer');
    ui.headLabel.textContent = t('head');
    ui.summary.textContent = t('dataTable');
    ui.dropInner.textContent = t('dropHere');
    ui.empty.textContent = t('empty');
    // view tabs
    ui.tabs.replaceChildren(
      ...VIEWS.map((v) =>
        h('button', {
          type: 'button',
          role: 'tab',
          class: 'tab',
          'data-view': v,
          'aria-selected': String(v === this.#view),
          tabindex: v === this.#view ? '0' : '-1',
          text: t(`view.${v}`),
          onclick: () => this.setAttribute('view', v),
        }),
      ),
    );
    ui.tabs.onkeydown = (e) => this.#rovingKey(e, ui.tabs, (btn) => this.setAttribute('view', btn.dataset.view), true);
    // examples
    ui.examples.replaceChildren(
      h('span', { class: 'ex-label', text: `${t('examples')}:` }),
      ...Array.from({ length: EXAMPLES }, (_, k) =>
        h('button', {
          type: 'button',
          class: 'chip',
          text: short(t(`example.${k}`), 34),
          title: t(`example.${k}`),
          onclick: () => {
            this.setAttribute('text', t(`example.${k}`));
            ui.textarea.focus();
          },
        }),
      ),
    );
    this.#buildOptions();
    this.#buildFoot();
    this.#renderPickers();
    this.#render();
  }

  #segment(seg, values, current, label, onPick, titles = {}) {
    seg.replaceChildren(
      ...values.map((v) =>
        h('button', {
          type: 'button',
          role: 'radio',
          class: 'segb',
          'data-value': String(v),
          'aria-checked': String(v === current),
          tabindex: v === current ? '0' : '-1',
          title: titles[v],
          'aria-label': typeof v === 'number' ? `${label} ${v}` : (titles[v] ?? String(v)),
          text: typeof v === 'number' ? String(v) : this.#t(`head.${v}`),
          onclick: () => onPick(v),
        }),
      ),
    );
    seg.onkeydown = (e) => this.#rovingKey(e, seg, (btn) => onPick(btn.dataset.value), true);
  }

  #renderPickers() {
    const info = this.#info;
    const ui = this.#ui;
    const layers = info?.layers ?? 1;
    const heads = info?.heads ?? 1;
    const t = this.#t;
    const focusInside = (seg) => seg.contains(this.shadowRoot.activeElement);
    const lf = focusInside(ui.layerSeg);
    const hf = focusInside(ui.headSeg);
    this.#segment(
      ui.layerSeg,
      Array.from({ length: layers }, (_, k) => k),
      this.#layer,
      t('layer'),
      (v) => this.setAttribute('layer', String(v)),
    );
    const headValues = [...Array.from({ length: heads }, (_, k) => k), 'mean', 'rollout'];
    if (this.#view === 'lines') headValues.push('all');
    this.#segment(ui.headSeg, headValues, this.#head, t('head'), (v) => this.setAttribute('head', String(v)), {
      all: t('head.allTitle'),
      mean: t('head.meanTitle'),
      rollout: t('head.rolloutTitle'),
    });
    if (lf) ui.layerSeg.querySelector('[tabindex="0"]')?.focus();
    if (hf) ui.headSeg.querySelector('[tabindex="0"]')?.focus();
    const hideHead = this.#view === 'model';
    ui.headSeg.parentElement.hidden = hideHead;
    ui.layerSeg.parentElement.hidden = this.#view === 'model';
  }

  /** Arrow keys move between the buttons of a group (roving tabindex); `select` follows focus. */
  #rovingKey(e, container, select, follow) {
    const items = [...container.querySelectorAll('button:not([hidden])')];
    const k = items.indexOf(this.shadowRoot.activeElement);
    if (k < 0) return;
    let n = k;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') n = (k + 1) % items.length;
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') n = (k - 1 + items.length) % items.length;
    else if (e.key === 'Home') n = 0;
    else if (e.key === 'End') n = items.length - 1;
    else return;
    e.preventDefault();
    for (const it of items) it.tabIndex = -1;
    items[n].tabIndex = 0;
    items[n].focus();
    if (follow) select(items[n]);
  }

  #buildOptions() {
    const ui = this.#ui;
    const t = this.#t;
    const pal = h(
      'select',
      {
        class: 'sel',
        'aria-label': t('palette'),
        onchange: (e) => this.setAttribute('palette', e.target.value),
      },
      ...PALETTES.map((p) =>
        h('option', { value: p, text: p[0].toUpperCase() + p.slice(1), selected: p === this.#paletteName() }),
      ),
    );
    const merge = h('input', {
      type: 'checkbox',
      class: 'check',
      title: t('mergeHow'),
      checked: this.#merge,
      onchange: (e) => (e.target.checked ? this.setAttribute('merge', '') : this.removeAttribute('merge')),
    });
    const sort = h(
      'div',
      { class: 'opt sort-opt' },
      h('span', { class: 'olabel', id: 'sort-label', text: t('sort') }),
      h(
        'div',
        { class: 'seg', role: 'radiogroup', 'aria-labelledby': 'sort-label' },
        ...['position', 'weight'].map((s) =>
          h('button', {
            type: 'button',
            role: 'radio',
            class: 'segb',
            'aria-checked': String(this.#sort === s),
            tabindex: this.#sort === s ? '0' : '-1',
            'data-value': s,
            text: t(`sort.${s}`),
            onclick: () => this.setAttribute('sort', s),
          }),
        ),
      ),
    );
    sort.querySelector('.seg').onkeydown = (e) =>
      this.#rovingKey(e, sort.querySelector('.seg'), (b) => this.setAttribute('sort', b.dataset.value), true);
    const tempValue = h('output', { class: 'tval' });
    const temp = h('input', {
      type: 'range',
      class: 'range',
      min: '-2.3',
      max: '1.6',
      step: '0.01',
      value: String(Math.log(this.#temperature)),
      'aria-label': t('temperature'),
      oninput: (e) => this.setAttribute('temperature', Math.exp(Number(e.target.value)).toFixed(2)),
    });
    const tempBox = h(
      'label',
      { class: 'opt temp-opt' },
      h('span', { class: 'olabel', text: t('temperature') }),
      h('span', { class: 'sym', text: 'τ' }),
      temp,
      tempValue,
    );
    ui.options.replaceChildren(
      h('label', { class: 'opt' }, h('span', { class: 'olabel', text: t('palette') }), pal),
      h('label', { class: 'opt', title: t('mergeHow') }, merge, h('span', { text: t('mergeWords') })),
      sort,
      tempBox,
    );
    ui.sortOpt = sort;
    ui.mergeInput = merge;
    ui.paletteSelect = pal;
    ui.tempOpt = tempBox;
    ui.tempValue = tempValue;
    ui.tempInput = temp;
  }

  #buildFoot() {
    const ui = this.#ui;
    const t = this.#t;
    if (this.getAttribute('controls') !== 'full') {
      ui.foot.replaceChildren();
      ui.foot.hidden = true;
      return;
    }
    ui.foot.hidden = false;
    const current = this.#loading?.id && this.#loading.id !== 'files' ? this.#loading.id : this.#modelId;
    const options = [
      h(
        'optgroup',
        { label: 'attnscope' },
        ...host.DEFAULT_MODELS.map((m) =>
          h('option', {
            value: m.id,
            text: `${m.id === 'tiny' ? 'tiny' : m.id} · ${m.scoring === 'additive' ? 'additive' : 'scaled dot'} (${bytes(m.bytes)})`,
            selected: m.id === current,
          }),
        ),
      ),
      h(
        'optgroup',
        { label: 'Hugging Face' },
        ...Object.values(host.PRESETS).map((p) =>
          h('option', {
            value: p.name,
            text: `${p.name} (${bytes(p.approximateBytes)})`,
            selected: p.name === current,
          }),
        ),
      ),
    ];
    const own = host.customModels();
    if (own.length)
      options.push(
        h(
          'optgroup',
          { label: t('ownFiles') },
          ...own.map((m) => h('option', { value: m.id, text: m.label, selected: m.id === current })),
        ),
      );
    options.push(h('option', { value: '__files', text: t('ownFiles') }));
    const fileInput = h('input', {
      type: 'file',
      multiple: true,
      class: 'sr-only',
      tabindex: '-1',
      'aria-hidden': 'true',
      onchange: (e) => {
        void this.#loadFiles(e.target.files);
        e.target.value = '';
      },
    });
    const select = h(
      'select',
      {
        class: 'sel model-sel',
        'aria-label': t('model'),
        onchange: (e) => {
          const v = e.target.value;
          if (v === '__files') {
            e.target.value = this.#modelId;
            fileInput.click();
          } else this.setAttribute('model', v);
        },
      },
      ...options,
    );
    const progress = h(
      'div',
      { class: 'loading', hidden: true },
      h('progress', { max: '1' }),
      h('span', { class: 'ltext' }),
      h('button', {
        type: 'button',
        class: 'btn small',
        text: t('cancel'),
        onclick: () => this.#loading?.controller.abort(),
      }),
    );
    const exportGroup = h(
      'div',
      { class: 'exports', role: 'group', 'aria-label': t('export') },
      h('span', { class: 'olabel', text: t('export') }),
      ...['png', 'svg', 'json', 'csv'].map((k) =>
        h('button', {
          type: 'button',
          class: 'btn small',
          'data-export': k,
          text: t(`export.${k}`),
          onclick: () => void this.exportAs(k),
        }),
      ),
    );
    const share = h('button', {
      type: 'button',
      class: 'btn small share',
      text: t('share'),
      onclick: () => void this.#share(),
    });
    const lang = h(
      'select',
      { class: 'sel', 'aria-label': t('language'), onchange: (e) => this.setAttribute('lang', e.target.value) },
      h('option', { value: 'en', text: 'English', selected: this.#lang === 'en' }),
      h('option', { value: 'zh', text: '中文', selected: this.#lang === 'zh' }),
    );
    const contrast = h('input', {
      type: 'checkbox',
      class: 'check',
      checked: this.getAttribute('theme') === 'contrast',
      onchange: (e) => (e.target.checked ? this.setAttribute('theme', 'contrast') : this.removeAttribute('theme')),
    });
    ui.foot.replaceChildren(
      h(
        'div',
        { class: 'fgroup' },
        h('label', { class: 'opt' }, h('span', { class: 'olabel', text: t('model') }), select),
        fileInput,
        progress,
      ),
      h('div', { class: 'fgroup' }, exportGroup, share),
      h('div', { class: 'fgroup' }, lang, h('label', { class: 'opt' }, contrast, h('span', { text: t('contrast') }))),
      h('div', { class: 'share-out', hidden: true }),
    );
    ui.progress = progress;
    ui.modelSelect = select;
    ui.langSelect = lang;
    ui.contrastInput = contrast;
    ui.shareOut = ui.foot.querySelector('.share-out');
    this.#renderLoading();
  }

  #renderLoading() {
    const ui = this.#ui;
    const l = this.#loading;
    const t = this.#t;
    if (ui.modelSelect && !l) {
      ui.modelSelect.value = this.#modelId ?? '';
    }
    const busy = !!l;
    ui.root.classList.toggle('busy', busy);
    if (!ui.progress) {
      if (l) this.#status(t('loading', { name: l.id }));
      else if (ui.readout.dataset.loading) this.#status('');
      ui.readout.dataset.loading = l ? '1' : '';
      return;
    }
    ui.progress.hidden = !busy;
    if (!busy) return;
    const bar = ui.progress.querySelector('progress');
    const total = l.file === 'weights' ? (l.total ?? l.size) : l.total;
    if (total) {
      bar.max = total;
      bar.value = l.loaded;
    } else bar.removeAttribute('value');
    ui.progress.querySelector('.ltext').textContent = l.file
      ? total
        ? t('loadingFile', { file: l.file, loaded: bytes(l.loaded), total: bytes(total) })
        : t('loadingFileNoTotal', { file: l.file, loaded: bytes(l.loaded) })
      : `${t('loading', { name: l.id })}${l.size ? ` (${bytes(l.size)})` : ''}`;
  }

  #status(text) {
    this.#ui.readout.textContent = text;
  }

  #error(err) {
    const t = this.#t;
    const code = err?.code ?? 'default';
    const plain = err?.plain ? err.message : t(`err.${code}`) === `err.${code}` ? t('err.default') : t(`err.${code}`);
    const box = this.#ui.error;
    box.replaceChildren(
      h('strong', { text: t('err.title') }),
      h('p', { text: plain }),
      this.#model ? h('p', { class: 'muted', text: t('err.keep') }) : null,
      !err?.plain && err?.message
        ? h('details', {}, h('summary', { text: t('err.details') }), h('code', { text: `${code}: ${err.message}` }))
        : null,
      h('button', { type: 'button', class: 'btn small', text: t('dismiss'), onclick: () => this.#clearError() }),
    );
    box.classList.add('on');
    this.dispatchEvent(
      new CustomEvent('attn-error', {
        bubbles: true,
        composed: true,
        detail: { code, message: String(err?.message ?? err) },
      }),
    );
  }

  #clearError() {
    this.#ui.error.classList.remove('on');
    this.#ui.error.replaceChildren();
  }

  // ------------------------------------------------------------- rendering

  #render() {
    if (this.#frame || !this.#ui) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      try {
        const t0 = performance.now();
        this.#draw();
        const ms = performance.now() - t0;
        /** How long the last frame's drawing took on the main thread (ms), and the longest so far. */
        this.lastDrawMs = ms;
        this.maxDrawMs = Math.max(this.maxDrawMs ?? 0, ms);
      } catch (err) {
        console.warn('attn-scope: render failed', err);
        this.#error({ code: 'internal', message: String(err?.message ?? err) });
      }
    });
  }

  #colorKey = '';
  #colorCache = null;
  #colors() {
    const key = `${this.getAttribute('theme')}|${matchMedia('(prefers-color-scheme: dark)').matches}|${this.getAttribute('style')}|${this.getAttribute('class')}`;
    if (key === this.#colorKey && this.#colorCache) return this.#colorCache;
    this.#colorKey = key;
    this.#colorCache = this.#readColors();
    return this.#colorCache;
  }

  #readColors() {
    const s = getComputedStyle(this.#ui.root);
    const v = (name, fallback) => s.getPropertyValue(name).replace(/\s+/g, ' ').trim() || fallback;
    return {
      fg: v('--fg', '#1b1f24'),
      muted: v('--muted', '#5b6470'),
      bg: v('--bg', '#ffffff'),
      surface2: v('--surface2', '#f1f3f6'),
      border: v('--border', '#d9dee5'),
      accent: v('--accent', '#d2462b'),
      focus: v('--focus', '#1a73e8'),
      mask: v('--mask', '#eef0f3'),
      maskHatch: v('--mask-hatch', '#d4d8de'),
      grid: v('--grid', '#e6e9ee'),
      dark: v('--dark', '0') === '1',
      sans: v('--font', 'system-ui, sans-serif'),
      mono: v('--mono', 'ui-monospace, monospace'),
    };
  }

  #paletteName() {
    if (this.#palette) return this.#palette;
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    return this.getAttribute('theme') === 'contrast' ? 'greys' : dark ? 'viridis' : 'blues';
  }

  #draw() {
    const ui = this.#ui;
    const t = this.#t;
    const r = this.#result;
    const view = this.#view;
    // tabs, pickers, options
    for (const b of ui.tabs.children) {
      const on = String(b.dataset.view === view);
      if (b.getAttribute('aria-selected') !== on) {
        b.setAttribute('aria-selected', on);
        b.tabIndex = on === 'true' ? 0 : -1;
      }
    }
    if (this.#lastView !== view || this.#pickerKey() !== this.#lastPickerKey) {
      this.#renderPickers();
      this.#lastPickerKey = this.#pickerKey();
      this.#lastView = view;
    }
    setHidden(ui.sortOpt, view !== 'distribution');
    // controls follow the attributes, whoever set them
    if (ui.mergeInput.checked !== this.#merge) ui.mergeInput.checked = this.#merge;
    if (ui.paletteSelect.value !== this.#paletteName()) ui.paletteSelect.value = this.#paletteName();
    for (const b of ui.sortOpt.querySelectorAll('button')) {
      const on = String(b.dataset.value === this.#sort);
      if (b.getAttribute('aria-checked') !== on) {
        b.setAttribute('aria-checked', on);
        b.tabIndex = on === 'true' ? 0 : -1;
      }
    }
    if (ui.langSelect && ui.langSelect.value !== this.#lang) ui.langSelect.value = this.#lang;
    const contrast = this.getAttribute('theme') === 'contrast';
    if (ui.contrastInput && ui.contrastInput.checked !== contrast) ui.contrastInput.checked = contrast;
    setHidden(ui.tempOpt, view !== 'compare');
    setText(
      ui.tempValue,
      `${this.#temperature.toFixed(2)} · ${this.#temperature < 0.97 ? t('sharper') : this.#temperature > 1.03 ? t('flatter') : t('unchanged')}`,
    );
    if (
      this.shadowRoot.activeElement !== ui.tempInput &&
      Math.abs(Number(ui.tempInput.value) - Math.log(this.#temperature)) > 0.006
    )
      ui.tempInput.value = String(Math.log(this.#temperature));
    if (ui.root.dataset.view !== view) ui.root.dataset.view = view;
    this.#renderTokens();
    // notice (truncation) and meta
    setText(
      ui.notice,
      [
        this.#cut ? t('cut', { n: BIG_MODEL_CHARS.toLocaleString() }) : '',
        r && r.totalTokens > r.shape.tokens ? t('truncated', { total: r.totalTokens, max: r.shape.tokens }) : '',
      ]
        .filter(Boolean)
        .join(' '),
    );
    setHidden(ui.notice, !ui.notice.textContent);
    const hasData = !!r && this.#units.length > 0;
    setHidden(ui.empty, hasData || !!this.#loading || this.#running);
    setHidden(ui.canvasWrap, !hasData || view === 'steps');
    setHidden(ui.html, !hasData || !['steps', 'compare', 'model'].includes(view));
    if (hasData) {
      if (view === 'steps') this.#drawSteps();
      else this.#drawCanvas();
    }
    this.#renderMeta();
    this.#renderTable();
    if (this.#typedAt && r && this.#resultText === this.#typedAt.text) {
      this.latencies.push(performance.now() - this.#typedAt.t0);
      if (this.latencies.length > 500) this.latencies.shift();
      this.#typedAt = null;
    }
    if (hasData && this.#readyFired !== this.#modelId) {
      this.#readyFired = this.#modelId;
      this.dispatchEvent(
        new CustomEvent('attn-ready', {
          bubbles: true,
          composed: true,
          detail: { model: this.#modelId, info: this.#info, tokens: r.tokens.length },
        }),
      );
    }
  }

  #lastPickerKey = '';
  #cut = false;
  #typedAt = null;
  /** Milliseconds from each text change to the frame that showed its attention (the last 500). */
  latencies = [];
  #pickerKey() {
    return `${this.#info?.layers}|${this.#info?.heads}|${this.#layer}|${this.#head}|${this.#view === 'lines'}|${this.#view === 'model'}|${this.#lang}`;
  }

  #renderTokens() {
    const ui = this.#ui;
    const t = this.#t;
    const units = this.#units;
    const tokLabel = this.#merge ? t('words') : t('tokens');
    if (ui.tokens.getAttribute('aria-label') !== tokLabel) ui.tokens.setAttribute('aria-label', tokLabel);
    const key = units.map((u) => u.text).join('\u0000') + `|${this.#merge}`;
    if (ui.tokens.dataset.key !== key) {
      ui.tokens.dataset.key = key;
      // Update the chips in place (typing changes only the last few).
      const kids = ui.tokens.children;
      units.forEach((u, k) => {
        const label = short(u.text, 24);
        const cls = `tok${u.text.startsWith(' ') ? ' sp' : ''}`;
        let chip = kids[k];
        if (!chip) {
          chip = h('span', {
            role: 'option',
            id: `tok-${k}`,
            'data-index': String(k),
            onclick: () => this.#pickQuery(k),
          });
          ui.tokens.append(chip);
        }
        if (chip.textContent !== label) chip.textContent = label;
        if (chip.className !== cls) chip.className = cls;
        const title = visible(u.text);
        if (chip.title !== title) chip.title = title;
      });
      while (kids.length > units.length) kids[kids.length - 1].remove();
    }
    const q = this.#query;
    for (const el of ui.tokens.children) {
      const on = String(Number(el.dataset.index) === q);
      if (el.getAttribute('aria-selected') !== on) {
        el.setAttribute('aria-selected', on);
        el.tabIndex = on === 'true' ? 0 : -1;
      }
    }
    const r = this.#result;
    const count = r
      ? this.#merge
        ? t('wordCount', { n: units.length, t: r.tokens.length })
        : t('tokenCount', { n: r.tokens.length })
      : '';
    setText(ui.count, count);
  }

  #tokenKey(e) {
    const U = this.#units.length;
    if (!U) return;
    let q = this.#query;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') q = Math.min(U - 1, q + 1);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') q = Math.max(0, q - 1);
    else if (e.key === 'Home') q = 0;
    else if (e.key === 'End') q = U - 1;
    else return;
    e.preventDefault();
    this.#pickQuery(q, true);
  }

  #pickQuery(q, focus = false) {
    if (q === this.#query && !focus) return;
    this.setAttribute('query', String(q));
    if (this.#cursor && this.#cursor.i !== undefined) this.#cursor.i = q;
    this.#renderTokens();
    if (focus) this.#ui.tokens.querySelector(`[data-index="${q}"]`)?.focus();
    this.#select(q, null);
  }

  #select(i, j, extra = {}) {
    const U = this.#units.length;
    if (i === null || i < 0 || i >= U) return;
    const m = this.#result ? this.#matrix() : null;
    const detail = {
      layer: this.#layer,
      head: this.#head,
      query: i,
      queryText: this.#units[i].text,
      key: j,
      keyText: j !== null && j !== undefined ? this.#units[j]?.text : undefined,
      weight: j !== null && j !== undefined && m ? m[i * U + j] : undefined,
      ...extra,
    };
    this.dispatchEvent(new CustomEvent('attn-select', { bubbles: true, composed: true, detail }));
  }

  #viewCtx() {
    const c = this.#colors();
    return {
      t: this.#t,
      units: this.#units,
      c,
      fonts: { sans: c.sans, mono: c.mono },
      pal: palette(this.#paletteName()),
      width: Math.max(280, this.#width),
      causal: !!this.#info?.causal,
      query: this.#query,
      hover: this.#hover,
      cursor: this.#cursor,
      focused: this.#focused,
      layer: this.#layer,
      head: this.#head,
      layers: this.#result?.shape.layers ?? 0,
      heads: this.#result?.shape.heads ?? 0,
      sort: this.#sort,
      what: this.#what(),
    };
  }

  #buildView(ctx = this.#viewCtx()) {
    const view = this.#view;
    if (view === 'heatmap') return heatmapView({ ...ctx, matrix: this.#matrix() });
    if (view === 'lines') {
      const heads = this.#result.shape.heads;
      const matrices =
        this.#head === 'all'
          ? Array.from({ length: heads }, (_, k) => ({
              head: k,
              m: this.#matrix(this.#layer, k),
              colour: headColour(k, ctx.c.dark),
            }))
          : [
              {
                head: this.#head,
                m: this.#matrix(),
                colour: typeof this.#head === 'number' ? headColour(this.#head, ctx.c.dark) : ctx.c.accent,
              },
            ];
      return linesView({
        ...ctx,
        matrices,
        meanMatrix: this.#head === 'all' ? this.#matrix(this.#layer, 'mean') : null,
      });
    }
    if (view === 'model') return modelView({ ...ctx, thumb: (l, hh) => this.#thumb(ctx, l, hh) });
    if (view === 'distribution') return distributionView({ ...ctx, matrix: this.#matrix() });
    if (view === 'compare') return compareView({ ...ctx, panels: this.#comparePanels() });
    return null;
  }

  /** A model-view thumbnail's pixels and statistics, computed once per result, palette and merge. */
  #thumbs = new Map();
  #thumb(ctx, l, hh) {
    const key = `${this.#serial}|${this.#merge}|${ctx.pal.name}|${ctx.c.mask}|${l}|${hh}`;
    let v = this.#thumbs.get(key);
    if (!v) {
      if (this.#thumbs.size > 400) this.#thumbs.clear();
      const m = this.#matrix(l, hh);
      const U = this.#units.length;
      v = { px: matrixPixels(ctx, m, U), st: headStats(m, U) };
      this.#thumbs.set(key, v);
    }
    return v;
  }

  #panelsKey = '';
  #panels = [];
  #comparePanels() {
    const key = `${this.#compare?.text}|${this.#resultText}|${this.#compare?.results.length}|${this.#layer}|${this.#head}|${this.#merge}|${this.#temperature}|${this.#lang}`;
    if (key === this.#panelsKey) return this.#panels;
    this.#panels = this.#computePanels();
    this.#panelsKey = key;
    return this.#panels;
  }

  #computePanels() {
    const t = this.#t;
    const cmp = this.#compare;
    if (!cmp || cmp.text !== this.#resultText || !cmp.results.length) return [];
    return cmp.results.map(({ id, info, result }) => {
      const groups = this.#merge ? wordGroups(result.tokens, cmp.text) : null;
      const units = groups
        ? groups.map((g) => ({ text: g.text, label: short(g.text) }))
        : result.tokens.map((tok) => ({ text: tok.text, label: short(tok.text) }));
      const layer = Math.min(this.#layer, info.layers - 1);
      const head = typeof this.#head === 'number' ? Math.min(this.#head, info.heads - 1) : this.#head;
      let m =
        head === 'rollout'
          ? rollout(result, layer)
          : head === 'mean' || head === 'all'
            ? meanOfHeads(result, layer)
            : headMatrix(result, layer, head);
      if (groups) m = mergeMatrix(m, result.shape.tokens, groups);
      const U = units.length;
      m = withTemperature(m, U, this.#temperature);
      const st = headStats(m, U);
      return {
        id,
        title: `${id} · ${info.scoring === 'additive' ? 'additive' : 'scaled dot-product'}`,
        subtitle: t(`compare.${info.scoring}`),
        note: `τ = ${this.#temperature.toFixed(2)} · ${t('compare.entropy', { e: st.entropy.toFixed(2) })}`,
        m,
        units,
        causal: info.causal,
        entropy: st.entropy,
      };
    });
  }

  #drawCanvas() {
    const ui = this.#ui;
    const ctx = this.#viewCtx();
    if (this.#view === 'compare' && !this.#comparePanels().length) {
      setHidden(ui.canvasWrap, true);
      setHidden(ui.html, false);
      ui.html.replaceChildren(h('p', { class: 'muted', text: `${this.#t('computing')}` }));
      return;
    }
    const built = this.#buildView(ctx);
    this.#built = built;
    paint(ui.canvas, built.scene, ctx.fonts, null, this.#view === this.#paintedView);
    this.#paintedView = this.#view;
    const t = this.#t;
    const U = this.#units.length;
    const label =
      this.#view === 'heatmap'
        ? t('aria.heatmap', { what: ctx.what, n: U })
        : this.#view === 'lines'
          ? t('aria.lines')
          : this.#view === 'model'
            ? t('aria.model', { l: ctx.layers, h: ctx.heads })
            : this.#view === 'distribution'
              ? t('aria.distribution', { q: this.#units[this.#query]?.label ?? '' })
              : t('aria.compare');
    if (ui.canvas.getAttribute('aria-label') !== label) ui.canvas.setAttribute('aria-label', label);
    if (this.#view === 'compare') {
      setHidden(ui.html, false);
      if (ui.html.textContent !== t('compare.hint'))
        ui.html.replaceChildren(h('p', { class: 'muted hint', text: t('compare.hint') }));
    } else if (this.#view === 'model') {
      setHidden(ui.html, false);
      if (ui.html.textContent !== t('model.hint'))
        ui.html.replaceChildren(h('p', { class: 'muted hint', text: t('model.hint') }));
    } else setHidden(ui.html, true);
  }
  #built = null;

  #drawSteps() {
    const ui = this.#ui;
    const t = this.#t;
    const job = this.#job();
    const inspect = this.#inspect;
    if (!inspect || inspect.key !== this.#inspectKey(job)) {
      ui.html.classList.add('stale');
      if (!ui.html.firstChild) ui.html.replaceChildren(h('p', { class: 'muted', text: t('computing') }));
      return;
    }
    ui.html.classList.remove('stale');
    const r = this.#result;
    const T = r.shape.tokens;
    const headNum = typeof this.#head === 'number' ? this.#head : 0;
    // The math is per token: with merged words, the query is the word's last token.
    const qTok = this.#merge && this.#groups ? this.#groups[this.#query].last : this.#query;
    const m = headMatrix(r, this.#layer, headNum);
    const stepsKey = `${inspect.key}|${qTok}|${this.#lang}|${typeof this.#head}`;
    if (stepsKey === this.#stepsKey && ui.html.querySelector('.steps-table')) return;
    this.#stepsKey = stepsKey;
    const tokUnits = r.tokens.map((tok) => ({ text: tok.text, label: short(tok.text) }));
    this.#steps = renderSteps(ui.html, {
      t,
      units: tokUnits,
      query: qTok,
      layer: this.#layer,
      head: headNum,
      scoring: this.#info.scoring,
      causal: this.#info.causal,
      inspect: inspect.data,
      weightsRow: m.subarray(qTok * T, qTok * T + T),
      headNote: typeof this.#head === 'number' ? null : t('steps.pickHead', { h: headNum }),
    });
  }
  #steps = null;
  #stepsKey = '';
  #paintedView = null;

  #renderMeta() {
    const ui = this.#ui;
    const info = this.#info;
    const r = this.#result;
    const t = this.#t;
    if (!info || !r || !this.#units.length) {
      if (ui.meta.firstChild) ui.meta.replaceChildren();
      ui.meta.dataset.key = '';
      return;
    }
    const bits = [];
    if (this.#view !== 'model' && this.#view !== 'steps' && this.#view !== 'compare') {
      const U = this.#units.length;
      const st = headStats(this.#matrix(), U);
      bits.push(
        h('span', { class: 'stat' }, h('b', { text: this.#what() })),
        h('span', { class: 'stat', text: `${t('stats.entropy')} ${st.entropy.toFixed(2)} ${t('bits')}` }),
        h('span', { class: 'stat', text: `${t('stats.max')} ${st.max.toFixed(2)}` }),
        h('span', { class: 'stat', text: `${t('stats.distance')} ${st.distance.toFixed(1)} ${t('stats.tokens')}` }),
      );
    }
    const params =
      info.parameters >= 1e6 ? `${(info.parameters / 1e6).toFixed(1)}M` : `${Math.round(info.parameters / 1e3)}k`;
    bits.push(
      h('span', {
        class: 'stat model-info',
        text: `${this.#modelId} · ${info.architecture} · ${info.layers}×${info.heads} · ${params} · ${info.scoring === 'additive' ? 'additive' : 'scaled dot'}${host.backendKind === 'worker' ? '' : ' · main thread'}`,
      }),
    );
    const key = bits.map((b) => b.textContent).join('|');
    if (ui.meta.dataset.key === key) return;
    ui.meta.dataset.key = key;
    ui.meta.replaceChildren(...bits);
  }

  // ------------------------------------------------------------ interaction

  #pos(e) {
    const rect = this.#ui.canvas.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }

  #pointer(e) {
    if (!this.#built) return;
    const { x, y } = this.#pos(e);
    const hit = this.#built.hit(x, y);
    const same = JSON.stringify(hit) === JSON.stringify(this.#hover);
    this.#hover = hit;
    if (hit) this.#showTip(hit, x, y);
    else this.#hideTip();
    if (!same) this.#render();
  }

  #click(e) {
    if (!this.#built) return;
    const { x, y } = this.#pos(e);
    const hit = this.#built.hit(x, y);
    if (!hit) return;
    this.#activate(hit);
  }

  #activate(hit) {
    if (hit.kind === 'head') {
      this.setAttribute('layer', String(hit.l));
      this.setAttribute('head', String(hit.h));
      this.#select(this.#query, null, { layer: hit.l, head: hit.h });
      this.setAttribute('view', this.#returnView === 'model' ? 'heatmap' : this.#returnView);
      return;
    }
    if (hit.kind === 'cell') {
      this.#pickQuery(hit.i);
      this.#select(hit.i, hit.j);
    } else if (hit.kind === 'token' && hit.side === 'left') this.#pickQuery(hit.i);
    else if (hit.kind === 'token') this.#select(this.#query, hit.i);
    else if (hit.kind === 'bar') this.#select(this.#query, hit.j);
  }

  #defaultCursor() {
    const q = Math.max(0, this.#query);
    switch (this.#view) {
      case 'model':
        return { l: this.#layer, h: typeof this.#head === 'number' ? this.#head : 0 };
      case 'distribution':
        return { k: 0 };
      case 'lines':
        return { i: q };
      case 'compare':
        return { panel: 0, i: q, j: 0 };
      default:
        return { i: q, j: 0 };
    }
  }

  #canvasKey(e) {
    const U = this.#units.length;
    if (!U) return;
    const cur = (this.#cursor ??= this.#defaultCursor());
    const dirs = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    const d = dirs[e.key];
    const view = this.#view;
    const clampI = (v, n) => Math.max(0, Math.min(n - 1, v));
    if (d) {
      e.preventDefault();
      if (view === 'model') {
        cur.l = clampI((cur.l ?? 0) + d[0], this.#result.shape.layers);
        cur.h = clampI((cur.h ?? 0) + d[1], this.#result.shape.heads);
      } else if (view === 'distribution') {
        cur.k = clampI((cur.k ?? 0) + d[1] + d[0], this.#built?.keys?.length ?? U);
      } else if (view === 'lines') {
        cur.i = clampI((cur.i ?? 0) + d[0] + d[1], U);
        this.#pickQuery(cur.i);
      } else {
        if (
          view === 'compare' &&
          d[1] &&
          ((cur.j === 0 && d[1] < 0 && cur.panel === 1) || (cur.j === U - 1 && d[1] > 0 && cur.panel === 0))
        ) {
          cur.panel = 1 - cur.panel;
          cur.j = d[1] > 0 ? 0 : U - 1;
        } else {
          cur.i = clampI((cur.i ?? 0) + d[0], U);
          cur.j = clampI((cur.j ?? 0) + d[1], U);
        }
      }
      this.#render();
      this.#announce();
      return;
    }
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (view === 'model') this.#activate({ kind: 'head', l: cur.l, h: cur.h });
      else if (view === 'distribution') this.#select(this.#query, this.#built?.keys?.[cur.k] ?? null);
      else if (view !== 'lines') this.#activate({ kind: 'cell', i: cur.i, j: cur.j });
    }
  }

  /** Speaks (aria-live) and shows what the keyboard cursor is on. */
  #announce() {
    const cur = this.#cursor;
    if (!cur || !this.#result) return;
    const t = this.#t;
    const view = this.#view;
    let text = '';
    if (view === 'model') {
      const m = this.#matrix(cur.l, cur.h);
      const st = headStats(m, this.#units.length);
      text = t('readout.head', {
        l: cur.l,
        h: cur.h,
        e: st.entropy.toFixed(2),
        m: st.max.toFixed(2),
        d: st.distance.toFixed(1),
      });
    } else if (view === 'distribution') {
      const j = this.#built?.keys?.[cur.k];
      if (j !== undefined) text = this.#cellText(this.#query, j);
    } else if (view === 'lines') text = t('readout.token', { t: this.#units[cur.i]?.label ?? '', i: cur.i });
    else if (view === 'compare') {
      const p = this.#comparePanels()[cur.panel];
      if (p) text = `${p.id}: ${this.#cellText(cur.i, cur.j, p.m, p.units, p.causal)}`;
    } else text = this.#cellText(cur.i, cur.j);
    this.#ui.readout.textContent = text;
  }

  #cellText(i, j, m = this.#matrix(), units = this.#units, causal = this.#info?.causal) {
    const t = this.#t;
    const U = units.length;
    if (!units[i] || !units[j]) return '';
    const q = units[i].label;
    const k = units[j].label;
    if (causal && j > i) return t('readout.masked', { q, i, k, j });
    return t('readout.cell', {
      q,
      i,
      k,
      j,
      w: num(m[i * U + j], 4),
      h: entropyBits(m.subarray(i * U, i * U + U)).toFixed(2),
    });
  }

  #showTip(hit, x, y) {
    const tip = this.#ui.tip;
    const t = this.#t;
    let lines = [];
    if (hit.kind === 'cell') {
      const panel = hit.panel !== undefined ? this.#comparePanels()[hit.panel] : null;
      const units = panel?.units ?? this.#units;
      const m = panel?.m ?? this.#matrix();
      const causal = panel ? panel.causal : this.#info?.causal;
      const U = units.length;
      const head = `${units[hit.i].label} → ${units[hit.j].label}`;
      if (causal && hit.j > hit.i) lines = [head, t('masked')];
      else
        lines = [
          head,
          `${t('weight')} ${num(m[hit.i * U + hit.j], 6)}`,
          `${t('entropy')} ${entropyBits(m.subarray(hit.i * U, hit.i * U + U)).toFixed(2)} ${t('bits')}`,
          `#${hit.i} → #${hit.j}${panel ? ` · ${panel.id}` : ''}`,
        ];
    } else if (hit.kind === 'head') {
      const st = headStats(this.#matrix(hit.l, hit.h), this.#units.length);
      lines = [
        t('model.layerHead', { l: hit.l, h: hit.h }),
        `${t('stats.entropy')} ${st.entropy.toFixed(2)} ${t('bits')}`,
        `${t('stats.max')} ${st.max.toFixed(2)}`,
        `${t('stats.distance')} ${st.distance.toFixed(1)} ${t('stats.tokens')}`,
      ];
    } else if (hit.kind === 'bar') {
      const U = this.#units.length;
      const m = this.#matrix();
      lines = [
        `${this.#units[hit.i].label} → ${this.#units[hit.j].label}`,
        `${t('weight')} ${num(m[hit.i * U + hit.j], 4)}`,
        `#${hit.j}`,
      ];
    } else if (hit.kind === 'token') {
      lines = [visible(this.#units[hit.i].text), `#${hit.i} · ${hit.side === 'left' ? t('query') : t('key')}`];
    }
    tip.replaceChildren(...lines.map((s, k) => h(k === 0 ? 'strong' : 'span', { text: s })));
    tip.classList.add('on');
    const wrap = this.#ui.canvasWrap.getBoundingClientRect();
    const left = Math.min(x + 14, wrap.width - 220);
    tip.style.left = `${Math.max(0, left)}px`;
    tip.style.top = `${y + 16}px`;
  }

  #hideTip() {
    this.#ui.tip.classList.remove('on');
  }

  // ------------------------------------------------------------ data tables

  /** The accessible alternative of the current picture: built only while the table is open. */
  #renderTable() {
    const ui = this.#ui;
    if (!ui.details.open || !this.#result || !this.#units.length) {
      if (!this.#result) ui.tableWrap.replaceChildren();
      return;
    }
    const key = `${this.#serial}|${this.#view}|${this.#layer}|${this.#head}|${this.#query}|${this.#merge}|${this.#sort}|${this.#temperature}|${this.#lang}|${this.#inspect?.key}|${this.#compare?.text === this.#resultText}`;
    if (key === this.#tableKey) return;
    this.#tableKey = key;
    const data = this.tableData();
    if (!data) {
      ui.tableWrap.replaceChildren();
      return;
    }
    const table = h('table', { class: 'data-table', 'data-kind': data.kind });
    table.append(h('caption', { text: data.caption }));
    const thead = h('thead');
    const hr = h('tr');
    for (const c of data.headers) hr.append(h('th', { scope: 'col', text: c }));
    thead.append(hr);
    const tbody = h('tbody');
    for (const row of data.rows) {
      const tr = h('tr');
      tr.append(h('th', { scope: 'row', text: row.label }));
      for (const cell of row.cells) {
        const td = h('td', { text: cell.text });
        if (cell.value !== undefined) td.dataset.w = String(cell.value);
        if (cell.i !== undefined) {
          td.dataset.i = String(cell.i);
          td.dataset.j = String(cell.j);
        }
        tr.append(td);
      }
      tbody.append(tr);
    }
    table.append(thead, tbody);
    ui.tableWrap.replaceChildren(table);
  }

  /** The current view as a table: { kind, caption, headers, rows: [{ label, cells: [{ text, value? }] }] }. */
  tableData() {
    const t = this.#t;
    const units = this.#units;
    const U = units.length;
    if (!this.#result || !U) return null;
    const lab = (u) => visible(u.text);
    const matrixTable = (m, what, causal = this.#info.causal, us = units) => ({
      kind: 'matrix',
      caption: t('table.caption', { what }),
      headers: [t('table.query'), ...us.map((u, j) => `${j}: ${lab(u)}`)],
      rows: us.map((u, i) => ({
        label: `${i}: ${lab(u)}`,
        cells: us.map((_, j) =>
          causal && j > i
            ? { text: '—', value: 0, i, j }
            : { text: num(m[i * us.length + j], 4), value: m[i * us.length + j], i, j },
        ),
      })),
    });
    switch (this.#view) {
      case 'heatmap':
        return matrixTable(this.#matrix(), this.#what());
      case 'lines':
        if (this.#head === 'all') {
          const q = this.#query;
          return {
            kind: 'heads',
            caption: t('table.distCaption', { q: lab(units[q]) }),
            headers: [t('head'), ...units.map((u, j) => `${j}: ${lab(u)}`)],
            rows: Array.from({ length: this.#result.shape.heads }, (_, k) => {
              const m = this.#matrix(this.#layer, k);
              return {
                label: `${t('head')} ${k}`,
                cells: units.map((_, j) => ({ text: num(m[q * U + j], 4), value: m[q * U + j], i: q, j })),
              };
            }),
          };
        }
        return matrixTable(this.#matrix(), this.#what());
      case 'model': {
        const rows = [];
        for (let l = 0; l < this.#result.shape.layers; l++)
          for (let k = 0; k < this.#result.shape.heads; k++) {
            const st = headStats(this.#matrix(l, k), U);
            rows.push({
              label: t('model.layerHead', { l, h: k }),
              cells: [
                { text: st.entropy.toFixed(3), value: st.entropy },
                { text: st.max.toFixed(3), value: st.max },
                { text: st.distance.toFixed(2), value: st.distance },
              ],
            });
          }
        return {
          kind: 'stats',
          caption: t('table.statsCaption'),
          headers: ['', t('stats.entropy'), t('stats.max'), t('stats.distance')],
          rows,
        };
      }
      case 'distribution': {
        const q = this.#query;
        const m = this.#matrix();
        let keys = Array.from({ length: this.#info.causal ? q + 1 : U }, (_, j) => j);
        if (this.#sort === 'weight') keys.sort((a, b) => m[q * U + b] - m[q * U + a] || a - b);
        return {
          kind: 'distribution',
          caption: t('table.distCaption', { q: lab(units[q]) }),
          headers: [t('key'), t('weight')],
          rows: keys.map((j) => ({
            label: `${j}: ${lab(units[j])}`,
            cells: [{ text: num(m[q * U + j], 4), value: m[q * U + j], i: q, j }],
          })),
        };
      }
      case 'steps': {
        const inspect = this.#inspect;
        if (!inspect || inspect.key !== this.#inspectKey(this.#job())) return null;
        const r = this.#result;
        const T = r.shape.tokens;
        const headNum = typeof this.#head === 'number' ? this.#head : 0;
        const qTok = this.#merge && this.#groups ? this.#groups[this.#query].last : this.#query;
        const m = headMatrix(r, this.#layer, headNum);
        const n = stepNumbers({
          inspect: inspect.data,
          weightsRow: m.subarray(qTok * T, qTok * T + T),
          query: qTok,
          scoring: this.#info.scoring,
          causal: this.#info.causal,
        });
        const add = this.#info.scoring === 'additive';
        return {
          kind: 'steps',
          caption: t('steps.title', { q: short(r.tokens[qTok].text), i: qTok }),
          headers: [t('col.key'), ...(add ? [] : [t('col.dot')]), t('col.e'), t('col.exp'), t('col.alpha')],
          rows: n.rows
            .filter((row) => !row.masked)
            .map((row) => ({
              label: `${row.j}: ${visible(r.tokens[row.j].text)}`,
              cells: [
                ...(add ? [] : [{ text: num(row.dot, 5) }]),
                { text: num(row.e, 5) },
                { text: num(row.exp, 5) },
                { text: num(row.alpha, 5), value: row.alpha, i: qTok, j: row.j },
              ],
            })),
        };
      }
      case 'compare': {
        const panels = this.#comparePanels();
        if (panels.length < 2) return null;
        const q = this.#query;
        const [a, b] = panels;
        const n = Math.max(a.units.length, b.units.length);
        return {
          kind: 'compare',
          caption: t('table.compareCaption', { q: lab(units[q] ?? { text: '' }), tau: this.#temperature.toFixed(2) }),
          headers: [t('key'), a.id, b.id],
          rows: Array.from({ length: n }, (_, j) => ({
            label: `${j}: ${lab(a.units[j] ?? b.units[j])}`,
            cells: [a, b].map((p) => {
              const U2 = p.units.length;
              const w = q < U2 && j < U2 ? p.m[q * U2 + j] : NaN;
              return { text: Number.isFinite(w) ? num(w, 4) : '', value: Number.isFinite(w) ? w : undefined };
            }),
          })),
        };
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ export

  /** Downloads the current view: 'png' | 'svg' | 'json' (tokens + all attention tensors) | 'csv' (current head). */
  async exportAs(kind) {
    const r = this.#result;
    if (!r) return null;
    const base = `attnscope-${this.#modelId}-${this.#view}-L${this.#layer}-H${this.#head}`;
    let blob;
    let name;
    if (kind === 'json') {
      const { layers, heads, tokens: T } = r.shape;
      const att = [];
      for (let l = 0; l < layers; l++) {
        const hs = [];
        for (let k = 0; k < heads; k++) {
          const m = headMatrix(r, l, k);
          hs.push(Array.from({ length: T }, (_, i) => Array.from(m.subarray(i * T, i * T + T))));
        }
        att.push(hs);
      }
      const doc = {
        generator: 'attnscope',
        model: this.#modelId,
        info: this.#info,
        text: this.#resultText,
        tokens: r.tokens,
        shape: r.shape,
        attentions: att,
      };
      blob = new Blob([JSON.stringify(doc)], { type: 'application/json' });
      name = `${base}.json`;
    } else if (kind === 'csv') {
      const units = this.#units;
      const m = this.#matrix();
      const U = units.length;
      const cell = (s) => `"${String(s).replace(/"/g, '""')}"`;
      const rows = [[cell('query\\key'), ...units.map((u, j) => cell(`${j}:${u.text}`))].join(',')];
      for (let i = 0; i < U; i++)
        rows.push([cell(`${i}:${units[i].text}`), ...Array.from(m.subarray(i * U, i * U + U), String)].join(','));
      blob = new Blob([rows.join('\r\n') + '\r\n'], { type: 'text/csv' });
      name = `${base}.csv`;
    } else {
      const ctx = this.#viewCtx();
      ctx.hover = null;
      ctx.focused = false;
      let scene;
      if (this.#view === 'steps') {
        const d = this.tableData();
        if (!d) return null;
        scene = tableScene(
          ctx,
          d.caption,
          [this.#what()],
          d.headers,
          d.rows.map((row) => [row.label, ...row.cells.map((c) => c.text)]),
        );
      } else scene = this.#buildView(ctx).scene;
      const pad = 16;
      scene.items = scene.items.map((it) => shift(it, pad));
      scene.width += 2 * pad;
      scene.height += 2 * pad;
      const bg = ctx.c.bg;
      if (kind === 'svg') {
        blob = new Blob([toSVG(scene, ctx.fonts, bg, `attnscope: ${this.#what()}`)], { type: 'image/svg+xml' });
        name = `${base}.svg`;
      } else {
        const canvas = document.createElement('canvas');
        paint(canvas, scene, ctx.fonts, bg);
        blob = await new Promise((ok) => canvas.toBlob(ok, 'image/png'));
        name = `${base}.png`;
      }
    }
    download(blob, name);
    return { name, size: blob.size, type: blob.type };
  }

  async #share() {
    const url = this.shareUrl();
    const ui = this.#ui;
    try {
      await navigator.clipboard.writeText(url);
      this.#status(this.#t('shareCopied'));
      ui.shareOut.hidden = true;
    } catch {
      ui.shareOut.hidden = false;
      const input = h('input', {
        type: 'text',
        readonly: true,
        class: 'share-url',
        value: url,
        'aria-label': this.#t('shareManual'),
      });
      ui.shareOut.replaceChildren(h('span', { text: this.#t('shareManual') }), input);
      input.focus();
      input.select();
    }
  }

  #hashParams() {
    const p = new URLSearchParams();
    const text = this.#text ?? '';
    p.set('text', text.length > 2000 ? text.slice(0, 2000) : text);
    if (this.#modelId) p.set('model', this.#modelId);
    p.set('view', this.#view);
    p.set('layer', String(this.#layer));
    p.set('head', String(this.#head));
    if (this.#query >= 0) p.set('query', String(this.#query));
    return p;
  }

  #readHash() {
    const hash = location.hash.slice(1);
    if (!hash) return;
    let p;
    try {
      p = new URLSearchParams(hash);
    } catch {
      return;
    }
    for (const k of ['text', 'model', 'view', 'layer', 'head', 'query']) {
      const v = p.get(k);
      if (v !== null && v.length <= 20000) this.setAttribute(k, v);
    }
  }

  #updateHash() {
    if (!this.hasAttribute('share') || !this.#ui) return;
    clearTimeout(this.#hashTimer);
    this.#hashTimer = setTimeout(() => {
      try {
        history.replaceState(history.state, '', `#${this.#hashParams().toString()}`);
      } catch {
        /* file:// pages in some browsers refuse replaceState */
      }
    }, 250);
  }
}

function shift(it, d) {
  if (it.t === 'line' || it.t === 'curve') return { ...it, x1: it.x1 + d, x2: it.x2 + d, y1: it.y1 + d, y2: it.y2 + d };
  return { ...it, x: it.x + d, y: it.y + d };
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
