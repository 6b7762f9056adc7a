// Attention in plain JS doubles, written from the formulas: the Node tests'
// independent check of what comes back through the wasm boundary.
export function referenceAttention({
  q,
  k,
  v,
  shape,
  scoring = 'scaled_dot',
  params = {},
  mask = {},
  temperature = 1,
}) {
  const { t, s, d } = shape;
  const dk = shape.dk ?? d;
  const dv = shape.dv ?? dk;
  const weights = new Float64Array(t * s);
  const context = new Float64Array(t * dv);
  const hidden = params.v ? params.v.length : 0;
  for (let i = 0; i < t; i++) {
    const e = new Float64Array(s).fill(-Infinity);
    let m = -Infinity;
    for (let j = 0; j < s; j++) {
      if (mask.causal && j > i + s - t) continue;
      if (mask.keyPadding && mask.keyPadding[j]) continue;
      let x = 0;
      if (scoring === 'dot' || scoring === 'scaled_dot') {
        for (let a = 0; a < d; a++) x += q[i * d + a] * k[j * dk + a];
        if (scoring === 'scaled_dot') x /= Math.sqrt(d);
      } else if (scoring === 'general') {
        for (let a = 0; a < d; a++)
          for (let b = 0; b < dk; b++) x += q[i * d + a] * params.W[a * dk + b] * k[j * dk + b];
      } else {
        for (let r = 0; r < hidden; r++) {
          let z = (params.b1?.[r] ?? 0) + (params.b2?.[r] ?? 0);
          for (let a = 0; a < d; a++) z += params.W1[r * d + a] * q[i * d + a];
          for (let b = 0; b < dk; b++) z += params.W2[r * dk + b] * k[j * dk + b];
          x += params.v[r] * Math.tanh(z);
        }
      }
      e[j] = x / temperature;
      m = Math.max(m, e[j]);
    }
    if (m === -Infinity) continue;
    let sum = 0;
    for (let j = 0; j < s; j++) sum += e[j] === -Infinity ? 0 : Math.exp(e[j] - m);
    for (let j = 0; j < s; j++) {
      const w = e[j] === -Infinity ? 0 : Math.exp(e[j] - m) / sum;
      weights[i * s + j] = w;
      for (let c = 0; c < dv; c++) context[i * dv + c] += w * v[j * dv + c];
    }
  }
  return { weights, context };
}

export function assertClose(assert, got, want, tol, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * Math.max(1, Math.abs(want[i]))))
      assert.fail(`${what}[${i}] = ${got[i]}, reference ${want[i]} (error ${err})`);
  }
}
