// libFuzzer target: json::parse on arbitrary bytes. An accepted document must
// survive a print/re-parse round trip unchanged; a refused one must be a
// kParseError (or kTooLarge). Also replayed by tests/cpp/fuzz_regressions_test.cpp.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "io/json.hpp"

namespace {

using attnscope::json::Value;

void print(const Value& v, std::string& out) {
  switch (v.type()) {
    case Value::Type::kNull: out += "null"; return;
    case Value::Type::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Type::kNumber: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.as_number());  // round-trips every double
      out += buf;
      return;
    }
    case Value::Type::kString: {
      out += '"';
      for (const char c : v.as_string()) {
        if (c == '"' || c == '\\') {
          out += '\\';
          out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
      }
      out += '"';
      return;
    }
    case Value::Type::kArray: {
      out += '[';
      for (const Value& item : v.as_array()) {
        if (out.back() != '[') out += ',';
        print(item, out);
      }
      out += ']';
      return;
    }
    case Value::Type::kObject: {
      out += '{';
      for (const auto& [key, item] : v.as_object()) {
        if (out.back() != '{') out += ',';
        print(Value::string(key), out);
        out += ':';
        print(item, out);
      }
      out += '}';
      return;
    }
  }
}

bool same(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::kNull: return true;
    case Value::Type::kBool: return a.as_bool() == b.as_bool();
    case Value::Type::kNumber: {
      const double x = a.as_number(), y = b.as_number();
      return std::memcmp(&x, &y, sizeof x) == 0;  // -0 stays -0
    }
    case Value::Type::kString: return a.as_string() == b.as_string();
    case Value::Type::kArray: {
      const auto &x = a.as_array(), &y = b.as_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!same(x[i], y[i])) return false;
      return true;
    }
    case Value::Type::kObject: {
      const auto &x = a.as_object(), &y = b.as_object();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (x[i].first != y[i].first || !same(x[i].second, y[i].second) || a.find(x[i].first) != &x[i].second)
          return false;
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const attnscope::Result<Value> doc = attnscope::json::parse(text);
  if (!doc.is_ok()) {
    const attnscope::Code code = doc.status().code();
    if (code != attnscope::Code::kParseError && code != attnscope::Code::kTooLarge) __builtin_trap();
    return 0;
  }
  std::string printed;
  print(doc.value(), printed);
  const attnscope::Result<Value> again = attnscope::json::parse(printed);
  if (!again.is_ok() || !same(doc.value(), again.value())) __builtin_trap();
  return 0;
}
