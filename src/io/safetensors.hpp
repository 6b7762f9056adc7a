// A validating, non-copying reader of Hugging Face safetensors files:
// an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the data section the offsets index. Every offset, shape and size is
// checked in parse(), so reading a tensor afterwards cannot go out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"

namespace attnscope::io {

// Every dtype safetensors defines is parsed (real checkpoints carry integer
// buffers such as BERT's position_ids); only the float ones can be read.
enum class DType : unsigned char {
  kF32,
  kF16,
  kBF16,  // readable as float32
  kF64,
  kI64,
  kU64,
  kI32,
  kU32,
  kI16,
  kU16,
  kI8,
  kU8,
  kBool,
  kF8E4M3,
  kF8E5M2,
};

// F32, F16 and BF16: the types read_f32 converts.
bool is_readable(DType dtype);

// "F32", "F16", "BF16": the spelling safetensors headers use.
const char* dtype_name(DType dtype);
// Bytes per element.
std::size_t dtype_size(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::size_t> shape;  // empty for a scalar
  std::size_t elements = 0;        // product of shape (1 for a scalar)
  std::size_t begin = 0, end = 0;  // byte offsets in the data section
};

// The format's own bound on the JSON header (as in the reference
// implementation); a larger header is refused with Code::kTooLarge.
inline constexpr std::size_t kMaxSafetensorsHeader = 100'000'000;
// Parsed JSON costs ~50-90 bytes per value whatever its text size, so a
// header of a few megabytes of "[0,0,0,..." could exhaust the 2 GiB wasm heap.
// Real headers hold ~15 values per tensor: this allows ~70k tensors.
inline constexpr std::size_t kMaxSafetensorsHeaderValues = std::size_t{1} << 20;
inline constexpr std::size_t kMaxSafetensorsRank = 8;

class SafeTensors {
 public:
  // Does not copy: `data` must outlive the object. Validates everything up
  // front; errors are kParseError unless the format's limits are exceeded
  // (kTooLarge) or a dtype other than F32/F16/BF16 appears (kUnsupported).
  static Result<SafeTensors> parse(const std::uint8_t* data, std::size_t size);

  // nullptr if absent.
  const TensorInfo* find(std::string_view name) const;
  // In header order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // "__metadata__" entries, in header order.
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  // The data section (after the header).
  const std::uint8_t* data() const { return data_; }
  std::size_t data_size() const { return data_size_; }

  // Converts to float32 (F16 and BF16 exactly, NaN payloads included); `out`
  // holds info.elements floats. `info` must come from this object and have a
  // readable dtype (is_readable); others leave `out` untouched.
  void read_f32(const TensorInfo& info, float* out) const;
  // Same, but refuses NaN/Inf with Code::kNonFinite naming the tensor and the
  // first such element (`out` is then filled but must not be used), and a
  // non-float dtype with Code::kUnsupported (then `out` is untouched).
  // 8-bit weights read too: an I8 tensor `X` with a float tensor `X_scale`
  // holding one scale per row of X's stored layout (every axis but the last)
  // or one for all: X[r][c] = q[r][c] * scale[r] (compressed-tensors' naming).
  Status read_f32_finite(const TensorInfo& info, float* out) const;

 private:
  Status read_int8(const TensorInfo& info, float* out) const;
  SafeTensors() = default;
  void build_index();

  const std::uint8_t* data_ = nullptr;  // the data section
  std::size_t data_size_ = 0;
  std::vector<TensorInfo> tensors_;
  std::vector<std::pair<std::string, std::string>> metadata_;
  // Open-addressing hash table of indices into tensors_ (kEmptySlot = free):
  // indices rather than string_views, so copies and moves stay valid.
  std::vector<std::uint32_t> slots_;
};

// Scalar conversions, exact for every bit pattern (exposed for tests and for
// loaders converting single values).
float f16_to_f32(std::uint16_t bits);
float bf16_to_f32(std::uint16_t bits);

}  // namespace attnscope::io
