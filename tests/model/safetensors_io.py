#!/usr/bin/python3
"""Hand-written safetensors writer and reader (no `safetensors` package needed).

File layout (https://github.com/huggingface/safetensors, "Format"):

    [8 bytes]  N, unsigned 64-bit little-endian: byte length of the header
    [N bytes]  UTF-8 JSON object, starting with '{', right-padded with spaces
               (0x20) so that N is a multiple of 8 (the data then starts 8-aligned):
                 {"__metadata__": {"format": "pt"},
                  "<name>": {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]},
                  ...}
    [rest]     the byte buffer; data_offsets are relative to its start, tensors
               are packed back to back (no holes, no overlap) in header order,
               each row-major, little-endian.

As the reference Rust implementation does, tensors are written ordered by
element size (largest first, so every tensor stays aligned to its element
size) and then by name, and the header lists them in that same order with
compact separators. A shape of [] is a scalar (one element).

Dtypes: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL.
BF16 is the upper half of the float32 bit pattern, produced here by rounding
to nearest, ties to even (NaN stays a quiet NaN, overflow rounds to inf).

    save(path, [(name, dtype, array), ...], metadata={"format": "pt"})
    meta, tensors = load(path)  # tensors: {name: (dtype, shape, numpy array)}
        F16/BF16/F32 come back as float32 arrays holding the stored values
        exactly, F64 as float64, integers/bool as their numpy types.

Self-test: /usr/bin/python3 tests/model/safetensors_io.py
"""

import json
import struct

import numpy as np

# dtype -> (bytes per element, numpy dtype used for the stored bits)
DTYPES = {
    "F64": (8, "<f8"),
    "F32": (4, "<f4"),
    "F16": (2, "<f2"),
    "BF16": (2, "<u2"),
    "I64": (8, "<i8"),
    "I32": (4, "<i4"),
    "I16": (2, "<i2"),
    "I8": (1, "i1"),
    "U8": (1, "u1"),
    "BOOL": (1, "u1"),
}

MAX_HEADER = 100_000_000  # the reference implementation's limit


def f32_to_bf16_bits(a):
    """float32 array -> uint16 bfloat16 bit patterns, round to nearest even."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    lsb = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + lsb) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(a, dtype=np.float32))
    quiet = ((bits >> 16) | 0x0040).astype(np.uint16)  # keep sign and payload top, force quiet bit
    return np.where(nan, quiet, rounded).astype(np.uint16)


def bf16_bits_to_f32(u):
    """uint16 bfloat16 bit patterns -> float32 values (exact)."""
    u = np.asarray(u, dtype=np.uint16)
    return (u.reshape(-1).astype(np.uint32) << 16).view(np.float32).reshape(u.shape)


def round_to_dtype(a, dtype):
    """The float32 values that `a` becomes once stored as `dtype` (F32/F16/BF16)."""
    a = np.asarray(a, dtype=np.float32)
    if dtype == "F32":
        return a.copy()
    if dtype == "F16":
        return a.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        return bf16_bits_to_f32(f32_to_bf16_bits(a)).reshape(a.shape)
    raise ValueError(dtype)


def _encode(dtype, array):
    """Raw little-endian bytes of `array` stored as `dtype`."""
    if dtype not in DTYPES:
        raise ValueError(f"unsupported dtype {dtype}")
    a = np.asarray(array)
    if dtype == "BF16":
        if a.dtype == np.uint16:
            raw = a
        else:
            raw = f32_to_bf16_bits(a.astype(np.float32))
    elif dtype == "BOOL":
        raw = a.astype(bool).astype(np.uint8)
    else:
        raw = a.astype(DTYPES[dtype][1])
    return np.ascontiguousarray(raw).astype(DTYPES[dtype][1], copy=False).tobytes(order="C")


def serialize(tensors, metadata=None):
    """Bytes of a safetensors file. tensors: iterable of (name, dtype, array)."""
    if metadata is None:
        metadata = {"format": "pt"}
    items = []
    seen = set()
    for name, dtype, array in tensors:
        if name in seen or name == "__metadata__":
            raise ValueError(f"bad or duplicate tensor name {name!r}")
        seen.add(name)
        shape = [int(d) for d in np.shape(array)]
        items.append((name, dtype, shape, _encode(dtype, array)))
    items.sort(key=lambda it: (-DTYPES[it[1]][0], it[0]))

    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for name, dtype, shape, raw in items:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    return struct.pack("<Q", len(hjson)) + hjson + b"".join(raw for _, _, _, raw in items)


def save(path, tensors, metadata=None):
    data = serialize(tensors, metadata)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def deserialize(data):
    """(metadata, {name: (dtype, shape, array)}) with the checks a strict reader makes."""
    if len(data) < 8:
        raise ValueError("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or 8 + n > len(data):
        raise ValueError(f"header length {n} out of range")
    text = data[8 : 8 + n].decode("utf-8")
    if not text.startswith("{"):
        raise ValueError("header does not start with '{'")
    header = json.loads(text)
    buf = data[8 + n :]
    meta = header.pop("__metadata__", None)
    spans = []
    out = {}
    for name, info in header.items():
        dtype, shape, (b, e) = info["dtype"], list(info["shape"]), info["data_offsets"]
        size, npdt = DTYPES[dtype]
        count = 1
        for d in shape:
            if d < 0:
                raise ValueError(f"{name}: negative dim")
            count *= d
        if not (0 <= b <= e <= len(buf)) or e - b != count * size:
            raise ValueError(f"{name}: data_offsets {b},{e} do not fit shape {shape} {dtype}")
        spans.append((b, e, name))
        raw = np.frombuffer(buf[b:e], dtype=npdt).reshape(shape)
        if dtype == "BF16":
            arr = bf16_bits_to_f32(raw).reshape(shape)
        elif dtype in ("F16", "F32"):
            arr = raw.astype(np.float32)
        elif dtype == "BOOL":
            arr = raw.astype(bool)
        else:
            arr = raw.copy()
        out[name] = (dtype, shape, arr)
    spans.sort()
    pos = 0
    for b, e, name in spans:
        if b != pos:
            raise ValueError(f"{name}: hole or overlap at {b} (expected {pos})")
        pos = e
    if pos != len(buf):
        raise ValueError(f"{len(buf) - pos} trailing bytes after the last tensor")
    return meta, out


def load(path):
    with open(path, "rb") as f:
        return deserialize(f.read())


def header_of(path):
    """(header length N, parsed header dict including __metadata__)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return n, json.loads(f.read(n).decode("utf-8"))


# ----------------------------------------------------------------------------
# Self-test


def self_test(verbose=True):
    import torch

    rs = np.random.RandomState(7)
    x = (rs.standard_normal((5, 3)) * 3).astype(np.float32)

    # BF16 rounding: hand-picked bit patterns, then agreement with torch's RNE conversion.
    cases = {
        0x3F800000: 0x3F80,  # 1.0 exact
        0x3F808000: 0x3F80,  # tie, even below -> down
        0x3F818000: 0x3F82,  # tie, odd below -> up
        0x3F808001: 0x3F81,  # just above the tie -> up
        0x3F807FFF: 0x3F80,  # just below the tie -> down
        0xBF818000: 0xBF82,  # negative tie -> away to even
        0x7F7FFFFF: 0x7F80,  # max float rounds to inf
        0x7F800000: 0x7F80,  # inf
        0xFF800000: 0xFF80,  # -inf
        0x00000001: 0x0000,  # smallest subnormal -> +0
        0x80000000: 0x8000,  # -0
    }
    src = np.array(list(cases.keys()), dtype=np.uint32).view(np.float32)
    got = f32_to_bf16_bits(src)
    for (k, want), g in zip(cases.items(), got):
        assert int(g) == want, f"bf16({k:#010x}) = {int(g):#06x}, want {want:#06x}"
    nan_bits = f32_to_bf16_bits(np.array([np.nan], dtype=np.float32))
    assert np.isnan(bf16_bits_to_f32(nan_bits))[0], "NaN must stay NaN"
    many = (rs.standard_normal(100000) * np.exp(rs.uniform(-20, 20, 100000))).astype(np.float32)
    ours = f32_to_bf16_bits(many)
    theirs = torch.from_numpy(many).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    assert np.array_equal(ours, theirs), "BF16 rounding disagrees with torch"
    with np.errstate(over="ignore"):
        f16_ours = many.astype(np.float16)
    f16_torch = torch.from_numpy(many).to(torch.float16).numpy()
    assert np.array_equal(f16_ours.view(np.uint16), f16_torch.view(np.uint16)), "F16 rounding disagrees with torch"

    tensors = [
        ("b.weight", "F32", x),
        ("a.half", "F16", x),
        ("c.bf16", "BF16", x),
        ("d.ids", "I64", np.arange(6, dtype=np.int64).reshape(1, 6)),
        ("e.mask", "U8", np.tril(np.ones((3, 3), dtype=np.uint8))),
        ("f.flag", "BOOL", np.array([True, False, True])),
        ("g.scalar", "F32", np.float32(-1e4)),
        ("g.scalar16", "BF16", np.float32(-1e4)),
        ("h.empty", "F32", np.zeros((0, 4), dtype=np.float32)),
        ("i.double", "F64", np.array([1 / 3, -2.5])),
    ]
    data = serialize(tensors)
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header length must be a multiple of 8"
    assert data[8:9] == b"{"
    assert data[8 + n - 1 : 8 + n] in (b"}", b" ")
    header = json.loads(data[8 : 8 + n])
    assert list(header)[0] == "__metadata__" and header["__metadata__"] == {"format": "pt"}
    # packed in header order, 8-byte types first
    order = [k for k in header if k != "__metadata__"]
    assert order == ["d.ids", "i.double", "b.weight", "g.scalar", "h.empty", "a.half", "c.bf16", "g.scalar16",
                     "e.mask", "f.flag"], order
    offs = [header[k]["data_offsets"] for k in order]
    assert offs[0][0] == 0 and all(offs[i][1] == offs[i + 1][0] for i in range(len(offs) - 1))
    assert header["g.scalar"]["shape"] == []
    assert header["h.empty"]["data_offsets"][0] == header["h.empty"]["data_offsets"][1]

    meta, back = deserialize(data)
    assert meta == {"format": "pt"}
    assert np.array_equal(back["b.weight"][2], x)
    assert np.array_equal(back["a.half"][2], x.astype(np.float16).astype(np.float32))
    assert np.array_equal(back["c.bf16"][2], round_to_dtype(x, "BF16"))
    assert np.array_equal(back["d.ids"][2], np.arange(6).reshape(1, 6))
    assert back["g.scalar"][1] == [] and float(back["g.scalar"][2]) == -1e4
    assert back["g.scalar16"][2].shape == () and float(back["g.scalar16"][2]) == -9984.0  # bf16(-1e4)
    assert back["h.empty"][2].shape == (0, 4)
    assert back["f.flag"][2].tolist() == [True, False, True]
    assert back["i.double"][2].tolist() == [1 / 3, -2.5]
    # BF16 raw bits check: little-endian upper halves
    b, e = header["c.bf16"]["data_offsets"]
    raw = np.frombuffer(data[8 + n + b : 8 + n + e], dtype="<u2")
    want = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16).reshape(-1)
    assert np.array_equal(raw, want), "stored BF16 bits differ from torch's"
    # byte-identical re-serialization, and the reader rejects corrupt files
    assert serialize(tensors) == data
    for bad in (data[:-1], data + b"\0", data[:8] + b"[" + data[9:]):
        try:
            deserialize(bad)
        except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
            pass
        else:
            raise AssertionError("corrupt file accepted")
    if verbose:
        print("safetensors_io: round trip F64/F32/F16/BF16/I64/U8/BOOL, scalar, empty; BF16+F16 rounding == torch: ok")
    return True


if __name__ == "__main__":
    self_test()
