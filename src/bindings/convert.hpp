// Moving data across the JS boundary: one copy in (a JS typed array into a
// std::vector on the wasm heap), one copy out (into a fresh JS Float32Array,
// or the caller's own, so no live view of the heap ever reaches the caller),
// and Status -> JS values.
// The TypeScript layer has already checked every type; sizes are re-checked
// here because a wrong one must give an error, not an abort.
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "core/limits.hpp"
#include "core/status.hpp"

namespace attnscope::bindings {

using emscripten::val;

// opts[key] as a non-negative integer no larger than `max`.
inline Status read_size(const val& opts, const char* key, std::size_t max, std::size_t& out) {
  const val v = opts[key];
  if (!v.isNumber()) return {Code::kInvalidArgument, std::string(key) + " must be a number"};
  const double d = v.as<double>();
  if (!(d >= 0 && d <= static_cast<double>(max)) || d != static_cast<double>(static_cast<std::size_t>(d)))
    return {Code::kTooLarge,
            std::string(key) + " must be an integer within [0, " + std::to_string(max) + "]"};
  out = static_cast<std::size_t>(d);
  return Status::ok();
}

// Checks that opts[key] is an array of exactly `expected` elements, or absent
// when `optional` (then `present` is false).
inline Status check_array(const val& opts, const char* key, std::size_t expected, bool optional, val& v,
                          bool& present) {
  v = opts[key];
  present = !(v.isUndefined() || v.isNull());
  if (!present)
    return optional ? Status::ok() : Status(Code::kInvalidArgument, std::string(key) + " is required");
  const val length = v["length"];
  if (!length.isNumber()) return {Code::kInvalidArgument, std::string(key) + " must be a typed array"};
  const double n = length.as<double>();
  if (n != static_cast<double>(expected))
    return {Code::kShapeMismatch, std::string(key) + " has " + std::to_string(static_cast<long long>(n)) +
                                      " elements, its shape says " + std::to_string(expected)};
  if (expected > limits::kMaxElements) return {Code::kTooLarge, std::string(key) + " is too large"};
  return Status::ok();
}

// Copies the typed array opts[key] (of exactly `expected` elements) in.
// An absent key gives an empty vector when `optional`.
template <class T>
Status read_array(const val& opts, const char* key, std::size_t expected, bool optional,
                  std::vector<T>& out) {
  val v = val::undefined();
  bool present = false;
  out.clear();
  ATTNSCOPE_RETURN_IF_ERROR(check_array(opts, key, expected, optional, v, present));
  if (present) out = emscripten::convertJSArrayToNumberVector<T>(v);
  return Status::ok();
}

// Floats on the wasm heap, not zeroed first: every element is overwritten
// (copied in from JS, or written by a kernel), and zeroing megabytes per call
// showed in the op's time. Empty (data() == nullptr) if malloc failed.
class Floats {
 public:
  Floats() = default;
  explicit Floats(std::size_t n)
      : data_(n ? static_cast<float*>(std::malloc(n * sizeof(float))) : nullptr), size_(data_ ? n : 0) {}
  ~Floats() { std::free(data_); }
  Floats(Floats&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }
  Floats& operator=(Floats&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  float* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  float* data_ = nullptr;
  std::size_t size_ = 0;
};

// Copies the Float32Array opts[key] (exactly `expected` elements) onto the
// heap; an absent key leaves `out` empty when `optional`.
inline Status read_floats(const val& opts, const char* key, std::size_t expected, bool optional,
                          Floats& out) {
  val v = val::undefined();
  bool present = false;
  out = Floats();
  ATTNSCOPE_RETURN_IF_ERROR(check_array(opts, key, expected, optional, v, present));
  if (!present || expected == 0) return Status::ok();
  out = Floats(expected);
  if (out.empty()) return {Code::kOutOfMemory, "not enough memory to copy " + std::string(key) + " in"};
  val(emscripten::typed_memory_view(expected, out.data())).call<void>("set", v);
  return Status::ok();
}

// A JS Float32Array holding a copy of [data, data + n). new + set(view), not
// view.slice(): slice() on a view of wasm memory measured 2x slower in both
// V8s here (786 KB: Node 555 vs 263 us, Chromium 2.3 vs 1.1 ms).
inline val to_js(const float* data, std::size_t n) {
  val out = val::global("Float32Array").new_(n);
  out.call<void>("set", val(emscripten::typed_memory_view(n, data)));
  return out;
}

// The caller's array for a result (opts[key], optional): checked before any
// work to hold exactly `expected` elements, so the copy out cannot fail.
inline Status check_out(const val& opts, const char* key, std::size_t expected) {
  val v = val::undefined();
  bool present = false;
  return check_array(opts, key, expected, true, v, present);
}

// A result's JS array: a copy of [data, data + n) in the caller's opts[key]
// (checked by check_out) when there is one, else in a fresh Float32Array.
inline val result_array(const val& opts, const char* key, const float* data, std::size_t n) {
  val target = opts[key];
  if (target.isUndefined() || target.isNull()) return to_js(data, n);
  target.call<void>("set", val(emscripten::typed_memory_view(n, data)));
  return target;
}

inline val error_value(const Status& st) {
  val out = val::object();
  out.set("ok", false);
  out.set("code", std::string(code_name(st.code())));
  out.set("message", st.message());
  return out;
}

inline val ok_value() {
  val out = val::object();
  out.set("ok", true);
  return out;
}

}  // namespace attnscope::bindings
