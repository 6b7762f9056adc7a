// scripts/wasm-relaxed.mjs: legacy f32x4.fma (0xfd 0xaf) becomes f32x4.relaxed_madd
// (0xfd 0x105) and nothing else changes, on hand-assembled modules that hide the
// same bytes in immediates, data and custom sections; decode errors name an offset.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { rewriteLegacyRelaxedSimd } from '../../scripts/wasm-relaxed.mjs';

// Node < 22 validates relaxed SIMD only behind this V8 flag.
const FLAG = '--experimental-wasm-relaxed-simd';
const V8_FLAGS = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).includes(FLAG) ? [FLAG] : [];

const LEGACY = [0xaf, 0x01]; // the f32x4.fma opcode LEB after 0xfd
const PADDED = [0xaf, 0x81, 0x80, 0x80, 0x00]; // the same, as a 5-byte LEB
const MADD = [0x85, 0x02]; // f32x4.relaxed_madd, 0x105
const TRAP = [0xfd, 0xaf, 0x01]; // legacy fma's bytes, planted where they are not an instruction

const uleb = (n) => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...uleb(n >>> 7)]);
const vec = (items) => [...uleb(items.length), ...items.flat()];
const name = (s) => vec([...Buffer.from(s)]);
const section = (id, content) => [id, ...uleb(content.length), ...content];
const body = (locals, code) => vec([...vec(locals), ...code, 0x0b]);
const wasm = (...sections) => new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
const i32 = (...ops) => ops.flatMap((v) => [0x41, ...uleb(v)]); // i32.const of small non-negative values
const simd = (op, ...imm) => [0xfd, ...uleb(op), ...imm];
// A module of one () -> () function: `code` then end, its body declared `size` bytes (the real size by default).
const fn = (code, size = code.length + 2) =>
  wasm(section(1, vec([[0x60, 0, 0]])), section(3, vec([[0]])), section(10, [1, ...uleb(size), 0, ...code, 0x0b]));
const LANES = [0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27, 12, 29, 14, 31];
const TAIL = section(0, [...name('tail'), ...TRAP, ...TRAP]); // a custom section, the module's last
const V128 = [1, 2, ...TRAP, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]; // 16 bytes

// A module exercising each kind of immediate; `fma` is the opcode LEB of its 3 multiply-adds.
function kitchenSink(fma) {
  const [I32, I64, F64, V] = [0x7f, 0x7e, 0x7c, 0x7b];
  const types = [
    [0x60, 0, 0], // 0: () -> ()
    [0x60, 1, I32, 1, I32], // 1: (i32) -> i32
    [0x60, 3, V, V, V, 1, V], // 2: (v128 v128 v128) -> v128
  ];
  const control = body(
    // prettier-ignore
    [[1, I64], [1, F64]], // locals 1 (i64) and 2 (f64)
    [
      ...[0x02, 0x40, 0x03, 0x40, 0x20, 0, 0x45, 0x0d, 1], // block loop local.get 0 i32.eqz br_if 1
      ...[0x20, 0, 0x41, 0x7f, 0x6a, 0x22, 0, 0x0d, 0, 0x0b, 0x0b], // local.get i32.const -1 i32.add local.tee br_if 0
      ...[0x02, I32, 0x02, 0x40, 0x02, 0x40, 0x20, 0], // block (result i32) block block local.get 0
      ...[0x0e, 2, 0, 1, 1, 0x0b], // br_table [0 1] 1, end
      ...[0x41, ...TRAP, 0x0c, 1, 0x0b, 0x41, 7, 0x0b], // i32.const 22525 (fd af 01) br 1 end i32.const 7 end
      ...[0x20, 0, 0x02, 1, 0x0b, 0x6a], // local.get 0 block (type 1) end i32.add
      ...[0x20, 0, 0x04, I32, 0x42, ...TRAP, 0xa7], // if (result i32) i64.const 22525 i32.wrap_i64
      ...[0x05, 0x44, ...TRAP, 0, 0, 0, 0xf0, 0x3f, 0xfc, 0x02, 0x0b, 0x6a], // else f64.const i32.trunc_sat_f64_s end
      ...[...i32(1, 0), 0x11, 1, 0, 0x6a], // call_indirect (type 1) table 0, i32.add
      ...[0x28, 2, ...TRAP, 0x24, 0, 0x23, 0], // i32.load offset=22525 (fd af 01), global.set/get 0
    ],
  );
  const vector = body(
    [[1, 0x7d]], // an f32, local 3
    [
      ...[...i32(0), 0x20, 0, ...simd(0x56, 2, 0, 3)], // v128.load32_lane align=2 lane 3
      ...[0x20, 1, 0x20, 2, 0xfd, ...fma], // multiply-add #1
      ...[...i32(32), ...simd(0x00, 4, 16), ...simd(0x0c, ...V128), 0xfd, ...fma], // v128.load, v128.const, #2
      ...[0x20, 1, ...simd(0x0d, ...LANES), ...simd(0x1f, 2), 0x21, 3], // i8x16.shuffle, f32x4.extract_lane 2
      ...[0x20, 0, 0x20, 3, ...simd(0x20, 1)], // f32x4.replace_lane 1
      ...[...i32(64), 0x20, 0, ...simd(0x5a, 2, 8, 1)], // v128.store32_lane offset=8 lane 1
      ...[...i32(48), ...simd(0x5c, 2, 0), ...simd(0xe4)], // v128.load32_zero, f32x4.add
      ...[...i32(80), ...simd(0x5d, 3, 4), 0x20, 2, 0xfd, ...fma], // v128.load64_zero, #3
      ...[0x20, 1, ...simd(0x10d), ...i32(96), 0x20, 0, ...simd(0x0b, 4, 0)], // f32x4.relaxed_min, v128.store
    ],
  );
  const misc = body(
    [],
    [
      ...[...i32(0, 5), 0x36, 2, 0, ...i32(0), 0x34, 2, 4, 0xc4, 0x1a], // i32.store, i64.load32_s, extend32_s
      ...[0x3f, 0, 0x40, 0, 0xc0, 0x1a, ...i32(1, 2, 0), 0x1b, 0x1a], // memory.size/grow, extend8_s, select
      ...[0x43, ...TRAP, 0, 0x43, 0, 0, 0, 0, ...i32(1), 0x1c, 1, 0x7d, 0x1a], // f32.const x2, select (result f32)
      ...[0xd0, 0x70, 0xd1, 0x1a, ...i32(0), 0xd2, 1, 0x26, 0, ...i32(0), 0x25, 0, 0x1a], // ref.*, table.set/get
      ...[...i32(0, 0, 4), 0xfc, 8, 0, 0, 0xfc, 9, 0], // memory.init 0, data.drop 0
      ...[...i32(0, 8, 4), 0xfc, 10, 0, 0, ...i32(0, 0, 4), 0xfc, 11, 0], // memory.copy, memory.fill
      ...[...i32(0, 0, 0), 0xfc, 12, 0, 0, 0xfc, 13, 0, ...i32(0, 0, 0), 0xfc, 14, 0, 0], // table.init/elem.drop/copy
      ...[0xd0, 0x70, ...i32(1), 0xfc, 15, 0, 0x1a, 0xfc, 16, 0, 0x1a], // table.grow, table.size
      ...[...i32(0), 0xd0, 0x70, ...i32(0), 0xfc, 17, 0, 0x10, 0, 0x0f, 0x01, 0x00], // table.fill call return nop ...
    ],
  );
  return wasm(
    section(0, [...name('x'), ...TRAP]), // custom
    section(1, vec(types)),
    section(2, vec([[...name('env'), ...name('log'), 0, 0]])), // func import: defined functions start at 1
    section(3, vec([[1], [2], [0]])),
    section(4, vec([[0x70, 0, 1]])), // funcref table, min 1
    section(5, vec([[0, 1]])), // memory, 1 page
    section(6, vec([[I32, 1, 0x41, 0, 0x0b]])), // mutable i32 global
    section(9, vec([[0, 0x41, 0, 0x0b, ...vec([[1]])]])), // elem: table[0] = function 1
    section(12, [1]), // data count
    section(10, vec([control, vector, misc])),
    section(11, vec([[1, ...vec([...TRAP, 9])]])), // a passive data segment
    TAIL,
  );
}

// WebAssembly.validate of each module in a child Node with relaxed SIMD on.
function validateRelaxed(...modules) {
  const script =
    "let s = ''; process.stdin.on('data', (c) => (s += c)).on('end', () => console.log(JSON.stringify(" +
    "JSON.parse(s).map((b) => WebAssembly.validate(Buffer.from(b, 'base64'))))));";
  const input = JSON.stringify(modules.map((m) => Buffer.from(m).toString('base64')));
  const child = spawnSync(process.execPath, [...V8_FLAGS, '--input-type=module', '-e', script], { input });
  assert.equal(child.status, 0, String(child.stderr));
  return JSON.parse(child.stdout);
}

const count = (bytes, pattern) =>
  Buffer.from(bytes).toString('hex').split(Buffer.from(pattern).toString('hex')).length - 1;

test('legacy f32x4.fma becomes relaxed_madd; fd af 01 elsewhere (immediates, data, custom) is untouched', () => {
  const legacy = kitchenSink(LEGACY);
  assert.equal(count(legacy, TRAP), 3 + 10, 'the 3 multiply-adds and the 10 traps are there');
  const { bytes, rewritten } = rewriteLegacyRelaxedSimd(legacy);
  assert.equal(rewritten, 3);
  assert.deepEqual(bytes, kitchenSink(MADD));
  assert.equal(count(bytes, TRAP), 10);
});

test('the rewritten module validates with relaxed SIMD and the legacy one does not', () => {
  const legacy = kitchenSink(LEGACY);
  assert.deepEqual(validateRelaxed(rewriteLegacyRelaxedSimd(legacy).bytes, legacy), [true, false]);
});

test('a padded LEB opcode is rewritten too: the body, its size and the code section size are rebuilt', () => {
  const padded = kitchenSink(PADDED);
  const { bytes, rewritten } = rewriteLegacyRelaxedSimd(padded);
  assert.equal(rewritten, 3);
  assert.deepEqual(bytes, kitchenSink(MADD));
  assert.deepEqual(validateRelaxed(bytes), [true]);
});

test('a module without legacy ops comes back byte-identical', () => {
  const modern = kitchenSink(MADD);
  const { bytes, rewritten } = rewriteLegacyRelaxedSimd(modern);
  assert.equal(rewritten, 0);
  assert.deepEqual(bytes, modern);
});

test('every kind of immediate is skipped whole, even when it holds fd af 01', () => {
  // Decode-only (most indices are out of range): a decoder that reads an immediate short, or not at all,
  // meets fd af 01 as code. L is a lane byte 0xfd followed by a numeric op 0xaf and a nop.
  const [X, L, ones] = [TRAP, [0xfd, 0xaf, 0x01], (n) => Array(n).fill(1)];
  const code = [
    ...[0x02, ...X, 0x0b, 0x03, 0x81, ...X, 0x0b], // block (type 22525), loop (type, padded so its tail is X)
    ...[0x0c, ...X, 0x0d, ...X, 0x0e, 1, ...X, ...X, 0x10, ...X, 0x11, ...X, ...X], // br*, call*
    ...[0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40, 0xd2].flatMap((op) => [op, ...X]), // one index
    ...[0x28, 0, ...X, 0x3e, 2, ...X], // memargs
    ...[0x41, ...X, 0x42, ...X, 0x43, ...X, 1, 0x44, ...ones(4), ...X, 1], // consts
    ...[8, 10, 12, 14].flatMap((op) => [0xfc, op, ...X, ...X]), // memory.init/copy, table.init/copy
    ...[9, 11, 13, 15, 16, 17].flatMap((op) => [0xfc, op, ...X]), // data.drop, memory.fill, elem.drop, table.*
    ...[0x00, 0x0b, 0x5c, 0x5d].flatMap((op) => simd(op, 0, ...X)), // v128.load/store/load*_zero
    ...simd(0x0c, ...ones(13), ...X), // v128.const
    ...simd(0x0d, ...ones(13), ...X), // i8x16.shuffle
    ...[0x15, 0x1c, 0x22].flatMap((op) => simd(op, ...L)), // extract/replace_lane
    ...[0x54, 0x5b].flatMap((op) => simd(op, 0, ...X, ...L)), // load/store_lane
  ];
  assert.deepEqual(rewriteLegacyRelaxedSimd(fn(code)), { bytes: fn(code), rewritten: 0 });
  const { bytes, rewritten } = rewriteLegacyRelaxedSimd(fn([...code, 0xfd, ...LEGACY])); // then a real one
  assert.equal(rewritten, 1);
  assert.deepEqual(bytes, fn([...code, 0xfd, ...MADD]));
});

test('the rewritten multiply-add computes a * b + c (kernels::madd)', () => {
  const v = (...xs) => simd(0x0c, ...new Uint8Array(new Float32Array(xs).buffer));
  const code = [...i32(0), ...v(1, 2, 3, 4), ...v(10, 20, 30, 40), ...v(100, 200, 300, 400), 0xfd, ...LEGACY];
  const module = wasm(
    section(1, vec([[0x60, 0, 0]])),
    section(3, vec([[0]])),
    section(5, vec([[0, 1]])),
    // prettier-ignore
    section(7, vec([[...name('f'), 0, 0], [...name('m'), 2, 0]])), // exports f and m
    section(10, vec([body([], [...code, ...simd(0x0b, 4, 0)])])),
  );
  const script =
    "const { instance } = await WebAssembly.instantiate(Buffer.from(process.argv[1], 'base64')); " +
    'instance.exports.f(); console.log(JSON.stringify([...new Float32Array(instance.exports.m.buffer, 0, 4)]));';
  const b64 = Buffer.from(rewriteLegacyRelaxedSimd(module).bytes).toString('base64');
  const out = execFileSync(process.execPath, [...V8_FLAGS, '--input-type=module', '-e', script, b64]);
  assert.deepEqual(JSON.parse(out), [110, 240, 390, 560]);
});

test('errors name the byte offset (and the function)', () => {
  const throwsAt = (bytes, pattern, offset) =>
    assert.throws(
      () => rewriteLegacyRelaxedSimd(bytes),
      (err) => {
        assert.match(err.message, pattern);
        assert.match(err.message, new RegExp(`at byte offset ${offset} \\(0x${offset.toString(16)}\\)`));
        return true;
      },
    );
  const legacy = kitchenSink(LEGACY);
  throwsAt(legacy.subarray(0, 6), /shorter than its 8-byte header/, 0);
  const cut = legacy.subarray(0, legacy.length - 5);
  throwsAt(cut, /section 0 of \d+ bytes runs past the end of the module/, legacy.length - TAIL.length);
  assert.equal(rewriteLegacyRelaxedSimd(fn([0x01])).rewritten, 0); // the helper's module is well-formed
  const long = fn([0x01], 4); // declared 4 bytes, 3 there
  throwsAt(long, /function body of 4 bytes runs past the end of the code section/, long.length - 4);
  const early = fn([0x01, 0x0b, 0x01]); // the function's end, then a nop and another end
  throwsAt(early, /body ends 2 byte\(s\) before its declared size .* in function 0$/, early.length - 2);
  const short = fn([0x02, 0x40, 0x0b], 3); // declared to end inside the block
  throwsAt(short, /unexpected end of the function body/, short.length - 2);
  throwsAt(fn([0x43, 0, 0]), /unexpected end of the function body in a 4-byte immediate .* in function 0$/, 24);
  // Legacy f32x4.fms and another opcode unassigned in the final spec, one past the last relaxed-SIMD opcode.
  for (const op of [0xb0, 0x9a, 0x114]) {
    const bad = fn([...i32(0), ...simd(op)]);
    throwsAt(bad, new RegExp(`unsupported opcode 0xfd ${op} \\(0x${op.toString(16)}\\)`), bad.lastIndexOf(0xfd));
  }
  const atomic = fn([...i32(0), 0xfe, 0x10, 2, 0, 0x1a]); // i32.atomic.load
  throwsAt(atomic, /unsupported opcode 0xfe \(atomics/, atomic.indexOf(0xfe));
  throwsAt(fn([0x06, 0x40]), /unsupported opcode 0x6 \(exception handling\)/, 23);
});

test('dist/attnscope.wasm decodes end to end and comes back unchanged', (t) => {
  const file = new URL('../../dist/attnscope.wasm', import.meta.url);
  if (!existsSync(file)) return t.skip('no dist/attnscope.wasm');
  const original = new Uint8Array(readFileSync(file));
  const { bytes, rewritten } = rewriteLegacyRelaxedSimd(original);
  assert.equal(rewritten, 0);
  assert.deepEqual(bytes, original);
});
