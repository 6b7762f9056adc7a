// A call staged in wasm memory, for ops called often on small inputs. The JS
// layer (src/js/staged.ts) writes a header of doubles into its handle (the
// call's sizes and flags, then each array's byte offset and length); stage()
// checks it and allocates a block for the arrays; JS copies the inputs in;
// the call reads them in place and writes its results into their slots; JS
// copies those out. Nothing crosses through emval: reading an options object
// key by key (a JS string, a property lookup and a type check per key) cost
// ~6 us per call, an eighth of a 16-token, 12-head attention op.
//
// The slot names come from C++ (Layout, handed to JS once per module), so the
// two sides cannot disagree on the order. The header is untrusted: every
// array must be aligned, apart from the others and inside the block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/limits.hpp"
#include "core/status.hpp"

namespace attnscope::bindings {

// Names of a call's header slots, in order: scalars first, then arrays.
struct Layout {
  const char* const* scalars;
  std::size_t scalar_count;
  const char* const* arrays;
  std::size_t array_count;
  const std::size_t* element_bytes;  // per array: 4 (float32) or 1 (uint8)
};

// Arrays start on 16-byte boundaries of the block.
inline constexpr std::size_t kStageAlign = 16;

// The block a staged call's arrays live in, owned by its handle and freed
// after every call.
class StageBlock {
 public:
  StageBlock() = default;
  ~StageBlock() { release(); }
  StageBlock(const StageBlock&) = delete;
  StageBlock& operator=(const StageBlock&) = delete;

  // A fresh block of `bytes` (the previous one is freed); false if out of
  // memory. (JS indexes HEAPF32 from its address: malloc's alignment does.)
  bool allocate(std::size_t bytes) {
    release();
    data_ = bytes ? static_cast<std::uint8_t*>(std::malloc(bytes)) : nullptr;
    bytes_ = data_ ? bytes : 0;
    return data_ != nullptr;
  }
  void release() {
    std::free(data_);
    data_ = nullptr;
    bytes_ = 0;
  }
  std::uint8_t* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t bytes_ = 0;
};

// A staged call's header: scalars, then per array its byte offset in the
// block and its element count (0: absent). JS writes it; nothing in it is
// trusted. (Out of line: each check builds its message, and inlined at every
// call site they cost the module kilobytes.)
class Staged {
 public:
  Staged(const Layout& layout, const double* header) : layout_(layout), header_(header) {}

  // Checks that every present array is aligned, of a size a block can have,
  // and apart from the others; `bytes` is then the block size they need.
  Status open(std::size_t& bytes) const;

  double scalar(std::size_t slot) const { return header_[slot]; }

  // Scalar `slot` as an integer within [0, max].
  Status size(std::size_t slot, std::size_t max, std::size_t& out) const;

  // Checks that array `slot` holds exactly `expected` elements (or is absent
  // when `optional`, or when nothing is expected).
  Status expect(std::size_t slot, std::size_t expected, bool optional) const;

  // Byte offset of array `slot` in the block, or -1 when absent (after open()).
  std::ptrdiff_t offset(std::size_t slot) const {
    return length(slot) == 0 ? -1 : static_cast<std::ptrdiff_t>(header_[layout_.scalar_count + 2 * slot]);
  }

 private:
  double length(std::size_t i) const { return header_[layout_.scalar_count + 2 * i + 1]; }
  // Byte range [off, end) of array i (empty when absent).
  Status extent(std::size_t i, std::size_t& off, std::size_t& end) const;

  const Layout& layout_;
  const double* header_;
};

}  // namespace attnscope::bindings
