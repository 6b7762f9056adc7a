// BERT WordPiece against the Python reference (tests/tokenizer/
// wordpiece_reference.py, BERT's tokenization.py algorithm): the corpus through
// the legacy vocab.txt and the tokenizer.json of the same vocab, uncased and
// cased; an exhaustive check of the Unicode tables over every code point;
// offsets, decode, options and errors.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "io/json.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"
#include "tokenizer/wordpiece.hpp"

namespace attnscope::tokenizer {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kFixtures = ATTNSCOPE_TOKENIZER_FIXTURES_DIR;

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

struct Case {
  std::string name, text;
  std::vector<std::int32_t> uncased, cased;
};

class BertWordPiece : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    vocab_txt_ = new std::string(read_file(kFixtures + "/wordpiece_vocab.txt"));
    tokenizer_json_ = new std::string(read_file(kFixtures + "/wordpiece_tokenizer.json"));
    auto doc = json::parse(read_file(kFixtures + "/wordpiece_expected.json"));
    ASSERT_TRUE(doc.is_ok()) << doc.status().to_string();
    expected_ = new json::Value(doc.value());
    cases_ = new std::vector<Case>;
    for (const json::Value& c : expected_->find("cases")->as_array()) {
      Case k;
      k.name = c.find("name")->as_string();
      k.text = c.find("text") ? c.find("text")->as_string() : from_hex(c.find("hex")->as_string());
      for (const json::Value& id : c.find("uncased")->as_array())
        k.uncased.push_back(static_cast<std::int32_t>(id.as_number()));
      for (const json::Value& id : c.find("cased")->as_array())
        k.cased.push_back(static_cast<std::int32_t>(id.as_number()));
      cases_->push_back(std::move(k));
    }
  }
  static void TearDownTestSuite() {
    delete vocab_txt_;
    delete tokenizer_json_;
    delete expected_;
    delete cases_;
  }

  static std::vector<std::int32_t> ids(const Tokenizer& tok, std::string_view text, bool special = true) {
    auto r = tok.encode(text, special);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    std::vector<std::int32_t> out;
    if (r.is_ok())
      for (const Token& t : r.value()) out.push_back(t.id);
    return out;
  }
  static void expect_corpus(const Tokenizer& tok, bool uncased) {
    ASSERT_GE(cases_->size(), 30u);
    for (const Case& c : *cases_) {
      SCOPED_TRACE(c.name);
      EXPECT_EQ(ids(tok, c.text), uncased ? c.uncased : c.cased);
    }
  }
  static std::unique_ptr<Tokenizer> legacy(bool lowercase) {
    auto tok = load_bert_vocab(*vocab_txt_, lowercase);
    EXPECT_TRUE(tok.is_ok()) << tok.status().to_string();
    return tok.is_ok() ? std::move(tok).value() : nullptr;
  }

  static std::string* vocab_txt_;
  static std::string* tokenizer_json_;
  static json::Value* expected_;
  static std::vector<Case>* cases_;
};
std::string* BertWordPiece::vocab_txt_;
std::string* BertWordPiece::tokenizer_json_;
json::Value* BertWordPiece::expected_;
std::vector<Case>* BertWordPiece::cases_;

TEST_F(BertWordPiece, UncasedCorpusFromVocabTxt) {
  auto tok = legacy(true);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->kind(), "wordpiece");
  EXPECT_EQ(tok->vocab_size(), 267u);
  expect_corpus(*tok, true);
  std::cout << "[ tokenizer ] BERT corpus: " << cases_->size() << " cases\n";
}

TEST_F(BertWordPiece, CasedCorpusFromVocabTxt) {
  auto tok = legacy(false);
  ASSERT_TRUE(tok);
  expect_corpus(*tok, false);
}

TEST_F(BertWordPiece, CorpusFromTokenizerJson) {
  auto uncased = load_tokenizer_json(*tokenizer_json_);
  ASSERT_TRUE(uncased.is_ok()) << uncased.status().to_string();
  EXPECT_EQ(uncased.value()->vocab_size(), 267u);
  expect_corpus(*uncased.value(), true);

  // The same file with lowercase off (strip_accents null follows it).
  const std::string cased_json = replace_all(*tokenizer_json_, "\"lowercase\": true", "\"lowercase\": false");
  ASSERT_NE(cased_json, *tokenizer_json_);
  auto cased = load_tokenizer_json(cased_json);
  ASSERT_TRUE(cased.is_ok()) << cased.status().to_string();
  expect_corpus(*cased.value(), false);

  // BertProcessing instead of TemplateProcessing: the same [CLS] ... [SEP].
  auto doc = json::parse(*tokenizer_json_);
  ASSERT_TRUE(doc.is_ok());
  const std::size_t at = tokenizer_json_->find("\"post_processor\"");
  const std::size_t end = tokenizer_json_->find("\"decoder\"");
  ASSERT_NE(at, std::string::npos);
  const std::string bert_processing =
      tokenizer_json_->substr(0, at) +
      R"("post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},)" + "\n  " +
      tokenizer_json_->substr(end);
  auto bp = load_tokenizer_json(bert_processing);
  ASSERT_TRUE(bp.is_ok()) << bp.status().to_string();
  expect_corpus(*bp.value(), true);
}

// Every code point through BasicTokenizer, hashed per 4096-code-point block,
// against Python (see wordpiece_reference.py: PROBE, FNV-1a 64).
TEST_F(BertWordPiece, UnicodeTablesMatchPythonForEveryCodePoint) {
  const json::Value* blocks = expected_->find("unicode_blocks");
  ASSERT_TRUE(blocks);
  for (const bool lower : {true, false}) {
    SCOPED_TRACE(lower ? "uncased" : "cased");
    const json::Array& want = blocks->find(lower ? "uncased" : "cased")->as_array();
    ASSERT_EQ(want.size(), 0x110000u / 0x1000u);
    BertNormalizerOptions options;
    options.lowercase = options.strip_accents = lower;
    std::size_t bad = 0;
    for (std::size_t block = 0; block < want.size(); ++block) {
      std::uint64_t h = 0xCBF29CE484222325ull;
      auto feed = [&](std::string_view s) {
        for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
      };
      std::string probe;
      for (char32_t cp = static_cast<char32_t>(block * 0x1000); cp < (block + 1) * 0x1000; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        std::string ch;
        unicode::append_utf8(ch, cp);
        probe = "A" + ch + "\xCE\xA3 " + ch + "b";  // "A" c "Σ " c "b"
        const std::vector<std::string> pieces = bert_basic_tokenize(probe, options);
        for (std::size_t i = 0; i < pieces.size(); ++i) {
          if (i) feed("\x1f");
          feed(pieces[i]);
        }
        feed("\x1e");
      }
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
      if (want[block].as_string() != hex && ++bad <= 10)
        ADD_FAILURE() << "code points U+" << std::hex << block * 0x1000 << "..U+" << (block + 1) * 0x1000 - 1
                      << " tokenize differently from Python";
    }
    EXPECT_EQ(bad, 0u);
  }
}

TEST_F(BertWordPiece, OffsetsPointAtTheInput) {
  auto tok = legacy(true);
  ASSERT_TRUE(tok);
  const std::string text = "Héllo, WORLD! 中文 unaffable";
  auto r = tok->encode(text);
  ASSERT_TRUE(r.is_ok());
  std::vector<std::string> pieces, texts;
  for (const Token& t : r.value()) {
    pieces.push_back(text.substr(t.begin, t.end - t.begin));
    texts.push_back(t.text);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"[CLS]", "hello", ",", "world", "!", "中", "文", "un", "##aff",
                                             "##able", "[SEP]"}));
  EXPECT_EQ(pieces,
            (std::vector<std::string>{"", "Héllo", ",", "WORLD", "!", "中", "文", "un", "aff", "able", ""}));
  EXPECT_TRUE(r.value().front().special);
  EXPECT_EQ(r.value().front().begin, 0u);
  EXPECT_TRUE(r.value().back().special);
  EXPECT_EQ(r.value().back().begin, text.size());
  for (std::size_t i = 1; i + 1 < r.value().size(); ++i) EXPECT_FALSE(r.value()[i].special);

  // A word that is [UNK] covers the whole word; İ lowercases to two
  // characters that both point at its two bytes.
  r = tok->encode("xyz🙂abc İ", false);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r.value().size(), 2u);
  EXPECT_EQ(r.value()[0].text, "[UNK]");
  EXPECT_EQ(r.value()[0].begin, 0u);
  EXPECT_EQ(r.value()[0].end, 10u);
  EXPECT_EQ(r.value()[1].text, "i");
  EXPECT_EQ(r.value()[1].begin, 11u);
  EXPECT_EQ(r.value()[1].end, 13u);
}

TEST_F(BertWordPiece, SpecialTokensInTextAndTemplate) {
  auto tok = legacy(true);
  ASSERT_TRUE(tok);
  auto r = tok->encode("a[MASK]b", false);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r.value().size(), 3u);
  EXPECT_EQ(r.value()[1].text, "[MASK]");
  EXPECT_TRUE(r.value()[1].special);
  EXPECT_EQ(r.value()[1].begin, 1u);
  EXPECT_EQ(r.value()[1].end, 7u);
  EXPECT_EQ(ids(*tok, "", true), (std::vector<std::int32_t>{2, 3}));
  EXPECT_EQ(ids(*tok, "", false), std::vector<std::int32_t>{});
}

TEST_F(BertWordPiece, Decode) {
  auto tok = legacy(true);
  ASSERT_TRUE(tok);
  auto r = tok->encode("Hello, world! unaffable tokenization. it's");
  ASSERT_TRUE(r.is_ok());
  std::vector<std::int32_t> v;
  for (const Token& t : r.value()) v.push_back(t.id);
  // Hugging Face: join with spaces, glue "##" pieces, clean up " ," etc.
  EXPECT_EQ(tok->decode(v), "[CLS] hello, world! unaffable tokenization. it's [SEP]");
  EXPECT_EQ(tok->decode({-5, 100000}), "");
}

TEST_F(BertWordPiece, LegacyVocabErrors) {
  auto empty = load_bert_vocab("");
  ASSERT_FALSE(empty.is_ok());
  EXPECT_EQ(empty.status().code(), Code::kParseError);
  auto no_unk = load_bert_vocab("[CLS]\n[SEP]\nhello\n");
  ASSERT_FALSE(no_unk.is_ok());
  EXPECT_EQ(no_unk.status().code(), Code::kParseError);
  EXPECT_NE(no_unk.status().message().find("[UNK]"), std::string::npos);
  auto bad_utf8 = load_bert_vocab("[UNK]\nca\xff\n");
  ASSERT_FALSE(bad_utf8.is_ok());
  EXPECT_EQ(bad_utf8.status().code(), Code::kParseError);
  // CRLF lines, a repeated token (last id wins), no [CLS]/[SEP]: no template.
  auto ok = load_bert_vocab("[UNK]\r\nhello\r\nworld\r\nhello\r\n");
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok.value()->vocab_size(), 4u);
  EXPECT_EQ(ids(*ok.value(), "hello world"), (std::vector<std::int32_t>{3, 2}));
  EXPECT_EQ(ok.value()->decode({1, 3}), "hello hello");
}

TEST_F(BertWordPiece, NeverFailsOnHostileText) {
  auto tok = legacy(true);
  ASSERT_TRUE(tok);
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 7919) & 0xFF);
  auto r = tok->encode(junk);
  ASSERT_TRUE(r.is_ok());
  for (const Token& t : r.value()) {
    EXPECT_LE(t.begin, t.end);
    EXPECT_LE(t.end, junk.size());
  }
  const std::string big(kMaxInputBytes + 1, 'a');
  EXPECT_EQ(tok->encode(big).status().code(), Code::kTooLarge);
  EXPECT_TRUE(tok->encode(std::string(100000, 'a')).is_ok());  // one long word: [UNK]
}

TEST_F(BertWordPiece, Speed) {
  auto tok = legacy(true);
  ASSERT_TRUE(tok);
  std::string text;
  for (const Case& c : *cases_)
    if (c.name == "mixed_10000") text = c.text;
  std::size_t cut = 0;
  for (std::size_t chars = 0; cut < text.size() && chars < 1000; ++chars)
    cut += unicode::decode(text, cut).len;
  const std::string k1 = text.substr(0, cut);
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int kReps = 50;
  for (int i = 0; i < kReps; ++i) ASSERT_TRUE(tok->encode(k1).is_ok());
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / kReps;
  std::cout << "[ tokenizer ] BERT encode of 1,000 chars: " << us << " us\n";
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__) && !defined(__EMSCRIPTEN__)
  EXPECT_LT(us, 1000.0);
#endif
}

}  // namespace
}  // namespace attnscope::tokenizer
