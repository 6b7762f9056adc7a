// The contenders, independent of where they run: each case builds its inputs
// once and hands every contender the same data; each contender copies the
// inputs in and the results out through its own public API, as a user would.
//
// libs (injected by node.mjs / the page):
//   engines: [{ name, createEngine }]   attnscope builds (the package's dist/, optionally a baseline)
//   ort                                 onnxruntime-web, wasm backend, numThreads = 1
//   tf                                  @tensorflow/tfjs-core with the 'wasm' and 'cpu' backends registered
//   load(path) -> Promise<Uint8Array>   files under build/bench/ (and models/)

export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function randomFloats(n, seed, scale = 1) {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * (2 * r() - 1);
  return a;
}

// ---------------------------------------------------------------------------
// Plain JavaScript: straightforward loops over Float32Arrays (no SIMD, no workers).

function jsSoftmaxRow(row, n, scale) {
  let m = -Infinity;
  for (let j = 0; j < n; j++) {
    row[j] *= scale;
    if (row[j] > m) m = row[j];
  }
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(row[j] - m);
    row[j] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let j = 0; j < n; j++) row[j] *= inv;
}

/** One head: q [T, d] at qo, k/v [S, d]; writes weights [T, S] at wo and context [T, d] at co. */
function jsHead(q, qo, k, ko, v, vo, T, S, d, ldq, weights, wo, ctx, co, ldc) {
  const scale = 1 / Math.sqrt(d);
  for (let i = 0; i < T; i++) {
    const row = weights.subarray(wo + i * S, wo + (i + 1) * S);
    const qi = qo + i * ldq;
    for (let j = 0; j < S; j++) {
      const kj = ko + j * ldq;
      let s = 0;
      for (let p = 0; p < d; p++) s += q[qi + p] * k[kj + p];
      row[j] = s;
    }
    jsSoftmaxRow(row, S, scale);
    const ci = co + i * ldc;
    for (let j = 0; j < S; j++) {
      const w = row[j];
      const vj = vo + j * ldq;
      for (let p = 0; p < d; p++) ctx[ci + p] += w * v[vj + p];
    }
  }
}

/** y [T, N] = x [T, K] W^T for W [N, K]. */
function jsLinear(x, T, K, W, N) {
  const y = new Float32Array(T * N);
  for (let i = 0; i < T; i++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      const xo = i * K,
        wo = n * K;
      for (let p = 0; p < K; p++) s += x[xo + p] * W[wo + p];
      y[i * N + n] = s;
    }
  return y;
}

/** Per-head API results (untimed) as one [heads, ...] weights and context. */
function joinHeads(results) {
  const cat = (key) => {
    const out = new Float32Array(results.reduce((n, r) => n + r[key].length, 0));
    let o = 0;
    for (const r of results) {
      out.set(r[key], o);
      o += r[key].length;
    }
    return out;
  };
  return { weights: cat('weights'), context: cat('context') };
}

/**
 * Whether `engine` takes every head in one call without the raw scores
 * (shape.heads, withScores: false); a --baseline build from before those
 * options is called head by head with scores.
 */
function takesHeads(engine) {
  try {
    const r = engine.attention({
      q: [1, 0],
      k: [1, 0],
      v: [1, 0],
      shape: { t: 1, s: 1, d: 1, heads: 2 },
      withScores: false,
    });
    return r.shape?.heads === 2 && !('scores' in r);
  } catch {
    return false;
  }
}

/** attnscope's attention over [heads, T, d] inputs: one batched call, or one call per head. */
function attnscopeHeads(engine, { q, k, v, T, d, heads, extra }) {
  if (takesHeads(engine)) {
    let r;
    return {
      run() {
        r = engine.attention({ q, k, v, shape: { t: T, s: T, d, heads }, withScores: false, ...extra });
      },
      outputs: () => ({ weights: r.weights, context: r.context }),
    };
  }
  const results = new Array(heads);
  return {
    run() {
      for (let h = 0; h < heads; h++) {
        const o = h * T * d;
        results[h] = engine.attention({
          q: q.subarray(o, o + T * d),
          k: k.subarray(o, o + T * d),
          v: v.subarray(o, o + T * d),
          shape: { t: T, s: T, d },
          ...extra,
        });
      }
    },
    outputs: () => joinHeads(results),
  };
}

// ---------------------------------------------------------------------------
// Cases. Each returns { flops, contenders: [{ name, setup }] }.

/** Scaled-dot attention on [heads, T, d] (S = T), weights materialised. */
export function attentionCase(libs, { T, d, heads }) {
  const n = heads * T * d;
  const q = randomFloats(n, 1),
    k = randomFloats(n, 2),
    v = randomFloats(n, 3);
  const flops = 4 * heads * T * T * d;
  const contenders = [];
  for (const eng of libs.engines)
    contenders.push({
      name: eng.name,
      async setup() {
        const engine = await eng.createEngine();
        const params = { q, k, v, T, d, heads, extra: { scoring: 'scaled_dot' } };
        return { ...attnscopeHeads(engine, params), dispose: () => engine.dispose() };
      },
    });
  // The same calls passing the last result as `out` (its arrays are filled again, no fresh
  // JS arrays): what a caller in a loop can do. Informational: the runtimes return fresh
  // arrays, and the targets use attnscope's fresh-array figures.
  const main = libs.engines.find((e) => e.name === 'attnscope');
  if (main)
    contenders.push({
      name: 'attnscope (out arrays)',
      async setup() {
        const engine = await main.createEngine();
        const input = { q, k, v, shape: { t: T, s: T, d, heads }, withScores: false, scoring: 'scaled_dot' };
        let r = engine.attention(input);
        const again = engine.attention({ ...input, out: r });
        if (again.weights !== r.weights) throw new Error('this build has no out arrays');
        return {
          run() {
            r = engine.attention({ ...input, out: r });
          },
          outputs: () => ({ weights: r.weights, context: r.context }),
          dispose: () => engine.dispose(),
        };
      },
    });
  if (libs.ort)
    contenders.push({
      name: 'onnxruntime-web',
      async setup() {
        const { ort } = libs;
        const session = await ort.InferenceSession.create(
          await libs.load('build/bench/attention.onnx'),
          libs.ortOptions,
        );
        let r;
        return {
          async run() {
            const dims = [heads, T, d];
            r = await session.run({
              q: new ort.Tensor('float32', q, dims),
              k: new ort.Tensor('float32', k, dims),
              v: new ort.Tensor('float32', v, dims),
            });
          },
          outputs: () => ({ weights: r.weights.data, context: r.context.data }),
          dispose: () => session.release(),
        };
      },
    });
  for (const backend of libs.tfBackends ?? [])
    contenders.push({
      name: `tfjs-${backend}`,
      async setup() {
        const { tf } = libs;
        await tf.setBackend(backend);
        const scale = 1 / Math.sqrt(d);
        let wd, cd;
        return {
          activate: () => tf.setBackend(backend),
          run() {
            const [w, c] = tf.tidy(() => {
              const Q = tf.tensor3d(q, [heads, T, d]),
                K = tf.tensor3d(k, [heads, T, d]),
                V = tf.tensor3d(v, [heads, T, d]);
              const w = tf.softmax(tf.mul(tf.matMul(Q, K, false, true), scale));
              return [w, tf.matMul(w, V)];
            });
            wd = w.dataSync();
            cd = c.dataSync();
            tf.dispose([w, c]);
          },
          outputs: () => ({ weights: wd, context: cd }),
        };
      },
    });
  contenders.push({
    name: 'plain JS',
    async setup() {
      let weights, context;
      return {
        run() {
          weights = new Float32Array(heads * T * T);
          context = new Float32Array(n);
          for (let h = 0; h < heads; h++)
            jsHead(q, h * T * d, k, h * T * d, v, h * T * d, T, T, d, d, weights, h * T * T, context, h * T * d, d);
        },
        outputs: () => ({ weights, context }),
      };
    },
  });
  return { flops, contenders };
}

/**
 * What returning the attention op's results costs by itself: its weights
 * [heads, T, T] and context [heads, T, d] copied from a buffer (the wasm
 * heap's stand-in) into fresh Float32Arrays, as every contender's API does,
 * and into existing ones. The difference is the allocation (page faults in
 * Chromium), paid alike by each runtime that returns fresh arrays.
 */
export function resultArraysCase({ T, d, heads }) {
  const sizes = { weights: heads * T * T, context: heads * T * d };
  const heap = randomFloats(sizes.weights + sizes.context, 4);
  const src = { weights: heap.subarray(0, sizes.weights), context: heap.subarray(sizes.weights) };
  const copy = (fresh) => ({
    async setup() {
      let out = { weights: new Float32Array(sizes.weights), context: new Float32Array(sizes.context) };
      return {
        run() {
          if (fresh) out = { weights: new Float32Array(sizes.weights), context: new Float32Array(sizes.context) };
          out.weights.set(src.weights);
          out.context.set(src.context);
        },
        outputs: () => out,
      };
    },
  });
  return {
    flops: 0,
    bytes: 4 * (sizes.weights + sizes.context),
    contenders: [
      { name: 'fresh arrays', ...copy(true) },
      { name: 'existing arrays', ...copy(false) },
    ],
  };
}

/** Additive (Bahdanau) scoring, hidden width h = d: attnscope and plain JS (the runtimes have no such op). */
export function additiveCase(libs, { T, d, heads }) {
  const hd = d;
  const n = heads * T * d;
  const q = randomFloats(n, 4),
    k = randomFloats(n, 5),
    v = randomFloats(n, 6);
  const W1 = randomFloats(hd * d, 7, 0.2),
    W2 = randomFloats(hd * d, 8, 0.2),
    va = randomFloats(hd, 9);
  // projections 2 x 2*T*d*h, scores T*S*h x (add, tanh, mul, add) = 4, context 2*T*S*d
  const flops = heads * (4 * T * d * hd + 4 * T * T * hd + 2 * T * T * d);
  const contenders = [];
  for (const eng of libs.engines)
    contenders.push({
      name: eng.name,
      async setup() {
        const engine = await eng.createEngine();
        // The batched call takes per-head parameters stacked; every head shares these.
        const stack = (a) =>
          takesHeads(engine) ? Float32Array.from({ length: heads * a.length }, (_, i) => a[i % a.length]) : a;
        const extra = { scoring: 'additive', params: { W1: stack(W1), W2: stack(W2), v: stack(va), hidden: hd } };
        return { ...attnscopeHeads(engine, { q, k, v, T, d, heads, extra }), dispose: () => engine.dispose() };
      },
    });
  contenders.push({
    name: 'plain JS',
    async setup() {
      let weights, context;
      return {
        run() {
          weights = new Float32Array(heads * T * T);
          context = new Float32Array(n);
          for (let h = 0; h < heads; h++) {
            const o = h * T * d;
            const qa = jsLinear(q.subarray(o, o + T * d), T, d, W1, hd);
            const ka = jsLinear(k.subarray(o, o + T * d), T, d, W2, hd);
            for (let i = 0; i < T; i++) {
              const row = weights.subarray(h * T * T + i * T, h * T * T + (i + 1) * T);
              for (let j = 0; j < T; j++) {
                let s = 0;
                for (let p = 0; p < hd; p++) s += va[p] * Math.tanh(qa[i * hd + p] + ka[j * hd + p]);
                row[j] = s;
              }
              jsSoftmaxRow(row, T, 1);
              for (let j = 0; j < T; j++) {
                const w = row[j];
                for (let p = 0; p < d; p++) context[o + i * d + p] += w * v[o + j * d + p];
              }
            }
          }
        },
        outputs: () => ({ weights, context }),
      };
    },
  });
  return { flops, contenders };
}

/** Multi-head self-attention with projections (dModel = d * heads), weights from build/bench/mha-*.bin. */
export async function multiHeadCase(libs, { T, d, heads }) {
  const D = d * heads,
    dh = d;
  const bytes = await libs.load(`build/bench/mha-D${D}-H${heads}.bin`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const [wq, wk, wv, wo] = [0, 1, 2, 3].map((i) => all.subarray(i * D * D, (i + 1) * D * D));
  const x = randomFloats(T * D, 10);
  const flops = 8 * T * D * D + 4 * heads * T * T * dh;
  const contenders = [];
  for (const eng of libs.engines)
    contenders.push({
      name: eng.name,
      async setup() {
        const engine = await eng.createEngine();
        let r;
        // Like the runtimes' sessions, the weights go in once: a layer (a
        // --baseline build without layers copies them in on every call).
        if (typeof engine.multiHeadLayer === 'function') {
          const layer = engine.multiHeadLayer({ shape: { dModel: D, heads }, weights: { wq, wk, wv, wo } });
          return {
            run() {
              r = layer.run({ query: x, shape: { t: T } });
            },
            outputs: () => ({ weights: r.weights, output: r.output }),
            dispose: () => (layer.dispose(), engine.dispose()),
          };
        }
        return {
          run() {
            r = engine.multiHeadAttention({
              query: x,
              shape: { t: T, s: T, dModel: D, heads },
              weights: { wq, wk, wv, wo },
            });
          },
          outputs: () => ({ weights: r.weights, output: r.output }),
          dispose: () => engine.dispose(),
        };
      },
    });
  if (libs.ort)
    contenders.push({
      name: 'onnxruntime-web',
      async setup() {
        const { ort } = libs;
        const session = await ort.InferenceSession.create(
          await libs.load(`build/bench/mha-D${D}-H${heads}.onnx`),
          libs.ortOptions,
        );
        let r;
        return {
          async run() {
            r = await session.run({ x: new ort.Tensor('float32', x, [T, D]) });
          },
          outputs: () => ({ weights: r.weights.data, output: r.output.data }),
          dispose: () => session.release(),
        };
      },
    });
  for (const backend of libs.tfBackends ?? [])
    contenders.push({
      name: `tfjs-${backend}`,
      async setup() {
        const { tf } = libs;
        await tf.setBackend(backend);
        // Stored [in, out] as a TF.js dense layer keeps them (owned by this
        // backend): x · W^T is then a plain matMul, the XNNPACK path of
        // tfjs-backend-wasm (transposeB = true takes a ~10x slower one).
        const W = [wq, wk, wv, wo].map((w) => tf.tidy(() => tf.transpose(tf.tensor2d(w, [D, D]))));
        const scale = 1 / Math.sqrt(dh);
        let wd, od;
        return {
          activate: () => tf.setBackend(backend),
          run() {
            const [w, o] = tf.tidy(() => {
              const X = tf.tensor2d(x, [T, D]);
              const heads3 = (y) => tf.transpose(tf.reshape(y, [T, heads, dh]), [1, 0, 2]);
              const Q = heads3(tf.matMul(X, W[0])),
                K = heads3(tf.matMul(X, W[1])),
                V = heads3(tf.matMul(X, W[2]));
              const w = tf.softmax(tf.mul(tf.matMul(Q, K, false, true), scale));
              const ctx = tf.reshape(tf.transpose(tf.matMul(w, V), [1, 0, 2]), [T, D]);
              return [w, tf.matMul(ctx, W[3])];
            });
            wd = w.dataSync();
            od = o.dataSync();
            tf.dispose([w, o]);
          },
          outputs: () => ({ weights: wd, output: od }),
          dispose: () => tf.dispose(W),
        };
      },
    });
  contenders.push({
    name: 'plain JS',
    async setup() {
      let weights, output;
      return {
        run() {
          const Q = jsLinear(x, T, D, wq, D),
            K = jsLinear(x, T, D, wk, D),
            V = jsLinear(x, T, D, wv, D);
          weights = new Float32Array(heads * T * T);
          const ctx = new Float32Array(T * D);
          for (let h = 0; h < heads; h++)
            jsHead(Q, h * dh, K, h * dh, V, h * dh, T, T, dh, D, weights, h * T * T, ctx, h * dh, D);
          output = jsLinear(ctx, T, D, wo, D);
        },
        outputs: () => ({ weights, output }),
      };
    },
  });
  return { flops, contenders };
}

// ---------------------------------------------------------------------------
// Whole model.

/** Dense FLOPs of a GPT-2 forward over T new tokens attending to S keys. */
export function gpt2Flops({ layers, dModel }, T, S = T) {
  return layers * (24 * T * dModel * dModel + 4 * T * S * dModel);
}

export function tokenIds(n, vocab, seed = 11) {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * Math.min(vocab, 50000)));
}

/** Full forward pass over T tokens: attnscope (no cache) vs onnxruntime-web on the same weights. */
export function gpt2Case(libs, { T, model, session, config }) {
  const ids = tokenIds(T, config.vocab_size);
  const contenders = [
    {
      name: 'attnscope',
      async setup() {
        let r;
        return {
          run() {
            r = model.runIds(ids, { useCache: false });
          },
          outputs: () => ({ attentions: r.attentions, lastHidden: r.lastHidden }),
        };
      },
    },
  ];
  if (session)
    contenders.push({
      name: 'onnxruntime-web',
      async setup() {
        const { ort } = libs;
        const input = new BigInt64Array(ids.map((i) => BigInt(i)));
        let r;
        return {
          async run() {
            r = await session.run({ input_ids: new ort.Tensor('int64', input, [1, T]) });
          },
          outputs: () => ({ attentions: r.attentions.data, lastHidden: r.last_hidden.data }),
        };
      },
    });
  return { flops: gpt2Flops({ layers: config.n_layer, dModel: config.n_embd }, T), contenders };
}

/** One appended token with the key/value cache: runIds(ids) right after runIds(ids without the last). */
export function appendCase(libs, { T, model, config, name = 'attnscope' }) {
  const ids = tokenIds(T, config.vocab_size, 12);
  const prefix = ids.slice(0, -1);
  let reused = -1;
  return {
    flops: gpt2Flops({ layers: config.n_layer, dModel: config.n_embd }, 1, T),
    contenders: [
      {
        name,
        async setup() {
          return {
            before() {
              model.runIds(prefix);
            },
            run() {
              reused = model.runIds(ids).reused;
            },
            dispose() {
              if (reused !== T - 1) throw new Error(`the cache was not used (reused ${reused})`);
            },
          };
        },
      },
    ],
  };
}
