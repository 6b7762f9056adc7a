// A block of wasm memory the JS layer fills in chunks (a model file streamed
// from the network lands here directly, without a second full copy in JS).
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <cstdlib>

#include "bindings/convert.hpp"

namespace attnscope::bindings {

class Buffer {
 public:
  // malloc, not new: a failed allocation must be reportable, not an abort.
  explicit Buffer(double size)
      : size_(size >= 0 && size <= 2147483647.0 ? static_cast<std::size_t>(size) : 0),
        data_(size_ ? static_cast<std::uint8_t*>(std::malloc(size_)) : nullptr) {}
  ~Buffer() { std::free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  bool ok() const { return data_ != nullptr; }
  double size() const { return static_cast<double>(size_); }
  const std::uint8_t* data() const { return data_; }
  std::size_t bytes() const { return size_; }

  // Copies a Uint8Array into [offset, offset + chunk.length); false if it does not fit.
  bool write(double offset, const val& chunk) {
    const double n = chunk["length"].as<double>();
    if (!data_ || !(offset >= 0) || !(n >= 0) || offset + n > static_cast<double>(size_)) return false;
    val(emscripten::typed_memory_view(static_cast<std::size_t>(n), data_ + static_cast<std::size_t>(offset)))
        .call<void>("set", chunk);
    return true;
  }

  // Frees the memory now (the model has copied what it needs).
  void release() {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
  }

 private:
  std::size_t size_;
  std::uint8_t* data_;
};

}  // namespace attnscope::bindings
