// Moving data across the JS boundary: one copy in (a JS typed array into a
// std::vector on the wasm heap), one copy out (a fresh JS Float32Array, so no
// live view of the heap ever reaches the caller), and Status -> JS values.
// The TypeScript layer has already checked every type; sizes are re-checked
// here because a wrong one must give an error, not an abort.
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <string>
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

// Copies the typed array opts[key] (of exactly `expected` elements) in.
// An absent key gives an empty vector when `optional`.
template <class T>
Status read_array(const val& opts, const char* key, std::size_t expected, bool optional,
                  std::vector<T>& out) {
  const val v = opts[key];
  if (v.isUndefined() || v.isNull()) {
    if (optional) {
      out.clear();
      return Status::ok();
    }
    return {Code::kInvalidArgument, std::string(key) + " is required"};
  }
  const val length = v["length"];
  if (!length.isNumber()) return {Code::kInvalidArgument, std::string(key) + " must be a typed array"};
  const double n = length.as<double>();
  if (n != static_cast<double>(expected))
    return {Code::kShapeMismatch, std::string(key) + " has " + std::to_string(static_cast<long long>(n)) +
                                      " elements, its shape says " + std::to_string(expected)};
  if (expected > limits::kMaxElements) return {Code::kTooLarge, std::string(key) + " is too large"};
  out = emscripten::convertJSArrayToNumberVector<T>(v);
  return Status::ok();
}

// A JS Float32Array holding a copy of [data, data + n).
inline val to_js(const float* data, std::size_t n) {
  val out = val::global("Float32Array").new_(n);
  out.call<void>("set", val(emscripten::typed_memory_view(n, data)));
  return out;
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
