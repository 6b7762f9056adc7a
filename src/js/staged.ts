// One call through wasm memory without emval (the C++ side is
// src/bindings/staged.hpp): a header of doubles in the handle (the call's
// scalars, then each array's byte offset and length in the block), a block
// the handle allocates once the header checks out, the inputs copied into it
// with TypedArray.set, and the results the call writes there copied out once,
// into fresh arrays or the caller's `out`.
import type { AttnscopeModule } from './attnscope.mjs';
import { AttnscopeError } from './errors.js';

const ALIGN = 16;

/** What a staged call's arrays hold: inputs to copy in, or a result's element count. */
export type StagedArrays = Record<string, Float32Array | Uint8Array | number | undefined>;

/** The handle methods a staged call goes through (see src/bindings/core_handle.hpp). */
export interface StagedHandle {
  stage(): number;
  release(): void;
  lastError(): { code?: unknown; message?: unknown };
}

/** A layout's slots, read once per module; plans one call at a time. */
export class StagedPlan {
  readonly #scalars: string[];
  readonly #arrays: string[];
  readonly #elementBytes: number[];
  readonly #headerSlots: number;
  // Reused by every call (a module runs one call at a time).
  readonly #offsets: number[];
  readonly #values: StagedArrays[string][];

  /** layout: "scalars|arrays" as the handle describes it, e.g. "heads t|q:4 keyPadding:1". */
  constructor(layout: string) {
    const [scalars = '', arrays = ''] = layout.split('|');
    const slots = arrays.split(' ').map((a) => a.split(':'));
    this.#scalars = scalars.split(' ');
    this.#arrays = slots.map(([name]) => name);
    this.#elementBytes = slots.map(([, bytes]) => Number(bytes));
    this.#headerSlots = this.#scalars.length + 2 * this.#arrays.length;
    this.#offsets = new Array<number>(this.#arrays.length).fill(0);
    this.#values = new Array<StagedArrays[string]>(this.#arrays.length).fill(undefined);
  }

  /**
   * Writes `scalars` and the arrays' places into the handle's header, stages
   * the arrays, runs `call` and returns the results (the names whose value
   * was a count), each copied into `out[name]` when given. Every name must
   * be in the layout: a name the C++ side would not read is a bug, not an
   * input to drop.
   */
  run(
    module: AttnscopeModule,
    handle: StagedHandle,
    headerAddress: number, // the handle's header() (fixed for its life: callers keep it)
    call: () => boolean,
    scalars: Record<string, number | boolean>,
    arrays: StagedArrays,
    out: Record<string, Float32Array | undefined> = {},
  ): Record<string, Float32Array> {
    const offsets = this.#offsets,
      values = this.#values,
      names = this.#arrays,
      nScalars = this.#scalars.length;
    const heap64 = module.HEAPF64;
    const h = headerAddress / 8;
    heap64.fill(0, h, h + this.#headerSlots);
    let known = 0;
    for (let i = 0; i < nScalars; i++) {
      const value = scalars[this.#scalars[i]];
      if (value !== undefined) ((heap64[h + i] = Number(value)), known++);
    }
    let bytes = 0;
    for (let i = 0; i < names.length; i++) {
      // (Each name looked up once: keyed loads of varying names are slow.)
      const value = (values[i] = arrays[names[i]]);
      offsets[i] = 0;
      if (value === undefined) continue;
      known++;
      const length = typeof value === 'number' ? value : value.length;
      if (length === 0) continue;
      heap64[h + nScalars + 2 * i] = offsets[i] = bytes;
      heap64[h + nScalars + 2 * i + 1] = length;
      bytes += Math.ceil((length * this.#elementBytes[i]) / ALIGN) * ALIGN;
    }
    try {
      if (known !== defined(scalars) + defined(arrays))
        throw new AttnscopeError('internal', 'a staged call names a slot the wasm module does not have');
      const base = handle.stage();
      if (!base) throw AttnscopeError.from(handle.lastError());
      // (Views are read after each call: a grown heap has a new buffer.)
      const f32 = module.HEAPF32;
      for (let i = 0; i < names.length; i++) {
        const value = values[i];
        if (value instanceof Float32Array) f32.set(value, (base + offsets[i]) / 4);
        else if (value instanceof Uint8Array) module.HEAPU8.set(value, base + offsets[i]);
      }
      if (!call()) throw AttnscopeError.from(handle.lastError());
      const heap = module.HEAPF32;
      const results: Record<string, Float32Array> = {};
      for (let i = 0; i < names.length; i++) {
        const value = values[i];
        if (typeof value !== 'number') continue;
        const target = out[names[i]] ?? new Float32Array(value);
        const from = (base + offsets[i]) / 4;
        if (value > 0) target.set(heap.subarray(from, from + value));
        results[names[i]] = target;
      }
      return results;
    } finally {
      handle.release();
      values.fill(undefined); // (no reference kept to the caller's arrays)
    }
  }
}

function defined(record: Record<string, unknown>): number {
  let n = 0;
  for (const key in record) if (record[key] !== undefined) n++;
  return n;
}
