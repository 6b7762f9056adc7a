// The demo page around the element. The element's own language and contrast
// switches drive the page's text and colours too (observed on its attributes).
// No globals; the first-result time is left in <html data-first-result-ms>.
const PAGE_TEXT = {
  en: {
    tagline:
      'See attention happen, live: type, and every layer and head of a real transformer answers in your browser.',
    tutorial: 'Tutorial: attention, explained live',
    three: 'Three elements on one page',
    foot: 'Computed on this device by a C++/WebAssembly engine (xsimd SIMD128). Nothing you type leaves the page.',
    home: 'The attnscope page',
    howto: 'How to read it',
    how1: 'Each token of the text is a query: it spreads one unit of attention over the tokens it may see, the keys.',
    how2: 'Heatmap: a row per query, a column per key, darker is more weight. Hatched cells are later tokens, which this model cannot see.',
    how3: 'A model stacks layers, and each layer has several heads that attend on their own. The model view shows them all; click one to open it.',
    how4: 'Step by step shows the arithmetic for one query with the real numbers: scores, softmax, weighted sum.',
  },
  zh: {
    tagline: '实时看见注意力：输入文字，真实 Transformer 的每一层、每个头都在浏览器里给出回应。',
    tutorial: '教程：实时讲解注意力',
    three: '一页三个元素',
    foot: '由 C++/WebAssembly 引擎（xsimd SIMD128）在本机计算。你输入的内容不会离开页面。',
    home: 'attnscope 主页',
    howto: '怎么看',
    how1: '文本中的每个词元都是一个查询：它把一份注意力分给它能看到的词元，也就是键。',
    how2: '热力图：每行一个查询，每列一个键，颜色越深权重越大。带斜线的格子是后面的词元，这个模型看不到。',
    how3: '模型由多层堆叠而成，每层有几个各自独立注意的头。全模型视图显示所有的头；点击一个即可打开。',
    how4: '逐步计算用真实数字展示一个查询的算术：打分、softmax、加权求和。',
  },
};

const scopes = [...document.querySelectorAll('attn-scope')];
const main = document.querySelector('attn-scope[controls="full"]') ?? scopes[0];

function applyPage() {
  const attr = main?.getAttribute('lang');
  const raw = (attr && attr !== 'auto' ? attr : navigator.language || 'en').toLowerCase();
  const lang = raw.startsWith('zh') ? 'zh' : 'en';
  if (document.body.dataset.pageI18n !== undefined) {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    for (const el of document.querySelectorAll('[data-i18n]')) {
      const s = PAGE_TEXT[lang]?.[el.dataset.i18n];
      if (s) el.textContent = s;
    }
  }
  const contrast = main?.getAttribute('theme') === 'contrast';
  document.documentElement.classList.toggle('contrast', contrast);
  // One switch for the whole page: the other elements follow the main one.
  for (const el of scopes) {
    if (el === main) continue;
    if (attr && el.getAttribute('lang') !== attr) el.setAttribute('lang', attr);
    if (contrast) el.setAttribute('theme', 'contrast');
    else el.removeAttribute('theme');
  }
}

if (main) {
  new MutationObserver(applyPage).observe(main, { attributes: true, attributeFilter: ['lang', 'theme'] });
  applyPage();
  const t0 = performance.now();
  main.addEventListener(
    'attn-ready',
    () => {
      document.documentElement.dataset.firstResultMs = String(Math.round(performance.now() - t0));
    },
    { once: true },
  );
}

// Tutorial paragraphs that react to an element's attn-select events.
for (const out of document.querySelectorAll('[data-reacts-to]')) {
  const el = document.getElementById(out.dataset.reactsTo);
  el?.addEventListener('attn-select', (e) => {
    const d = e.detail;
    if (d.key === null || d.key === undefined || d.weight === undefined) return;
    const zh = (el.getAttribute('lang') || document.documentElement.lang).startsWith('zh');
    const q = JSON.stringify(d.queryText.trim());
    const k = JSON.stringify(d.keyText.trim());
    out.textContent = zh
      ? `${q} 把 ${(d.weight * 100).toFixed(1)}% 的注意力给了 ${k}。`
      : `${q} gives ${(d.weight * 100).toFixed(1)}% of its attention to ${k}.`;
  });
}
