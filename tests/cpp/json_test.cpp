// The bounded JSON reader: what it accepts (RFC 8259, \u escapes to UTF-8)
// and that every malformed document is a kParseError rather than a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "io/json.hpp"

namespace attnscope {
namespace {

json::Value parse_ok(std::string_view text) {
  Result<json::Value> r = json::parse(text);
  EXPECT_TRUE(r.is_ok()) << "'" << text << "': " << r.status().to_string();
  return r.is_ok() ? r.value() : json::Value();
}

std::string parse_string(std::string_view literal) {
  return parse_ok(literal).as_string();
}

void expect_parse_error(std::string_view text) {
  Result<json::Value> r = json::parse(text);
  EXPECT_FALSE(r.is_ok()) << "accepted '" << text << "'";
  EXPECT_EQ(r.status().code(), Code::kParseError) << "'" << text << "': " << r.status().to_string();
}

TEST(Json, Scalars) {
  EXPECT_TRUE(parse_ok("null").is_null());
  EXPECT_TRUE(parse_ok("true").as_bool());
  EXPECT_TRUE(parse_ok("false").is_bool());
  EXPECT_FALSE(parse_ok("false").as_bool());
  EXPECT_EQ(parse_ok("\"hi\"").as_string(), "hi");
  EXPECT_EQ(parse_ok(" \t\r\n 42 \n").as_number(), 42.0);
}

TEST(Json, Numbers) {
  EXPECT_EQ(parse_ok("0").as_number(), 0.0);
  EXPECT_TRUE(std::signbit(parse_ok("-0").as_number()));
  EXPECT_EQ(parse_ok("-12").as_number(), -12.0);
  EXPECT_EQ(parse_ok("1.5").as_number(), 1.5);
  EXPECT_EQ(parse_ok("-2e3").as_number(), -2000.0);
  EXPECT_EQ(parse_ok("1E+2").as_number(), 100.0);
  EXPECT_EQ(parse_ok("25e-1").as_number(), 2.5);
  EXPECT_EQ(parse_ok("0.125E1").as_number(), 1.25);
  EXPECT_EQ(parse_ok("1.7976931348623157e308").as_number(), 1.7976931348623157e308);
  EXPECT_EQ(parse_ok("1e-400").as_number(), 0.0);  // underflow rounds, it is not an error
  EXPECT_EQ(parse_ok("9007199254740993").as_number(), 9007199254740992.0);
}

TEST(Json, IsIndex) {
  EXPECT_TRUE(parse_ok("0").is_index());
  EXPECT_TRUE(parse_ok("3.0").is_index());
  EXPECT_TRUE(parse_ok("1e3").is_index());
  EXPECT_TRUE(parse_ok("9007199254740992").is_index());  // 2^53
  EXPECT_FALSE(parse_ok("9007199254740994").is_index());
  EXPECT_FALSE(parse_ok("1e300").is_index());
  EXPECT_FALSE(parse_ok("-1").is_index());
  EXPECT_FALSE(parse_ok("1.5").is_index());
  EXPECT_FALSE(parse_ok("\"1\"").is_index());
}

TEST(Json, NestingAndOrder) {
  const json::Value v = parse_ok(R"({"b": [1, {"c": [true, null]}, []], "a": {}, "z": "s"})");
  ASSERT_TRUE(v.is_object());
  const json::Object& o = v.as_object();
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].first, "b");  // document order, not sorted
  EXPECT_EQ(o[1].first, "a");
  EXPECT_EQ(o[2].first, "z");
  const json::Array& b = v.find("b")->as_array();
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].as_number(), 1.0);
  EXPECT_TRUE(b[1].find("c")->as_array()[0].as_bool());
  EXPECT_TRUE(b[1].find("c")->as_array()[1].is_null());
  EXPECT_TRUE(b[2].is_array());
  EXPECT_TRUE(b[2].as_array().empty());
  EXPECT_TRUE(v.find("a")->as_object().empty());
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(b[0].find("x"), nullptr);  // not an object
}

TEST(Json, WrongTypeAccessorsReadAsEmpty) {
  const json::Value v = parse_ok("[1]");
  EXPECT_EQ(v.as_string(), "");
  EXPECT_TRUE(v.as_object().empty());
  EXPECT_EQ(v.as_number(), 0.0);
  EXPECT_FALSE(v.as_bool());
  EXPECT_TRUE(parse_ok("\"x\"").as_array().empty());
}

TEST(Json, Escapes) {
  EXPECT_EQ(parse_string(R"("a\"b\\c\/d")"), "a\"b\\c/d");
  EXPECT_EQ(parse_string(R"("\b\f\n\r\t")"), "\b\f\n\r\t");
  EXPECT_EQ(parse_string(R"("\u0041\u00e9\u20AC")"), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(parse_string(R"("\u0000")"), std::string(1, '\0'));
  EXPECT_EQ(parse_string("\"caf\xC3\xA9 \xF0\x9F\x98\x80\""), "caf\xC3\xA9 \xF0\x9F\x98\x80");  // raw UTF-8
}

TEST(Json, SurrogatePairs) {
  EXPECT_EQ(parse_string(R"("\ud83d\ude00")"), "\xF0\x9F\x98\x80");  // U+1F600
  EXPECT_EQ(parse_string(R"("\uD800\uDC00")"), "\xF0\x90\x80\x80");  // U+10000
  EXPECT_EQ(parse_string(R"("\udbff\udfff")"), "\xF4\x8F\xBF\xBF");  // U+10FFFF
}

TEST(Json, LoneSurrogatesBecomeReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(parse_string(R"("\ud800")"), fffd);
  EXPECT_EQ(parse_string(R"("\udc00")"), fffd);
  EXPECT_EQ(parse_string(R"("x\ud800y")"), "x" + fffd + "y");
  EXPECT_EQ(parse_string(R"("\ud800\u0041")"), fffd + "A");   // high + non-surrogate
  EXPECT_EQ(parse_string(R"("\ud800\ud800")"), fffd + fffd);  // two highs
  EXPECT_EQ(parse_string(R"("\udc00\ud800")"), fffd + fffd);  // reversed pair
  EXPECT_EQ(parse_string(R"("\ud83d\ud83d\ude00")"), fffd + "\xF0\x9F\x98\x80");
}

TEST(Json, DepthLimit) {
  const auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(json::parse(nested(128)).is_ok());
  expect_parse_error(nested(129));
  expect_parse_error(std::string(100000, '['));  // no stack overflow
  std::string objects;
  for (int i = 0; i < 200; ++i) objects += "{\"a\":";
  expect_parse_error(objects + "1" + std::string(200, '}'));

  json::ParseLimits limits;
  limits.max_depth = 2;
  EXPECT_TRUE(json::parse("[[1]]", limits).is_ok());
  EXPECT_FALSE(json::parse("[[[1]]]", limits).is_ok());
  EXPECT_FALSE(json::parse("[{\"a\":[]}]", limits).is_ok());
}

TEST(Json, SizeLimitIsTooLarge) {
  json::ParseLimits limits;
  limits.max_bytes = 4;
  EXPECT_TRUE(json::parse("1234", limits).is_ok());
  const Result<json::Value> r = json::parse("12345", limits);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kTooLarge);
}

TEST(JsonInvalid, Structure) {
  for (const char* text :
       {"",      " ",       "{",         "}",          "[",         "]",          "[1,",
        "[1,]",  "[,1]",    "[1 2]",     "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}",   "{a:1}",
        "{1:1}", "{'a':1}", "{\"a\",1}", "[1}",        "{\"a\":1]", "tru",        "nul",
        "True",  "nulls",   "[1] x",     "1 2",        "{}{}",      "\"a\"\"b\"", "/* */1"})
    expect_parse_error(text);
}

TEST(JsonInvalid, Numbers) {
  for (const char* text : {"01", "-01", "00", "-", "+1", "1.", ".5", "1e", "1e+", "-e1", "1.e3", "0x10",
                           "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1_000", "١"})
    expect_parse_error(text);
}

TEST(JsonInvalid, Strings) {
  for (const char* text : {"\"abc", "\"\\", "\"\\\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\U0041\"",
                           "\"\\ud800\\u12\"", "\"\\'\"", "'a'"})
    expect_parse_error(text);
  for (int c = 0; c < 0x20; ++c) expect_parse_error("\"a" + std::string(1, static_cast<char>(c)) + "b\"");
  expect_parse_error(std::string("[\"a\"\0]", 6));  // NUL outside a string
}

TEST(JsonInvalid, DuplicateKeys) {
  expect_parse_error(R"({"a": 1, "a": 2})");
  expect_parse_error(R"({"a": 1, "b": {"c": 1, "c": 1}})");
  expect_parse_error(R"({"\u0061": 1, "a": 2})");                         // equal after unescaping
  EXPECT_TRUE(json::parse(R"({"a": {"a": 1}, "b": {"a": 2}})").is_ok());  // same key, other objects
}

TEST(JsonInvalid, EveryTruncationIsAnError) {
  const std::string doc = R"({"k": [1.5e-3, -2, "s\u00e9\ud83d\ude00", {"t": true, "f": false, "n": null}]})";
  ASSERT_TRUE(json::parse(doc).is_ok());
  for (std::size_t n = 0; n < doc.size(); ++n) expect_parse_error(doc.substr(0, n));
}

TEST(JsonInvalid, RandomBytesNeverCrash) {
  // Mutations of a valid document: most are errors, none may crash.
  const std::string doc = R"({"a": [1, 2.5e3, "x\n\u00e9", {"b": null, "c": [true, false]}], "d": -0.5})";
  std::mt19937 rng(1234);
  const std::string alphabet = "{}[]\",:\\u0123456789.eE+-truefalsn \t\x01\xff";
  std::size_t accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = doc;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % s.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: s[at] = c; break;
        case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: s.erase(at, 1);
      }
    }
    const Result<json::Value> r = json::parse(s);
    if (r.is_ok())
      ++accepted;
    else
      EXPECT_EQ(r.status().code(), Code::kParseError) << s;
  }
  EXPECT_GT(accepted, 0u);
}

TEST(JsonInvalid, ErrorsNameTheOffset) {
  const Result<json::Value> r = json::parse("[1, 2, x]");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("byte 7"), std::string::npos) << r.status().message();
}

TEST(Json, TypeError) {
  const Status s = json::type_error("config.json", "n_layer", "a number");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_EQ(s.message(), "config.json: n_layer must be a number");
}

}  // namespace
}  // namespace attnscope
