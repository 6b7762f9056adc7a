// The benchmark suite, the same in Node and in the page: which cases, in what
// order, with which contenders; returns plain data for the report.
import { additiveCase, appendCase, attentionCase, gpt2Case, multiHeadCase, resultArraysCase } from './contenders.mjs';
import { measureCase } from './harness.mjs';

export const OP_SHAPES = [
  { T: 16, d: 64, heads: 12 },
  { T: 128, d: 64, heads: 12 },
  { T: 512, d: 64, heads: 12 },
  { T: 2048, d: 64, heads: 1 },
];
export const ADDITIVE_SHAPES = [
  { T: 16, d: 64, heads: 12 },
  { T: 128, d: 64, heads: 12 },
  { T: 512, d: 64, heads: 1 },
];
export const MODEL_TOKENS = [64, 256];

/**
 * libs: see contenders.mjs, plus
 *   gpt2Sources / tinySources: { config, weights, tokenizer } for engine.loadModel (or null)
 *   gpt2Onnx: what ort.InferenceSession.create takes for build/bench/gpt2-small.onnx
 *   configOf(sources) -> Promise<object>: the parsed config.json
 * options: { quick, runs, sections: Set('ops' | 'model'), log, now }
 */
export async function runSuite(libs, options) {
  const { quick = false, log = () => {} } = options;
  const runs = options.runs ?? (quick ? 5 : 20);
  const sections = options.sections ?? new Set(['ops', 'model']);
  const base = {
    runs,
    warmup: quick ? 1 : 2,
    minRunMs: libs.minRunMs ?? 5,
    slowMs: quick ? 500 : 600,
    now: options.now,
    log,
  };
  const reference = libs.engines[0].name;
  const results = [];
  // GFLOP/s each contender reached on the section's previous shape: one
  // expected to need more than 3 s per call is not run at all.
  const rates = {};
  const record = async (section, label, shape, made, extra = {}) => {
    const t0 = (options.now ?? (() => performance.now()))();
    log(`${section}: ${label}`);
    const skipped = {};
    const contenders = made.contenders.filter((c) => {
      const rate = rates[`${section}/${c.name}`];
      const expectMs = rate ? made.flops / rate / 1e6 : 0;
      if (expectMs > 3000)
        skipped[c.name] = {
          skipped: `not run: ~${(expectMs / 1000).toFixed(0)} s per call expected from the previous shape`,
          expectMs,
        };
      return !skipped[c.name];
    });
    const r = { ...(await measureCase(contenders, { ...base, reference, ...extra })), ...skipped };
    for (const [name, x] of Object.entries(r)) {
      const ms = x.stats?.median ?? x.firstMs;
      if (ms) rates[`${section}/${name}`] = made.flops / ms / 1e6;
    }
    results.push({
      section,
      label,
      shape,
      flops: made.flops,
      ...(made.bytes ? { bytes: made.bytes } : {}),
      results: r,
      seconds: ((options.now ?? (() => performance.now()))() - t0) / 1000,
    });
    for (const [name, x] of Object.entries(r))
      log(
        `  ${name.padEnd(22)} ${x.stats ? `${x.stats.median.toFixed(3)} ms (p10 ${x.stats.p10.toFixed(3)}, p90 ${x.stats.p90.toFixed(3)}) ${made.bytes ? `${(made.bytes / x.stats.median / 1e6).toFixed(1)} GB/s` : `${(made.flops / x.stats.median / 1e6).toFixed(1)} GFLOP/s`}` : x.error ? `error: ${x.error}` : `skipped: ${x.skipped}`}${x.diff !== undefined ? `  max|diff| ${x.diff.toExponential(1)}` : ''}`,
      );
  };

  if (sections.has('ops')) {
    for (const s of OP_SHAPES)
      await record('attention', `T=${s.T} d=${s.d} heads=${s.heads}`, s, attentionCase(libs, s));
    for (const s of OP_SHAPES)
      await record('result arrays', `T=${s.T} d=${s.d} heads=${s.heads}`, s, resultArraysCase(s));
    for (const s of ADDITIVE_SHAPES)
      await record('additive', `T=${s.T} d=${s.d} heads=${s.heads}`, s, additiveCase(libs, s));
    for (const s of OP_SHAPES)
      await record('multi-head', `T=${s.T} dModel=${s.d * s.heads} heads=${s.heads}`, s, await multiHeadCase(libs, s));
  }

  if (sections.has('model')) {
    const engine = await libs.engines[0].createEngine();
    try {
      if (libs.gpt2Sources) {
        const config = await libs.configOf(libs.gpt2Sources);
        let t0 = performance.now();
        const model = await engine.loadModel(libs.gpt2Sources);
        const loadMs = performance.now() - t0;
        let session = null,
          ortLoadMs = null;
        if (libs.ort && libs.gpt2Onnx) {
          t0 = performance.now();
          session = await libs.ort.InferenceSession.create(libs.gpt2Onnx, libs.ortOptions);
          ortLoadMs = performance.now() - t0;
        }
        log(`gpt2-small loaded: attnscope ${loadMs.toFixed(0)} ms, onnxruntime-web ${ortLoadMs?.toFixed(0)} ms`);
        const modelRuns = Math.max(quick ? 3 : 20, Math.min(runs, 20));
        for (const T of quick ? [64] : MODEL_TOKENS)
          await record(
            'model',
            `GPT-2 small, ${T} tokens`,
            { T, model: 'gpt2-small' },
            gpt2Case(libs, { T, model, session, config }),
            {
              runs: modelRuns,
              slowMs: 60000,
              warmup: quick ? 1 : 2,
            },
          );
        for (const T of quick ? [64] : MODEL_TOKENS)
          await record(
            'append',
            `GPT-2 small, token ${T} appended to ${T - 1}`,
            { T, model: 'gpt2-small' },
            appendCase(libs, { T, model, config }),
            { slowMs: 60000 },
          );
        results.push({
          section: 'load',
          label: 'GPT-2 small (F32 file)',
          loadMs: { attnscope: loadMs, 'onnxruntime-web': ortLoadMs },
        });
        model.dispose();
        await session?.release();
      }
      if (libs.tinySources) {
        const config = await libs.configOf(libs.tinySources);
        const model = await engine.loadModel(libs.tinySources);
        const name = libs.tinyName ?? 'tiny';
        const maxT = Math.min(128, config.n_positions);
        for (const T of [64, maxT])
          await record(
            'append',
            `${name}, token ${T} appended to ${T - 1}`,
            { T, model: name },
            appendCase(libs, { T, model, config }),
            {},
          );
        model.dispose();
      }
    } finally {
      engine.dispose();
    }
  }
  return results;
}
