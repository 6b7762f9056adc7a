#include "core/status.hpp"

namespace attnscope {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kShapeMismatch: return "shape_mismatch";
    case Code::kNonFinite: return "non_finite";
    case Code::kTooLarge: return "too_large";
    case Code::kParseError: return "parse_error";
    case Code::kUnsupported: return "unsupported";
    case Code::kNotFound: return "not_found";
    case Code::kOutOfMemory: return "out_of_memory";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(code_name(code_)) + ": " + message_;
}

}  // namespace attnscope
