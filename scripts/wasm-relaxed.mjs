// Rewrites the pre-standard relaxed-SIMD fused multiply-add into the final one.
// clang < 16 (Emscripten 3.1.6's clang-14) compiles __builtin_wasm_fma_f32x4 to
// the legacy f32x4.fma (0xfd 0xaf), which current engines reject; the final
// f32x4.relaxed_madd (0xfd 0x105) takes the same operands in the same order and
// computes a * b + c, what kernels::madd asks for (the early proposal defined
// f32x4.fma as a + b * c, but clang passes the builtin's arguments through in
// order). A byte search won't do (the pattern turns up in immediates, data and
// names): this decodes every instruction of every function body and fails on
// anything it does not know.
//   node scripts/wasm-relaxed.mjs [--expect-some] <in.wasm> [<out.wasm>]   (in place without out)
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LEGACY_FMA = 0xaf;
const RELAXED_MADD = [0x85, 0x02]; // LEB128 of 0x105

const VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]); // i32 i64 f32 f64 v128 funcref externref

// Immediates of the one-byte opcodes; an opcode missing here is unsupported.
const OP = [];
function kind(k, ...ops) {
  for (const o of ops) for (let op = o[0] ?? o; op <= (o[1] ?? o); op++) OP[op] = k; // an opcode or [first, last]
}
kind('none', 0x00, 0x01, 0x05, 0x0f, 0x1a, 0x1b, [0x45, 0xc4], 0xd1); // incl. numeric and sign-extension ops
kind('block', 0x02, 0x03, 0x04);
kind('end', 0x0b);
// br, br_if, call, local.*, global.*, table.get/set, memory.size/grow, ref.func
kind('u32', 0x0c, 0x0d, 0x10, [0x20, 0x26], 0x3f, 0x40, 0xd2);
kind('u32x2', 0x11); // call_indirect typeidx tableidx
kind('br_table', 0x0e);
kind('select_t', 0x1c);
kind('memarg', [0x28, 0x3e]);
kind('i32', 0x41);
kind('i64', 0x42);
kind('f32', 0x43);
kind('f64', 0x44);
kind('ref_null', 0xd0);
kind('0xfc', 0xfc);
kind('0xfd', 0xfd);

// Named in the error when met: not produced by the builds this is for.
const UNSUPPORTED = { 0x12: 'tail calls', 0x13: 'tail calls', 0xfb: 'GC (0xfb prefix)', 0xfe: 'atomics (0xfe prefix)' };
for (const op of [0x06, 0x07, 0x08, 0x09, 0x0a, 0x18, 0x19, 0x1f]) UNSUPPORTED[op] = 'exception handling';

// 0xfc: the u32 immediates of sat-trunc (0-7), bulk memory and table ops (8-17).
const FC_IMMEDIATES = [0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1];

// 0xfd opcodes below 0x100 that the final SIMD spec leaves unassigned (several
// were legacy relaxed-SIMD ops: 0xaf/0xb0 f32x4.fma/fms, 0xcf/0xd0 f64x2...).
const SIMD_UNASSIGNED = new Set([0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf]);
for (const op of [0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee]) SIMD_UNASSIGNED.add(op);
const SIMD_LAST = 0x113; // i32x4.relaxed_dot_i8x16_i7x16_add_s, the last relaxed-SIMD opcode

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.pos = 0;
    this.end = bytes.length; // the current limit: module, section or function body
    this.limit = 'the module';
    this.where = ''; // ' in function N' while in the code section
  }

  fail(message, at = this.pos) {
    throw new Error(`${message} at byte offset ${at} (0x${at.toString(16)})${this.where}`);
  }

  u8() {
    if (this.pos >= this.end) this.fail(`unexpected end of ${this.limit}`);
    return this.bytes[this.pos++];
  }

  skip(n) {
    if (this.pos + n > this.end) this.fail(`unexpected end of ${this.limit} in a ${n}-byte immediate`);
    this.pos += n;
  }

  u32() {
    const at = this.pos;
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      value += (b & 0x7f) * 2 ** (7 * i);
      if (!(b & 0x80)) {
        if (i === 4 && b > 0x0f) this.fail('u32 LEB128 out of range', at);
        return value;
      }
    }
    this.fail('u32 LEB128 longer than 5 bytes', at);
  }

  // A signed LEB128 of `bits` bits; its value only when it fits a double exactly (s33).
  sleb(bits) {
    const at = this.pos;
    const max = Math.ceil(bits / 7);
    let value = 0;
    for (let i = 0; i < max; i++) {
      const b = this.u8();
      value += (b & 0x7f) * 2 ** (7 * i);
      if (!(b & 0x80)) {
        const used = bits - 7 * i; // bits of the value in this last byte
        const rest = b >> (used - 1); // the sign bit and the unused bits above it
        if (i === max - 1 && rest !== 0 && rest !== 0x7f >> (used - 1)) this.fail(`s${bits} LEB128 out of range`, at);
        return b & 0x40 ? value - 2 ** (7 * (i + 1)) : value;
      }
    }
    this.fail(`s${bits} LEB128 longer than ${max} bytes`, at);
  }

  valtype() {
    const at = this.pos;
    const t = this.u8();
    if (!VALTYPES.has(t)) this.fail(`unsupported value type 0x${t.toString(16)}`, at);
  }

  memarg() {
    const at = this.pos;
    if (this.u32() & 0x40) this.fail('unsupported memarg with a memory index (multi-memory)', at);
    this.u32();
  }
}

// Walks one function body (limited to its declared size) from its locals to its
// final end; pushes the [start, end) of each legacy f32x4.fma opcode LEB to `edits`.
function decodeBody(r, edits) {
  for (let groups = r.u32(); groups > 0; groups--) {
    r.u32();
    r.valtype();
  }
  let depth = 1; // the function's own block
  while (depth > 0) {
    const at = r.pos;
    const op = r.u8();
    switch (OP[op]) {
      case 'none':
        break;
      case 'block': {
        const t = r.u8(); // empty (0x40), a value type, or a type index (s33 >= 0)
        if (t !== 0x40 && !VALTYPES.has(t) && (r.pos--, r.sleb(33) < 0)) r.fail('invalid block type', at + 1);
        depth++;
        break;
      }
      case 'end':
        depth--;
        break;
      case 'u32':
        r.u32();
        break;
      case 'u32x2':
        r.u32();
        r.u32();
        break;
      case 'br_table':
        for (let n = r.u32() + 1; n > 0; n--) r.u32(); // the labels, then the default
        break;
      case 'select_t':
        for (let n = r.u32(); n > 0; n--) r.valtype();
        break;
      case 'memarg':
        r.memarg();
        break;
      case 'i32':
        r.sleb(32);
        break;
      case 'i64':
        r.sleb(64);
        break;
      case 'f32':
        r.skip(4);
        break;
      case 'f64':
        r.skip(8);
        break;
      case 'ref_null': {
        const t = r.u8();
        if (t !== 0x70 && t !== 0x6f) r.fail(`unsupported ref.null heap type 0x${t.toString(16)}`, at + 1);
        break;
      }
      case '0xfc': {
        const sub = r.u32();
        if (sub >= FC_IMMEDIATES.length) r.fail(`unsupported opcode 0xfc ${sub}`, at);
        for (let n = FC_IMMEDIATES[sub]; n > 0; n--) r.u32();
        break;
      }
      case '0xfd':
        decodeSimd(r, at, edits);
        break;
      default:
        r.fail(`unsupported opcode 0x${op.toString(16)}${UNSUPPORTED[op] ? ` (${UNSUPPORTED[op]})` : ''}`, at);
    }
  }
  if (r.pos !== r.end) r.fail(`function body ends ${r.end - r.pos} byte(s) before its declared size`);
}

function decodeSimd(r, at, edits) {
  const leb = r.pos;
  const op = r.u32();
  if (op === LEGACY_FMA) {
    edits.push([leb, r.pos]);
    return;
  }
  if (op > SIMD_LAST || SIMD_UNASSIGNED.has(op)) r.fail(`unsupported opcode 0xfd ${op} (0x${op.toString(16)})`, at);
  const memarg = op <= 0x0b || (op >= 0x54 && op <= 0x5d); // loads, store, load/store_lane, load32/64_zero
  const lane = (op >= 0x15 && op <= 0x22) || (op >= 0x54 && op <= 0x5b); // extract/replace_lane, load/store_lane
  if (memarg) r.memarg();
  if (lane) r.skip(1);
  if (op === 0x0c || op === 0x0d) r.skip(16); // v128.const, i8x16.shuffle
}

// The body with each edit's opcode LEB replaced by relaxed_madd, preceded by its new size.
function rebuildBody(bytes, start, end, edits) {
  const parts = [];
  let pos = start;
  for (const [from, to] of edits) {
    parts.push(bytes.subarray(pos, from), RELAXED_MADD);
    pos = to;
  }
  parts.push(bytes.subarray(pos, end));
  const body = concat(parts);
  return concat([uleb(body.length), body]);
}

function uleb(n) {
  const out = [];
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return out;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function countFunctionImports(r) {
  let funcs = 0;
  for (let n = r.u32(); n > 0; n--) {
    r.skip(r.u32()); // module name
    r.skip(r.u32()); // field name
    const at = r.pos;
    const kind = r.u8();
    if (kind === 0) {
      funcs++;
      r.u32();
    } else if (kind === 1) {
      r.u8();
      limits(r);
    } else if (kind === 2) limits(r);
    else if (kind === 3) {
      r.valtype();
      r.u8(); // mutability
    } else if (kind === 4) {
      r.u8(); // tag: attribute, typeidx
      r.u32();
    } else r.fail(`unsupported import kind ${kind}`, at);
  }
  return funcs;
}

function limits(r) {
  const flags = r.u8();
  const read = flags & 4 ? () => r.sleb(64) : () => r.u32(); // 64-bit limits: only their length matters here
  read();
  if (flags & 1) read();
}

// Decodes the code section (`r` limited to it, at its start); returns it rebuilt, or null when
// unchanged, and the count of rewritten instructions.
function rewriteCodeSection(r, importedFuncs) {
  const { bytes, end } = r;
  const countStart = r.pos;
  const count = r.u32();
  const parts = [bytes.subarray(countStart, r.pos)];
  let rewritten = 0;
  for (let i = 0; i < count; i++) {
    const entry = r.pos;
    r.where = ` in function ${importedFuncs + i}`;
    const size = r.u32();
    const start = r.pos;
    if (start + size > end) r.fail(`function body of ${size} bytes runs past the end of the code section`, entry);
    Object.assign(r, { end: start + size, limit: 'the function body' });
    const edits = [];
    decodeBody(r, edits);
    Object.assign(r, { end, limit: 'the code section' });
    rewritten += edits.length;
    parts.push(edits.length ? rebuildBody(bytes, start, start + size, edits) : bytes.subarray(entry, start + size));
  }
  r.where = '';
  if (r.pos !== end) r.fail(`code section has ${end - r.pos} byte(s) after its last function body`);
  if (!rewritten) return { section: null, rewritten };
  const content = concat(parts);
  return { section: concat([[10], uleb(content.length), content]), rewritten };
}

/**
 * Rewrites every legacy f32x4.fma (0xfd 0xaf) in `bytes`, a whole wasm module,
 * to f32x4.relaxed_madd (0xfd 0x105). Returns `bytes` itself when there is none.
 * Throws an Error naming the byte offset on anything it cannot decode exactly.
 */
export function rewriteLegacyRelaxedSimd(bytes) {
  const r = new Reader(bytes);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8) r.fail('not a wasm module: shorter than its 8-byte header', 0);
  if (header.some((b, i) => bytes[i] !== b)) r.fail('not a wasm 1 module: bad magic or version', 0);
  const out = [bytes.subarray(0, 8)];
  let importedFuncs = 0;
  let sawCode = false;
  let rewritten = 0;
  r.pos = 8;
  while (r.pos < bytes.length) {
    Object.assign(r, { end: bytes.length, limit: 'the module' });
    const start = r.pos;
    const id = r.u8();
    const size = r.u32();
    const end = r.pos + size;
    if (end > bytes.length) r.fail(`section ${id} of ${size} bytes runs past the end of the module`, start);
    if (id > 13) r.fail(`unknown section id ${id}`, start);
    Object.assign(r, { end, limit: `section ${id}` });
    let section = null; // a rebuilt section, else the original is copied
    if (id === 2) {
      importedFuncs = countFunctionImports(r);
      if (r.pos !== end) r.fail('import section ends before its declared size');
    } else if (id === 10) {
      if (sawCode) r.fail('second code section', start);
      sawCode = true;
      const code = rewriteCodeSection(r, importedFuncs);
      section = code.section;
      rewritten += code.rewritten;
    }
    out.push(section ?? bytes.subarray(start, end));
    r.pos = end;
  }
  return rewritten ? { bytes: concat(out), rewritten } : { bytes, rewritten: 0 };
}

function main(args) {
  const expectSome = args.includes('--expect-some');
  const files = args.filter((a) => a !== '--expect-some');
  if (files.length < 1 || files.length > 2 || files.some((f) => f.startsWith('-')))
    throw new Error('usage: node scripts/wasm-relaxed.mjs [--expect-some] <in.wasm> [<out.wasm>]');
  const [input, output = input] = files;
  const { bytes, rewritten } = rewriteLegacyRelaxedSimd(new Uint8Array(readFileSync(input)));
  if (expectSome && rewritten === 0) throw new Error(`no legacy f32x4.fma in ${input} (--expect-some)`);
  if (output !== input || rewritten > 0) writeFileSync(output, bytes);
  console.log(`wasm-relaxed: ${rewritten} f32x4.fma -> f32x4.relaxed_madd in ${output}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`wasm-relaxed: ${err.message}`);
    process.exit(1);
  }
}
