// libFuzzer target: load_tokenizer_json on arbitrary bytes. A refused file
// must be kParseError, kUnsupported or kTooLarge; an accepted one must encode
// a few probes (and the input's own text) without failing, with tokens whose
// ids are in the vocab, offsets inside the input and valid UTF-8 display
// strings; decode must return valid UTF-8. Also replayed by
// tests/cpp/fuzz_regressions_test.cpp.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"

namespace {

using attnscope::Code;
using attnscope::tokenizer::Token;
using attnscope::tokenizer::Tokenizer;

bool valid_utf8(const std::string& s) {
  return attnscope::tokenizer::unicode::to_valid_utf8(s) == s;
}

void check(const Tokenizer& tok, std::string_view text) {
  for (const bool special : {true, false}) {
    const auto r = tok.encode(text, special);
    if (!r.is_ok()) __builtin_trap();  // text is far below the size limit
    std::vector<std::int32_t> ids;
    for (const Token& t : r.value()) {
      if (t.id < 0 || static_cast<std::size_t>(t.id) >= tok.vocab_size()) __builtin_trap();
      if (t.begin > t.end || t.end > text.size()) __builtin_trap();
      if (!valid_utf8(t.text)) __builtin_trap();
      ids.push_back(t.id);
    }
    if (!valid_utf8(tok.decode(ids))) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto tok = attnscope::tokenizer::load_tokenizer_json(text);
  if (!tok.is_ok()) {
    const Code code = tok.status().code();
    if (code != Code::kParseError && code != Code::kUnsupported && code != Code::kTooLarge) __builtin_trap();
    if (tok.status().message().empty()) __builtin_trap();
    return 0;
  }
  const Tokenizer& t = *tok.value();
  if (t.kind() != "bpe" && t.kind() != "wordpiece") __builtin_trap();
  for (const std::string_view probe :
       {std::string_view(""), std::string_view("Hello, world! it's 2024"),
        std::string_view(
            "h\xC3\xA9llo [CLS] <|endoftext|> <s> \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 \xFF\xFE"),
        std::string_view("   \t\n  ")})
    check(t, probe);
  check(t, text.substr(0, 512));
  return 0;
}
