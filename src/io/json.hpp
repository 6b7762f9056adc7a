// A small JSON reader for the files models come with (config.json,
// tokenizer.json, safetensors headers). Hostile input gets a Status, never an
// abort: nesting depth and sizes are bounded, and accessors never throw (a
// value of the wrong type reads as empty/zero; check the type first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"

namespace attnscope::json {

class Value;
using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;
using Object = std::vector<Member>;  // in document order; duplicate keys refused

class Value {
 public:
  enum class Type : unsigned char { kNull, kBool, kNumber, kString, kArray, kObject };

  Value() = default;
  static Value boolean(bool b);
  static Value number(double d);
  static Value string(std::string s);
  static Value array(Array a);
  static Value object(Object o);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }
  // A number with no fractional part within [0, 2^53].
  bool is_index() const;

  bool as_bool() const { return type_ == Type::kBool && bool_; }
  double as_number() const { return type_ == Type::kNumber ? number_ : 0.0; }
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;

  // Member of an object, or nullptr (also when this is not an object).
  const Value* find(std::string_view key) const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0.0;
  std::string string_;
  // Shared so copies are cheap; parsed documents are immutable.
  std::shared_ptr<const Array> array_;
  std::shared_ptr<const Object> object_;
};

struct ParseLimits {
  std::size_t max_depth = 128;
  std::size_t max_bytes = std::size_t{64} << 20;  // 64 MiB of text
};

// Parses one JSON document (RFC 8259). Strings are UTF-8; \u escapes of lone
// surrogates become U+FFFD.
Result<Value> parse(std::string_view text, const ParseLimits& limits = {});

// Path-qualified type errors for loaders: "config.json: n_layer must be a number".
Status type_error(std::string_view where, std::string_view key, std::string_view expected);

}  // namespace attnscope::json
