// load_tokenizer_json / load_gpt2_files on small hand-written files: the
// supported options (add_prefix_space, added tokens with lstrip/rstrip/
// single_word, templates, merges formats) and the errors for malformed or
// unsupported files.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokenizer/byte_level_bpe.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnscope::tokenizer {
namespace {

// A tiny byte-level BPE: the 256 byte symbols, then merges for "Ġh", "he",
// "ll", "hell", "hello", "Ġhe", "Ġhello".
std::string byte_vocab_entries() {
  std::string out;
  const auto& alphabet = byte_level_alphabet();
  for (int b = 0; b < 256; ++b) {
    std::string key;
    for (const char c : alphabet[b]) {
      if (c == '"' || c == '\\') key += '\\';
      key += c;
    }
    out += "\"" + key + "\":" + std::to_string(b) + ",";
  }
  return out;
}

std::string tiny_bpe(const std::string& pre_tokenizer = R"({"type":"ByteLevel","add_prefix_space":false})",
                     const std::string& extra = "", const std::string& merges = "") {
  const std::string m = merges.empty() ? R"(["h e","l l","he ll","hell o","Ġ h","Ġh e","Ġhe llo"])" : merges;
  return R"({"version":"1.0",)" + extra + R"("pre_tokenizer":)" + pre_tokenizer +
         R"(,"decoder":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":{)" + byte_vocab_entries() +
         R"("he":256,"ll":257,"hell":258,"hello":259,"Ġh":260,"Ġhe":261,"llo":262,"Ġhello":263,"<s>":264,"</s>":265},"merges":)" +
         m + "}}";
}

std::vector<std::int32_t> ids(const Tokenizer& tok, std::string_view text, bool special = true) {
  auto r = tok.encode(text, special);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  std::vector<std::int32_t> out;
  if (r.is_ok())
    for (const Token& t : r.value()) out.push_back(t.id);
  return out;
}

std::unique_ptr<Tokenizer> load_ok(const std::string& json) {
  auto r = load_tokenizer_json(json);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? std::move(r).value() : nullptr;
}

void expect_error(const std::string& json, Code code, std::string_view mention) {
  auto r = load_tokenizer_json(json);
  ASSERT_FALSE(r.is_ok()) << "accepted: " << json.substr(0, 200);
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(mention), std::string::npos) << r.status().to_string();
}

TEST(TokenizerJson, TinyBpe) {
  auto tok = load_ok(tiny_bpe());
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->vocab_size(), 266u);
  // Rank order decides: "h e" (rank 0) beats "Ġ h" (rank 4), so " hello" is
  // Ġ + hello, and Ġhe / Ġhello are never reached.
  EXPECT_EQ(ids(*tok, "hello"), (std::vector<std::int32_t>{259}));
  EXPECT_EQ(ids(*tok, " hello"), (std::vector<std::int32_t>{' ', 259}));
  EXPECT_EQ(ids(*tok, " h"), (std::vector<std::int32_t>{260}));
  EXPECT_EQ(tok->decode({261, 257, 'o'}), " hello");
  // Merges as pairs give the same tokenizer.
  auto pairs = load_ok(
      tiny_bpe(R"({"type":"ByteLevel","add_prefix_space":false})", "",
               R"([["h","e"],["l","l"],["he","ll"],["hell","o"],["Ġ","h"],["Ġh","e"],["Ġhe","llo"]])"));
  ASSERT_TRUE(pairs);
  EXPECT_EQ(ids(*pairs, " hello hello"), ids(*tok, " hello hello"));
}

TEST(TokenizerJson, AddPrefixSpace) {
  auto tok = load_ok(tiny_bpe(R"({"type":"ByteLevel","add_prefix_space":true})"));
  ASSERT_TRUE(tok);
  auto r = tok->encode("hello", false);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r.value().size(), 2u);
  EXPECT_EQ(r.value()[0].id, ' ');  // the synthetic space: shown, but no input bytes
  EXPECT_EQ(r.value()[0].text, " ");
  EXPECT_EQ(r.value()[0].begin, 0u);
  EXPECT_EQ(r.value()[0].end, 0u);
  EXPECT_EQ(r.value()[1].id, 259);
  EXPECT_EQ(r.value()[1].begin, 0u);
  EXPECT_EQ(r.value()[1].end, 5u);
  r = tok->encode("h", false);  // merged with a real byte: covers only that byte
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].id, 260);
  EXPECT_EQ(r.value()[0].text, " h");
  EXPECT_EQ(r.value()[0].begin, 0u);
  EXPECT_EQ(r.value()[0].end, 1u);
  EXPECT_EQ(ids(*tok, " hello"), (std::vector<std::int32_t>{' ', 259}));  // already has one
  // Absent means true, as in Hugging Face.
  auto dflt = load_ok(tiny_bpe(R"({"type":"ByteLevel"})"));
  ASSERT_TRUE(dflt);
  EXPECT_EQ(ids(*dflt, "hello"), ids(*tok, "hello"));
}

TEST(TokenizerJson, AddedTokensAndTemplate) {
  const std::string added =
      R"("added_tokens":[{"id":264,"content":"<s>","special":true},{"id":265,"content":"</s>","special":true},)"
      R"({"id":266,"content":"<mask>","special":true,"lstrip":true},{"id":267,"content":"hi","special":false,"single_word":true},)"
      R"({"id":268,"content":"<r>","special":false,"rstrip":true}],)"
      R"("post_processor":{"type":"RobertaProcessing","sep":["</s>",265],"cls":["<s>",264]},)";
  auto tok = load_ok(tiny_bpe(R"({"type":"ByteLevel","add_prefix_space":false})", added));
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->vocab_size(), 269u);
  auto r = tok->encode("a <mask>b");
  ASSERT_TRUE(r.is_ok());
  const auto& t = r.value();
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].id, 264);
  EXPECT_TRUE(t[0].special);
  EXPECT_EQ(t[0].begin, t[0].end);
  EXPECT_EQ(t[1].id, 'a');
  EXPECT_EQ(t[2].id, 266);  // lstrip: the space went with <mask>
  EXPECT_EQ(t[2].begin, 1u);
  EXPECT_EQ(t[2].end, 8u);
  EXPECT_EQ(t[3].id, 'b');
  EXPECT_EQ(t[4].id, 265);
  EXPECT_EQ(t[4].begin, 9u);
  // single_word: "hi" alone, not inside "this".
  EXPECT_EQ(ids(*tok, "hi this", false), (std::vector<std::int32_t>{267, ' ', 't', 'h', 'i', 's'}));
  // rstrip.
  EXPECT_EQ(ids(*tok, "<r>  x", false), (std::vector<std::int32_t>{268, 'x'}));
  EXPECT_EQ(tok->decode({264, 259, 265}), "<s>hello</s>");
}

TEST(TokenizerJson, TemplateProcessing) {
  const std::string tp =
      R"("post_processor":{"type":"Sequence","processors":[{"type":"ByteLevel"},{"type":"TemplateProcessing",)"
      R"("single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],)"
      R"("special_tokens":{"<s>":{"id":"<s>","ids":[264],"tokens":["<s>"]}}}]},)";
  auto tok = load_ok(tiny_bpe(R"({"type":"ByteLevel","add_prefix_space":false})", tp));
  ASSERT_TRUE(tok);
  EXPECT_EQ(ids(*tok, "hello"), (std::vector<std::int32_t>{264, 259}));
  EXPECT_EQ(ids(*tok, "hello", false), (std::vector<std::int32_t>{259}));
}

TEST(TokenizerJson, MalformedFilesAreParseErrors) {
  expect_error("", Code::kParseError, "tokenizer.json");
  expect_error("[]", Code::kParseError, "not an object");
  expect_error("{}", Code::kParseError, "model");
  expect_error(R"({"model":{"type":"BPE","vocab":{"a":0},"merges":[]}})", Code::kUnsupported,
               "pre_tokenizer");
  const std::string pre = R"("pre_tokenizer":{"type":"ByteLevel"},)";
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","merges":[]}})", Code::kParseError, "vocab");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":[],"merges":[]}})", Code::kParseError,
               "vocab");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0,"b":0},"merges":[]}})",
               Code::kParseError, "used twice");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0,"b":2},"merges":[]}})",
               Code::kParseError, "[0, 2)");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0,"b":-1},"merges":[]}})",
               Code::kParseError, "vocab id");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0,"b":1.5},"merges":[]}})",
               Code::kParseError, "vocab id");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0,"a":1},"merges":[]}})",
               Code::kParseError, "duplicate");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a c"]}})",
               Code::kParseError, "\"c\"");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a b"]}})",
               Code::kParseError, "\"ab\", which is not in the vocab");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a  b"]}})",
               Code::kParseError, "merge 1");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a"]]}})",
               Code::kParseError, "merge 1");
  expect_error(R"({)" + pre + R"("model":{"type":"BPE","vocab":{"a":0},"merges":3}})", Code::kParseError,
               "merges");
  expect_error(tiny_bpe(R"({"type":"ByteLevel"})", R"("added_tokens":[{"id":999,"content":"x"}],)"),
               Code::kParseError, "999");
  expect_error(tiny_bpe(R"({"type":"ByteLevel"})", R"("added_tokens":[{"id":1,"content":""}],)"),
               Code::kParseError, "empty");
  expect_error(tiny_bpe(R"({"type":"ByteLevel"})", R"("added_tokens":[{"content":"x"}],)"), Code::kParseError,
               "added_tokens");
  expect_error(tiny_bpe(R"({"type":"ByteLevel"})",
                        R"("post_processor":{"type":"BertProcessing","sep":["x",9999],"cls":["y",0]},)"),
               Code::kParseError, "9999");
  expect_error(
      tiny_bpe(R"({"type":"ByteLevel"})", R"("post_processor":{"type":"TemplateProcessing","single":[]},)"),
      Code::kParseError, "sequence");
  expect_error(tiny_bpe(R"({"type":"ByteLevel","add_prefix_space":"yes"})"), Code::kParseError,
               "add_prefix_space");
  expect_error(
      R"({"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"a":0}},"pre_tokenizer":{"type":"BertPreTokenizer"}})",
      Code::kParseError, "[UNK]");
}

TEST(TokenizerJson, UnsupportedComponentsAreNamed) {
  expect_error(R"({"model":{"type":"Unigram","vocab":[]}})", Code::kUnsupported, "Unigram");
  expect_error(R"({"model":{"type":"WordLevel","vocab":{}}})", Code::kUnsupported, "WordLevel");
  expect_error(tiny_bpe(R"({"type":"Metaspace"})"), Code::kUnsupported, "Metaspace");
  expect_error(tiny_bpe(R"({"type":"ByteLevel"})", R"("normalizer":{"type":"NFC"},)"), Code::kUnsupported,
               "NFC");
  expect_error(tiny_bpe(R"({"type":"ByteLevel"})", R"("post_processor":{"type":"Foo"},)"), Code::kUnsupported,
               "Foo");
  expect_error(
      R"({"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","byte_fallback":true,"vocab":{},"merges":[]}})",
      Code::kUnsupported, "byte_fallback");
  expect_error(
      R"({"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","dropout":0.1,"vocab":{},"merges":[]}})",
      Code::kUnsupported, "dropout");
  expect_error(
      R"({"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","continuing_subword_prefix":"##","vocab":{},"merges":[]}})",
      Code::kUnsupported, "continuing_subword_prefix");
  expect_error(
      R"({"normalizer":{"type":"Sequence","normalizers":[]},"pre_tokenizer":{"type":"BertPreTokenizer"},"model":{"type":"WordPiece","vocab":{"[UNK]":0}}})",
      Code::kUnsupported, "Sequence");
  expect_error(R"({"pre_tokenizer":{"type":"Whitespace"},"model":{"type":"WordPiece","vocab":{"[UNK]":0}}})",
               Code::kUnsupported, "Whitespace");
}

TEST(TokenizerJson, LegacyGpt2FileErrors) {
  auto bad_json = load_gpt2_files("{", "#version: 0.2\n");
  ASSERT_FALSE(bad_json.is_ok());
  EXPECT_EQ(bad_json.status().code(), Code::kParseError);
  EXPECT_NE(bad_json.status().message().find("vocab.json"), std::string::npos);
  auto bad_merge = load_gpt2_files(R"({"a":0,"b":1,"ab":2})", "#version: 0.2\na b\nb c\n");
  ASSERT_FALSE(bad_merge.is_ok());
  EXPECT_EQ(bad_merge.status().code(), Code::kParseError);
  EXPECT_NE(bad_merge.status().message().find("merge 2"), std::string::npos)
      << bad_merge.status().to_string();
  auto bad_line = load_gpt2_files(R"({"a":0,"b":1,"ab":2})", "#version: 0.2\na b c\n");
  ASSERT_FALSE(bad_line.is_ok());
  EXPECT_NE(bad_line.status().message().find("line 2"), std::string::npos);
  // A vocab without the byte symbols still loads; unknown bytes are dropped.
  auto partial = load_gpt2_files(R"({"a":0,"b":1,"ab":2})", "#version: 0.2\r\na b\r\n\r\n");
  ASSERT_TRUE(partial.is_ok()) << partial.status().to_string();
  EXPECT_EQ(ids(*partial.value(), "abxab"), (std::vector<std::int32_t>{2, 2}));
}

}  // namespace
}  // namespace attnscope::tokenizer
