#include "io/safetensors.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>

#include "io/json.hpp"
#include "kernels/convert.hpp"

namespace attnscope::io {

namespace {

constexpr std::uint32_t kEmptySlot = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kMaxSize = std::numeric_limits<std::size_t>::max();  // 2^32-1 on wasm32

// Byte-wise little-endian loads: no alignment or host byte order assumed.
std::uint64_t load_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
[[maybe_unused]] std::uint32_t load_u32(const std::uint8_t* p) {  // big-endian hosts
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

float from_bits(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
std::uint32_t to_bits(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

Status error(Code code, const std::string& what) {
  return {code, "safetensors: " + what};
}
Status parse_error(const std::string& what) {
  return error(Code::kParseError, what);
}

// Names come from the file: bound what they add to a message.
std::string quoted(std::string_view name) {
  std::size_t n = std::min<std::size_t>(name.size(), 100);
  // Cut between UTF-8 characters, not inside one.
  while (n > 0 && n < name.size() && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;
  return "\"" + std::string(name.substr(0, n)) + (n < name.size() ? "...\"" : "\"");
}
Status tensor_error(std::string_view name, const std::string& what, Code code = Code::kParseError) {
  return error(code, "tensor " + quoted(name) + ": " + what);
}

// Offset of the first byte that does not start a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF included), or npos.
std::size_t invalid_utf8_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lead bytes C2..F4: not a continuation byte, not C0/C1 (always overlong), not above U+10FFFF.
    if (c < 0xC2 || c > 0xF4) return i;
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};  // shortest form per length
    std::uint32_t cp = c & (0x7Fu >> len);
    if (len > s.size() - i) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const unsigned d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

// Upper bound on the number of values in a JSON text: every value but the
// root follows a '[', ',' or ':' outside a string. Lets parse() refuse a
// header whose parsed form would be far larger than its text.
std::size_t max_json_values(std::string_view s) {
  std::size_t n = 1;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == ',' || c == ':') {
      ++n;
    }
  }
  return n;
}

Result<DType> parse_dtype(std::string_view tensor, const json::Value& v) {
  if (!v.is_string()) return tensor_error(tensor, "dtype must be a string");
  const std::string& s = v.as_string();
  static const std::pair<const char*, DType> kNames[] = {
      {"F32", DType::kF32},   {"F16", DType::kF16},        {"BF16", DType::kBF16},     {"F64", DType::kF64},
      {"I64", DType::kI64},   {"U64", DType::kU64},        {"I32", DType::kI32},       {"U32", DType::kU32},
      {"I16", DType::kI16},   {"U16", DType::kU16},        {"I8", DType::kI8},         {"U8", DType::kU8},
      {"BOOL", DType::kBool}, {"F8_E4M3", DType::kF8E4M3}, {"F8_E5M2", DType::kF8E5M2}};
  for (const auto& [n, d] : kNames)
    if (s == n) return d;
  return tensor_error(tensor, "dtype " + quoted(s) + " is not a safetensors dtype", Code::kUnsupported);
}

Status parse_tensor(std::string_view name, const json::Value& entry, std::size_t data_size, TensorInfo& out) {
  if (!entry.is_object()) return tensor_error(name, "entry must be an object");
  const json::Value* dtype = entry.find("dtype");
  const json::Value* shape = entry.find("shape");
  const json::Value* offsets = entry.find("data_offsets");
  if (!dtype) return tensor_error(name, "missing \"dtype\"");
  if (!shape) return tensor_error(name, "missing \"shape\"");
  if (!offsets) return tensor_error(name, "missing \"data_offsets\"");

  out.name = std::string(name);
  Result<DType> dt = parse_dtype(name, *dtype);
  if (!dt) return dt.status();
  out.dtype = dt.value();

  if (!shape->is_array()) return tensor_error(name, "shape must be an array");
  const json::Array& dims = shape->as_array();
  if (dims.size() > kMaxSafetensorsRank)
    return tensor_error(name, "rank " + std::to_string(dims.size()) + " is above the limit of " +
                                  std::to_string(kMaxSafetensorsRank));
  // Each dim fits size_t; the product is checked in 64 bits, and a zero dim
  // makes any others irrelevant.
  std::uint64_t elements = 1;
  bool overflow = false;
  out.shape.clear();
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (!dims[i].is_index())
      return tensor_error(name, "shape[" + std::to_string(i) + "] must be an integer in [0, 2^53]");
    const auto d = static_cast<std::uint64_t>(dims[i].as_number());
    if (d > kMaxSize) return tensor_error(name, "shape[" + std::to_string(i) + "] is too large");
    out.shape.push_back(static_cast<std::size_t>(d));
    if (d != 0 && elements > kMaxSize / d) overflow = true;
    elements *= d;
  }
  if (std::find(out.shape.begin(), out.shape.end(), std::size_t{0}) != out.shape.end())
    elements = 0;
  else if (overflow)
    return tensor_error(name, "element count overflows");

  if (!offsets->is_array() || offsets->as_array().size() != 2 || !offsets->as_array()[0].is_index() ||
      !offsets->as_array()[1].is_index())
    return tensor_error(name, "data_offsets must be two integers in [0, 2^53]");
  const auto begin = static_cast<std::uint64_t>(offsets->as_array()[0].as_number());
  const auto end = static_cast<std::uint64_t>(offsets->as_array()[1].as_number());
  const std::string range = "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
  if (begin > end) return tensor_error(name, "data_offsets " + range + " begin after they end");
  if (end > data_size)
    return tensor_error(name, "data_offsets " + range + " end beyond the data section of " +
                                  std::to_string(data_size) + " bytes");
  // Divide rather than multiply: elements * size can overflow 64 bits.
  const std::uint64_t span = end - begin, esize = dtype_size(out.dtype);
  if (span % esize != 0 || span / esize != elements)
    return tensor_error(name, std::to_string(elements) + " " + dtype_name(out.dtype) + " elements of " +
                                  std::to_string(esize) + " bytes do not fill data_offsets " + range +
                                  " of " + std::to_string(span) + " bytes");
  out.elements = static_cast<std::size_t>(elements);
  out.begin = static_cast<std::size_t>(begin);
  out.end = static_cast<std::size_t>(end);
  return Status::ok();
}

Status parse_metadata(const json::Value& v, std::vector<std::pair<std::string, std::string>>& out) {
  if (!v.is_object()) return parse_error("\"__metadata__\" must be an object");
  for (const auto& [key, value] : v.as_object()) {
    if (!value.is_string())
      return parse_error("\"__metadata__\" value of " + quoted(key) + " must be a string");
    out.emplace_back(key, value.as_string());
  }
  return Status::ok();
}

// The spec wants the data section covered without holes; writers that align
// tensors leave gaps, so only overlaps (which alias memory) are refused.
Status check_overlaps(const std::vector<TensorInfo>& tensors) {
  std::vector<std::uint32_t> order(tensors.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return tensors[a].begin != tensors[b].begin ? tensors[a].begin < tensors[b].begin
                                                : tensors[a].end < tensors[b].end;
  });
  const TensorInfo* reach = nullptr;  // the non-empty tensor ending last so far
  for (std::uint32_t i : order) {
    const TensorInfo& t = tensors[i];
    if (t.begin == t.end) continue;  // empty ranges share no bytes
    if (reach && t.begin < reach->end) {
      auto range = [](const TensorInfo& x) {
        return "[" + std::to_string(x.begin) + ", " + std::to_string(x.end) + ")";
      };
      return parse_error("tensors " + quoted(reach->name) + " " + range(*reach) + " and " + quoted(t.name) +
                         " " + range(t) + " overlap");
    }
    if (!reach || t.end > reach->end) reach = &t;
  }
  return Status::ok();
}

std::size_t name_hash(std::string_view name) {
  return std::hash<std::string_view>{}(name);
}

// "[1, 2]" for a flat index into `shape`.
std::string coordinates(const std::vector<std::size_t>& shape, std::size_t flat) {
  std::vector<std::size_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::string s = "[";
  for (std::size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
  return s + "]";
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF64: return "F64";
    case DType::kI64: return "I64";
    case DType::kU64: return "U64";
    case DType::kI32: return "I32";
    case DType::kU32: return "U32";
    case DType::kI16: return "I16";
    case DType::kU16: return "U16";
    case DType::kI8: return "I8";
    case DType::kU8: return "U8";
    case DType::kBool: return "BOOL";
    case DType::kF8E4M3: return "F8_E4M3";
    case DType::kF8E5M2: return "F8_E5M2";
  }
  return "?";
}

bool is_readable(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16;
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF64:
    case DType::kI64:
    case DType::kU64: return 8;
    case DType::kF32:
    case DType::kI32:
    case DType::kU32: return 4;
    case DType::kF16:
    case DType::kBF16:
    case DType::kI16:
    case DType::kU16: return 2;
    default: return 1;
  }
}

float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t{h & 0x8000u} << 16;
  const std::uint32_t exp = h & 0x7C00u;
  const std::uint32_t mant = h & 0x03FFu;
  std::uint32_t bits;
  if (exp == 0x7C00u) {
    bits = 0x7F800000u | (mant << 13);  // inf, or NaN with its payload kept
  } else if (exp == 0) {
    // Zero or subnormal, mant * 2^-24: both factors and the product are
    // exact (normal) floats.
    bits = to_bits(static_cast<float>(mant) * 0x1p-24f);
  } else {
    bits = (((exp >> 10) + (127 - 15)) << 23) | (mant << 13);  // rebias the exponent
  }
  return from_bits(sign | bits);
}

float bf16_to_f32(std::uint16_t bits) {
  return from_bits(std::uint32_t{bits} << 16);
}

Result<SafeTensors> SafeTensors::parse(const std::uint8_t* data, std::size_t size) {
  if (!data && size != 0) return error(Code::kInvalidArgument, "null data with a non-zero size");
  if (size < 8)
    return parse_error("file of " + std::to_string(size) + " bytes is shorter than the 8-byte header length");
  const std::uint64_t header_len = load_u64(data);
  if (header_len > kMaxSafetensorsHeader)
    return error(Code::kTooLarge, "header of " + std::to_string(header_len) +
                                      " bytes is above the limit of " +
                                      std::to_string(kMaxSafetensorsHeader));
  if (header_len > size - 8)
    return parse_error("header length " + std::to_string(header_len) + " exceeds the " +
                       std::to_string(size - 8) + " bytes after it");

  const std::string_view header(reinterpret_cast<const char*>(data + 8),
                                static_cast<std::size_t>(header_len));
  if (const std::size_t bad = invalid_utf8_at(header); bad != std::string_view::npos)
    return parse_error("header is not valid UTF-8 at byte " + std::to_string(bad));
  if (max_json_values(header) > kMaxSafetensorsHeaderValues)
    return error(Code::kTooLarge,
                 "header holds more than " + std::to_string(kMaxSafetensorsHeaderValues) + " JSON values");
  json::ParseLimits limits;
  limits.max_bytes = kMaxSafetensorsHeader;
  Result<json::Value> doc = json::parse(header, limits);
  if (!doc) return parse_error("header: " + doc.status().message());
  if (!doc->is_object()) return parse_error("header must be a JSON object");

  SafeTensors st;
  st.data_ = data + 8 + static_cast<std::size_t>(header_len);
  st.data_size_ = size - 8 - static_cast<std::size_t>(header_len);
  for (const auto& [name, entry] : doc->as_object()) {
    if (name == "__metadata__") {
      ATTNSCOPE_RETURN_IF_ERROR(parse_metadata(entry, st.metadata_));
      continue;
    }
    TensorInfo info;
    ATTNSCOPE_RETURN_IF_ERROR(parse_tensor(name, entry, st.data_size_, info));
    st.tensors_.push_back(std::move(info));
  }
  ATTNSCOPE_RETURN_IF_ERROR(check_overlaps(st.tensors_));
  st.build_index();
  return Result<SafeTensors>(std::move(st));  // `return st;` would copy into the Result
}

void SafeTensors::build_index() {
  std::size_t capacity = 1;
  while (capacity < 2 * tensors_.size()) capacity <<= 1;  // load factor <= 1/2
  slots_.assign(capacity, kEmptySlot);
  for (std::uint32_t i = 0; i < tensors_.size(); ++i) {
    std::size_t s = name_hash(tensors_[i].name) & (capacity - 1);
    while (slots_[s] != kEmptySlot) s = (s + 1) & (capacity - 1);
    slots_[s] = i;
  }
}

const TensorInfo* SafeTensors::find(std::string_view name) const {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = name_hash(name) & mask; slots_[s] != kEmptySlot; s = (s + 1) & mask)
    if (tensors_[slots_[s]].name == name) return &tensors_[slots_[s]];
  return nullptr;
}

namespace {

// Widens a readable tensor to float; false if any value is infinite or NaN.
bool widen(DType dtype, const std::uint8_t* src, std::size_t n, float* out) {
  switch (dtype) {
    case DType::kF32:
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      if (n) std::memcpy(out, src, n * sizeof(float));  // the file's byte order is the host's
#else
      for (std::size_t i = 0; i < n; ++i) out[i] = from_bits(load_u32(src + 4 * i));
#endif
      return kernels::all_finite(out, n);
    case DType::kF16: return kernels::f16_to_f32(src, n, out);
    case DType::kBF16: return kernels::bf16_to_f32(src, n, out);
    default: return true;  // not readable: see is_readable
  }
}

}  // namespace

void SafeTensors::read_f32(const TensorInfo& info, float* out) const {
  widen(info.dtype, data_ + info.begin, info.elements, out);
}

Status SafeTensors::read_int8(const TensorInfo& info, float* out) const {
  const std::string scale_name = info.name + "_scale";
  const TensorInfo* scale = find(scale_name);
  if (!scale)
    return tensor_error(info.name,
                        "dtype I8 needs a float tensor " + scale_name + " of per-row (or one) scales",
                        Code::kUnsupported);
  // Rows of the stored layout: every axis but the last.
  const std::size_t cols = info.shape.empty() ? 1 : info.shape.back();
  const std::size_t rows = cols ? info.elements / cols : 0;
  if (!is_readable(scale->dtype) || (scale->elements != 1 && scale->elements != rows))
    return tensor_error(
        scale_name, "must be F32, F16 or BF16 with one scale or one per row (" + std::to_string(rows) + ")",
        Code::kShapeMismatch);
  std::vector<float> scales(scale->elements);
  ATTNSCOPE_RETURN_IF_ERROR(read_f32_finite(*scale, scales.data()));
  const auto* q = reinterpret_cast<const std::int8_t*>(data_ + info.begin);
  for (std::size_t r = 0; r < rows; ++r) {
    const float s = scales[scales.size() == 1 ? 0 : r];
    for (std::size_t c = 0; c < cols; ++c) out[r * cols + c] = static_cast<float>(q[r * cols + c]) * s;
  }
  return Status::ok();
}

Status SafeTensors::read_f32_finite(const TensorInfo& info, float* out) const {
  if (info.dtype == DType::kI8) return read_int8(info, out);
  if (!is_readable(info.dtype))
    return tensor_error(info.name,
                        std::string("dtype ") + dtype_name(info.dtype) +
                            " cannot be read as float (F32, F16 and BF16 can; I8 with a _scale tensor)",
                        Code::kUnsupported);
  if (widen(info.dtype, data_ + info.begin, info.elements, out)) return Status::ok();
  for (std::size_t i = 0; i < info.elements; ++i) {
    // Bit test rather than std::isfinite: immune to -ffast-math.
    const std::uint32_t bits = to_bits(out[i]);
    if ((bits & 0x7F800000u) != 0x7F800000u) continue;
    return tensor_error(info.name,
                        std::string("element ") + std::to_string(i) + " " + coordinates(info.shape, i) +
                            " is " + ((bits & 0x007FFFFFu) ? "NaN" : "infinite"),
                        Code::kNonFinite);
  }
  return Status::ok();
}

}  // namespace attnscope::io
