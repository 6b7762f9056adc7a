// The tokenizers' Unicode layer: UTF-8 decoding of hostile bytes (as
// TextDecoder does it), Python's str.lower() and BERT's accent stripping, and
// GPT-2's hand-written pre-tokenizer regex.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokenizer/byte_level_bpe.hpp"
#include "tokenizer/unicode.hpp"

namespace attnscope::tokenizer {
namespace {

using unicode::Mapped;

std::vector<Mapped> mapped(std::u32string_view s) {
  std::vector<Mapped> out;
  for (std::size_t i = 0; i < s.size(); ++i) out.push_back({s[i], static_cast<std::uint32_t>(i)});
  return out;
}
std::u32string chars(const std::vector<Mapped>& m) {
  std::u32string out;
  for (const Mapped& x : m) out += x.cp;
  return out;
}
std::u32string lower(std::u32string_view s) {
  std::vector<Mapped> out;
  unicode::lower_word(mapped(s), out);
  return chars(out);
}
std::u32string strip(std::u32string_view s) {
  std::vector<Mapped> out;
  unicode::strip_accents(mapped(s), out);
  return chars(out);
}

TEST(TokenizerUnicode, Version) {
  EXPECT_STREQ(unicode::version(), "14.0.0");
}

TEST(TokenizerUnicode, DecodeValidUtf8) {
  const std::string s = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // a é 中 😀
  std::vector<char32_t> got;
  for (std::size_t i = 0; i < s.size();) {
    const auto d = unicode::decode(s, i);
    EXPECT_TRUE(d.valid);
    got.push_back(d.cp);
    i += d.len;
  }
  EXPECT_EQ(got, (std::vector<char32_t>{'a', 0xE9, 0x4E2D, 0x1F600}));
}

// Maximal subparts, one U+FFFD each: the WHATWG / Unicode recommendation
// TextDecoder and Rust's from_utf8_lossy follow.
TEST(TokenizerUnicode, InvalidUtf8BecomesReplacementPerMaximalSubpart) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(unicode::to_valid_utf8("\xFF"), r);
  EXPECT_EQ(unicode::to_valid_utf8("\x80\x80"), r + r);
  EXPECT_EQ(unicode::to_valid_utf8("caf\xC3"), "caf" + r);
  EXPECT_EQ(unicode::to_valid_utf8("\xE4\xB8"), r);  // truncated 3-byte: one
  EXPECT_EQ(unicode::to_valid_utf8("\xE4\xB8x"), r + "x");
  EXPECT_EQ(unicode::to_valid_utf8("\xED\xA0\x80"), r + r + r);  // a surrogate: E D is not followed by A0
  EXPECT_EQ(unicode::to_valid_utf8("\xC0\xAF"), r + r);          // overlong lead
  EXPECT_EQ(unicode::to_valid_utf8("\xE0\x80\xAF"), r + r + r);
  EXPECT_EQ(unicode::to_valid_utf8("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(unicode::to_valid_utf8("\xF0\x9F\x98"), r);
  EXPECT_EQ(unicode::to_valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(TokenizerUnicode, Classes) {
  using C = unicode::Class;
  EXPECT_EQ(unicode::char_class('a'), C::kLetter);
  EXPECT_EQ(unicode::char_class(0x4E2D), C::kLetter);
  EXPECT_EQ(unicode::char_class('7'), C::kNumber);
  EXPECT_EQ(unicode::char_class(0x2167), C::kNumber);  // Ⅷ (Nl)
  EXPECT_EQ(unicode::char_class(','), C::kPunctuation);
  EXPECT_EQ(unicode::char_class('$'), C::kOther);  // Sc: BERT adds ASCII symbols itself
  EXPECT_EQ(unicode::char_class(0x301), C::kMn);
  EXPECT_EQ(unicode::char_class(0x941), C::kMn0);
  EXPECT_EQ(unicode::char_class(0x200B), C::kControl);  // Cf
  EXPECT_EQ(unicode::char_class(0x3000), C::kSpaceSeparator);
  EXPECT_EQ(unicode::char_class(0x10FFFF), C::kOther);
  EXPECT_TRUE(unicode::is_cased('A'));
  EXPECT_FALSE(unicode::is_cased('1'));
  EXPECT_TRUE(unicode::is_case_ignorable('\''));
  EXPECT_TRUE(unicode::is_case_ignorable(0x301));
  EXPECT_TRUE(unicode::is_js_space(0xFEFF));
  EXPECT_FALSE(unicode::is_js_space(0x85));
  EXPECT_TRUE(unicode::is_python_space(0x85));
  EXPECT_TRUE(unicode::is_python_space(0x1C));
}

TEST(TokenizerUnicode, PythonLower) {
  EXPECT_EQ(lower(U"HeLLo ÀÉÎ"), U"hello àéî");
  EXPECT_EQ(lower(U"İ"), U"i\u0307");
  EXPECT_EQ(lower(U"ẞ"), U"ß");
  EXPECT_EQ(lower(U"ΟΔΟΣ"), U"οδος");  // final sigma
  EXPECT_EQ(lower(U"ΟΔΟΣΑ"), U"οδοσα");
  EXPECT_EQ(lower(U"Σ"), U"σ");  // nothing cased before it
  EXPECT_EQ(lower(U"ΑΣ'"), U"ας'");
  EXPECT_EQ(lower(U"ΑΣ'Α"), U"ασ'α");  // the apostrophe is case-ignorable
  EXPECT_EQ(lower(U"Ａ𐐀Ω"), U"ａ𐐨ω");
}

TEST(TokenizerUnicode, StripAccents) {
  EXPECT_EQ(strip(U"café naïve Ångström"), U"cafe naive Angstrom");
  EXPECT_EQ(strip(U"e\u0301"), U"e");
  EXPECT_EQ(strip(U"한"), U"\u1112\u1161\u11AB");  // Hangul: algorithmic NFD, jamo are letters
  EXPECT_EQ(strip(U"\uF900"), U"\u8C48");          // CJK compatibility ideograph
  EXPECT_EQ(strip(U"\U0001D160"), U"\U0001D158\U0001D165\U0001D16E");
  // Mc non-starters keep NFD's canonical order (216 before 226) ...
  EXPECT_EQ(strip(U"\U0001D16D\U0001D165"), U"\U0001D165\U0001D16D");
  // ... but a dropped Mn with combining class 0 separates them.
  EXPECT_EQ(strip(U"\U0001D16D\u0941\U0001D165"), U"\U0001D16D\U0001D165");
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& [b, e] : gpt2_pretokenize(text)) out.emplace_back(text.substr(b, e - b));
  return out;
}

TEST(TokenizerUnicode, Gpt2PreTokenizer) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split(""), V{});
  EXPECT_EQ(split("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(split("it's I'LL 'sup"), (V{"it", "'s", " I", "'", "LL", " '", "sup"}));
  EXPECT_EQ(split("a  b"), (V{"a", " ", " b"}));
  EXPECT_EQ(split("a \n b"), (V{"a", " \n", " b"}));
  EXPECT_EQ(split("a\n\nb"), (V{"a", "\n", "\n", "b"}));
  EXPECT_EQ(split("end   "), (V{"end", "   "}));
  EXPECT_EQ(split("x1.5!! ?"), (V{"x", "1", ".", "5", "!!", " ?"}));
  EXPECT_EQ(split("a\xFF\xFEz"), (V{"a", "\xFF\xFE", "z"}));  // invalid bytes as punctuation
}

}  // namespace
}  // namespace attnscope::tokenizer
