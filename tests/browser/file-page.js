// Classic script for file.html (opened from file://): uses globalThis.attnscope
// from ../../dist/attnscope.global.js. Runs two of the scenarios of
// tests/js/scenarios.mjs (the builders are copied here: a classic script
// cannot import it) and publishes the inputs and outputs as bit patterns;
// browser.test.mjs checks the inputs match the module's and the outputs match
// Node's, bit for bit.
(function () {
  'use strict';

  // --- copied from tests/js/scenarios.mjs ---
  function rng(seed) {
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function randomFloats(n, seed) {
    var r = rng(seed);
    var out = new Float32Array(n);
    for (var i = 0; i < n; i++) out[i] = -1 + 2 * r();
    return out;
  }
  function attentionInput(scoring, t, s, d, seed, extra) {
    var dk = scoring === 'general' || scoring === 'additive' ? d + 1 : d;
    var dv = d + 2;
    var hidden = 6;
    var params =
      scoring === 'general'
        ? { W: randomFloats(d * dk, seed + 3) }
        : scoring === 'additive'
          ? {
              W1: randomFloats(hidden * d, seed + 4),
              W2: randomFloats(hidden * dk, seed + 5),
              v: randomFloats(hidden, seed + 6),
              b1: randomFloats(hidden, seed + 7),
            }
          : undefined;
    return Object.assign(
      {
        q: randomFloats(t * d, seed),
        k: randomFloats(s * dk, seed + 1),
        v: randomFloats(s * dv, seed + 2),
        shape: { t: t, s: s, d: d, dk: dk, dv: dv },
        scoring: scoring,
        params: params,
      },
      extra || {},
    );
  }
  function multiHeadInput(t, s, dModel, heads, seed, extra) {
    var n = dModel * dModel;
    return Object.assign(
      {
        query: randomFloats(t * dModel, seed),
        key: randomFloats(s * dModel, seed + 1),
        value: randomFloats(s * dModel, seed + 2),
        shape: { t: t, s: s, dModel: dModel, heads: heads },
        weights: {
          wq: randomFloats(n, seed + 3),
          wk: randomFloats(n, seed + 4),
          wv: randomFloats(n, seed + 5),
          wo: randomFloats(n, seed + 6),
          bq: randomFloats(dModel, seed + 7),
          bo: randomFloats(dModel, seed + 8),
        },
      },
      extra || {},
    );
  }
  var SCENARIOS = [
    [
      'scaled_dot causal',
      function () {
        return attentionInput('scaled_dot', 17, 17, 16, 2, { mask: { causal: true } });
      },
    ],
    [
      'additive causal cache',
      function () {
        return attentionInput('additive', 2, 65, 8, 5, { mask: { causal: true } });
      },
    ],
    [
      'mha self causal',
      function () {
        return multiHeadInput(9, 9, 16, 4, 7, { mask: { causal: true } });
      },
    ],
  ];
  // --- end of the copy ---

  function bitsOf(f32) {
    return Array.from(new Uint32Array(f32.buffer, f32.byteOffset, f32.length));
  }
  /** Every Float32Array inside `value`, by dotted path, as bit patterns. */
  function floatsOf(value, prefix, out) {
    for (var key in value) {
      var v = value[key];
      var path = prefix ? prefix + '.' + key : key;
      if (v instanceof Float32Array) out[path] = bitsOf(v);
      else if (v && typeof v === 'object' && !Array.isArray(v)) floatsOf(v, path, out);
    }
    return out;
  }

  function finish(result, error) {
    if (error) {
      var head = (error.name || 'Error') + ': ' + error.message;
      var stack = String(error.stack || '');
      window.__error = stack.indexOf(head) === 0 ? stack : head + '\n' + stack;
    } else window.__result = result;
    window.__done = true;
    // (The script runs from <head>: a fast run may finish before <body> exists.)
    var status = document.getElementById('status');
    if (status) status.textContent = error ? 'failed: ' + error.message : 'done';
  }

  async function run() {
    var api = globalThis.attnscope;
    if (!api || typeof api.createEngine !== 'function') throw new Error('globalThis.attnscope.createEngine is missing');
    var t0 = performance.now();
    var engine = await api.createEngine();
    var createMs = performance.now() - t0;
    var inputs = {};
    var outputs = {};
    t0 = performance.now();
    for (var i = 0; i < SCENARIOS.length; i++) {
      var name = SCENARIOS[i][0];
      var input = SCENARIOS[i][1]();
      inputs[name] = floatsOf(input, '', {});
      var r = name.indexOf('mha') === 0 ? engine.multiHeadAttention(input) : engine.attention(input);
      outputs[name] = {};
      for (var key in r) if (r[key] instanceof Float32Array) outputs[name][key] = bitsOf(r[key]);
    }
    var runMs = performance.now() - t0;
    var bad = SCENARIOS[0][1]();
    bad.k[0] = NaN;
    var nanError = null;
    try {
      engine.attention(bad);
    } catch (err) {
      nanError = { name: err.name, code: err.code, isAttnscopeError: err instanceof api.AttnscopeError };
    }
    var simdArch = engine.simdArch;
    engine.dispose();
    return {
      protocol: location.protocol,
      simdArch: simdArch,
      inputs: inputs,
      outputs: outputs,
      nanError: nanError,
      createMs: createMs,
      runMs: runMs,
    };
  }

  run().then(
    function (result) {
      finish(result);
    },
    function (err) {
      finish(null, err);
    },
  );
})();
