#include "io/json.hpp"

#include "core/utf8.hpp"

#include <cmath>
#include <cstdlib>
#include <unordered_set>

namespace attnscope::json {

Value Value::boolean(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}
Value Value::number(double d) {
  Value v;
  v.type_ = Type::kNumber;
  v.number_ = d;
  return v;
}
Value Value::string(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.string_ = std::move(s);
  return v;
}
Value Value::array(Array a) {
  Value v;
  v.type_ = Type::kArray;
  v.array_ = std::make_shared<const Array>(std::move(a));
  return v;
}
Value Value::object(Object o) {
  Value v;
  v.type_ = Type::kObject;
  v.object_ = std::make_shared<const Object>(std::move(o));
  return v;
}

bool Value::is_index() const {
  return type_ == Type::kNumber && number_ >= 0 && number_ <= 9007199254740992.0 &&
         std::floor(number_) == number_;
}

const std::string& Value::as_string() const {
  static const std::string kEmpty;
  return type_ == Type::kString ? string_ : kEmpty;
}
const Array& Value::as_array() const {
  static const Array kEmpty;
  return array_ ? *array_ : kEmpty;
}
const Object& Value::as_object() const {
  static const Object kEmpty;
  return object_ ? *object_ : kEmpty;
}
const Value* Value::find(std::string_view key) const {
  if (!object_) return nullptr;
  for (const auto& [k, v] : *object_)
    if (k == key) return &v;
  return nullptr;
}

Status type_error(std::string_view where, std::string_view key, std::string_view expected) {
  return {Code::kParseError,
          std::string(where) + ": " + std::string(key) + " must be " + std::string(expected)};
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, const ParseLimits& limits) : s_(text), limits_(limits) {}

  Result<Value> document() {
    skip_space();
    Value v;
    if (!value(v, 0)) return error_;
    skip_space();
    if (pos_ != s_.size()) return fail("unexpected content after the document");
    return v;
  }

 private:
  std::string_view s_;
  ParseLimits limits_;
  std::size_t pos_ = 0;
  Status error_;

  bool fail_b(const std::string& what) {
    error_ = Status(Code::kParseError, "JSON: " + what + " at byte " + std::to_string(pos_));
    return false;
  }
  Status fail(const std::string& what) {
    fail_b(what);
    return error_;
  }

  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail_b("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool value(Value& out, std::size_t depth) {
    if (pos_ >= s_.size()) return fail_b("unexpected end of input");
    switch (s_[pos_]) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"': {
        std::string str;
        if (!string(str)) return false;
        out = Value::string(std::move(str));
        return true;
      }
      case 't': out = Value::boolean(true); return literal("true");
      case 'f': out = Value::boolean(false); return literal("false");
      case 'n': out = Value(); return literal("null");
      default: return number(out);
    }
  }

  bool object(Value& out, std::size_t depth) {
    if (depth > limits_.max_depth) return fail_b("nesting deeper than " + std::to_string(limits_.max_depth));
    ++pos_;  // '{'
    Object members;
    std::unordered_set<std::string> seen;  // duplicate keys are ambiguous: refuse them
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      out = Value::object(std::move(members));
      return true;
    }
    while (true) {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail_b("expected a string key");
      std::string key;
      if (!string(key)) return false;
      if (!seen.insert(key).second) return fail_b("duplicate key \"" + key.substr(0, 64) + "\"");
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail_b("expected ':'");
      ++pos_;
      skip_space();
      Value v;
      if (!value(v, depth)) return false;
      members.emplace_back(std::move(key), std::move(v));
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        break;
      }
      return fail_b("expected ',' or '}'");
    }
    out = Value::object(std::move(members));
    return true;
  }

  bool array(Value& out, std::size_t depth) {
    if (depth > limits_.max_depth) return fail_b("nesting deeper than " + std::to_string(limits_.max_depth));
    ++pos_;  // '['
    Array items;
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      out = Value::array(std::move(items));
      return true;
    }
    while (true) {
      skip_space();
      Value v;
      if (!value(v, depth)) return false;
      items.push_back(std::move(v));
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        break;
      }
      return fail_b("expected ',' or ']'");
    }
    out = Value::array(std::move(items));
    return true;
  }

  bool number(Value& out) {
    const std::size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      const std::size_t b = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - b;
    };
    const std::size_t int_start = pos_;
    const std::size_t n = digits();
    if (n == 0) return fail_b("invalid value");
    if (n > 1 && s_[int_start] == '0') return fail_b("leading zero in a number");
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return fail_b("digits expected after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) return fail_b("digits expected in the exponent");
    }
    const std::string token(s_.substr(start, pos_ - start));
    const double d = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(d)) return fail_b("number out of range");
    out = Value::number(d);
    return true;
  }

  bool hex4(std::uint32_t& cp) {
    if (pos_ + 4 > s_.size()) return fail_b("truncated \\u escape");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      cp <<= 4;
      if (c >= '0' && c <= '9')
        cp |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        cp |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        cp |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        return fail_b("invalid \\u escape");
    }
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return fail_b("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return fail_b("control character in a string");
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      if (++pos_ >= s_.size()) return fail_b("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            const std::size_t save = pos_;
            pos_ += 2;
            std::uint32_t lo = 0;
            if (!hex4(lo)) return false;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              pos_ = save;  // not a pair: the high half stands alone
              cp = 0xFFFD;
            }
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          append_utf8(out, static_cast<char32_t>(cp));
          break;
        }
        default: return fail_b("invalid escape");
      }
    }
  }
};

}  // namespace

Result<Value> parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes)
    return Status(Code::kTooLarge, "JSON text of " + std::to_string(text.size()) +
                                       " bytes is above the limit of " + std::to_string(limits.max_bytes));
  return Parser(text, limits).document();
}

}  // namespace attnscope::json
