// libFuzzer target: encode arbitrary bytes with a small fixed byte-level BPE
// (all 256 byte symbols, a few merges, added tokens) and a small WordPiece.
// Invariants:
//  - encoding never fails below the size limit;
//  - byte-level BPE: non-template tokens tile the input exactly, and decode
//    gives the input back (made valid UTF-8);
//  - WordPiece: offsets inside the input, in order; ids in the vocab;
//  - display strings are valid UTF-8; GPT-2's pre-tokenizer pieces tile the
//    input.
// The first byte picks add_special_tokens and the BPE variant. Also replayed
// by tests/cpp/fuzz_regressions_test.cpp.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/byte_level_bpe.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"

namespace {

using attnscope::tokenizer::Token;
using attnscope::tokenizer::Tokenizer;
namespace tk = attnscope::tokenizer;

std::string json_key(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// variant 0: plain GPT-2 style; variant 1: add_prefix_space and added tokens
// that strip whitespace (so decode is not the input).
std::unique_ptr<Tokenizer> make_bpe(int variant) {
  std::string vocab;
  const auto& alphabet = tk::byte_level_alphabet();
  for (int b = 0; b < 256; ++b) vocab += json_key(alphabet[b]) + ":" + std::to_string(b) + ",";
  const char* extra[] = {"Ġt", "he", "Ġthe", "in", "er", "Ġa", "on", "re", "ĠĠ", "ĠĠĠĠ", "ä¸", "ðŁ", "ðŁĺ"};
  int id = 256;
  for (const char* e : extra) vocab += json_key(e) + ":" + std::to_string(id++) + ",";
  vocab += R"("<|endoftext|>":)" + std::to_string(id) + R"(,"<mask>":)" + std::to_string(id + 1);  // 269, 270
  const std::string merges =
      R"(["Ġ t","h e","Ġt he","i n","e r","Ġ a","o n","r e","Ġ Ġ","ĠĠ ĠĠ","ä ¸","ð Ł","ðŁ ĺ"])";
  const std::string added =
      variant == 0 ? R"([{"id":269,"content":"<|endoftext|>","special":true}])"
                   : R"([{"id":269,"content":"<|endoftext|>","special":true,"single_word":true},)"
                     R"({"id":270,"content":"<mask>","special":true,"lstrip":true,"rstrip":true}])";
  const std::string json =
      R"({"added_tokens":)" + added + R"(,"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":)" +
      (variant == 0 ? "false" : "true") +
      R"(},"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"e"}},)"
      R"({"Sequence":{"id":"A"}},{"SpecialToken":{"id":"e"}}],"special_tokens":{"e":{"ids":[269]}}},)"
      R"("model":{"type":"BPE","vocab":{)" +
      vocab + R"(},"merges":)" + merges + "}}";
  auto r = tk::load_tokenizer_json(json);
  if (!r.is_ok()) __builtin_trap();
  return std::move(r).value();
}

std::unique_ptr<Tokenizer> make_wordpiece() {
  auto r = tk::load_bert_vocab(
      "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n!\n,\n.\n?\na\nb\nc\ne\ni\no\nu\nthe\nun\n##aff\n##able\n##s\n##"
      "ing\n##a\n##e\n"
      "##i\n##o\n\xE4\xB8\xAD\n\xE6\x96\x87\n##\xC3\xA9\ncafe\n\xCF\x83\n\xCF\x82\n\xF0\x9F\x98\x80\n");
  if (!r.is_ok()) __builtin_trap();
  return std::move(r).value();
}

bool valid_utf8(const std::string& s) {
  return tk::unicode::to_valid_utf8(s) == s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::unique_ptr<Tokenizer> bpe[2] = {make_bpe(0), make_bpe(1)};
  static const std::unique_ptr<Tokenizer> wordpiece = make_wordpiece();
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool special = mode & 1;
  const int variant = (mode >> 1) & 1;

  // GPT-2's pre-tokenizer tiles its input.
  std::size_t pos = 0;
  for (const auto& [b, e] : tk::gpt2_pretokenize(text)) {
    if (b != pos || e <= b) __builtin_trap();
    pos = e;
  }
  if (pos != text.size()) __builtin_trap();

  {
    const Tokenizer& tok = *bpe[variant];
    const auto r = tok.encode(text, special);
    if (!r.is_ok()) __builtin_trap();
    std::vector<std::int32_t> ids;
    std::size_t at = 0;
    for (const Token& t : r.value()) {
      if (t.id < 0 || static_cast<std::size_t>(t.id) >= tok.vocab_size() || !valid_utf8(t.text))
        __builtin_trap();
      if (t.begin > t.end || t.end > text.size()) __builtin_trap();
      ids.push_back(t.id);
      if (t.special && t.begin == t.end && (t.begin == 0 || t.begin == text.size())) continue;  // template
      if (variant == 0 && t.begin != at) __builtin_trap();
      at = t.end;
    }
    if (variant == 0) {
      if (at != text.size()) __builtin_trap();
      std::string want = tk::unicode::to_valid_utf8(text);
      if (special) want = "<|endoftext|>" + want + "<|endoftext|>";
      if (tok.decode(ids) != want) __builtin_trap();
    } else if (!valid_utf8(tok.decode(ids))) {
      __builtin_trap();
    }
  }
  {
    const auto r = wordpiece->encode(text, special);
    if (!r.is_ok()) __builtin_trap();
    std::size_t last = 0;
    std::vector<std::int32_t> ids;
    for (const Token& t : r.value()) {
      if (t.id < 0 || static_cast<std::size_t>(t.id) >= wordpiece->vocab_size() || !valid_utf8(t.text))
        __builtin_trap();
      if (t.begin > t.end || t.end > text.size() || t.begin < last) __builtin_trap();
      last = t.begin;
      ids.push_back(t.id);
    }
    if (!valid_utf8(wordpiece->decode(ids))) __builtin_trap();
  }
  return 0;
}
