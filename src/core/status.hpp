// Errors as values. Emscripten builds without C++ exception support, where a
// `throw` aborts the whole module, so every fallible call returns a Status or
// a Result<T> instead.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace attnscope {

enum class Code : unsigned char {
  kOk = 0,
  kInvalidArgument,  // a value outside its documented domain
  kShapeMismatch,    // tensor shapes that do not agree
  kNonFinite,        // NaN or infinity in an input
  kTooLarge,         // beyond a documented size limit
  kParseError,       // malformed file or text
  kUnsupported,      // valid input we do not handle (dtype, architecture)
  kNotFound,         // a required entry is absent
  kOutOfMemory,      // an allocation failed
  kInternal,         // a bug: an invariant did not hold
};

// Stable snake_case names; the JavaScript error codes are these strings.
const char* code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "shape_mismatch: q has 3 columns but k has 4"
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design
  Result(Code code, std::string message) : status_(code, std::move(message)) {}

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace attnscope

// Propagates a failed Status from an expression returning Status.
#define ATTNSCOPE_RETURN_IF_ERROR(expr) \
  do {                                  \
    ::attnscope::Status _st = (expr);   \
    if (!_st.is_ok()) return _st;       \
  } while (0)
