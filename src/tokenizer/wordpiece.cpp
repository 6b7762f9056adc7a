#include "tokenizer/wordpiece.hpp"

#include <algorithm>

namespace attnscope::tokenizer {
namespace {

using unicode::Mapped;

bool is_bert_whitespace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
         unicode::char_class(c) == unicode::Class::kSpaceSeparator;
}
bool is_bert_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  return unicode::char_class(c) == unicode::Class::kControl;
}

std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += unicode::decode(s, i).len) ++n;
  return n;
}

// Hugging Face's decoders::wordpiece::cleanup (transformers'
// clean_up_tokenization).
std::string cleanup(std::string s) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},   {" ?", "?"},           {" !", "!"},   {" ,", ","},     {" ' ", "'"},    {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kRules) {
    const std::string_view f(from), t(to);
    std::string r;
    std::size_t pos = 0;
    for (std::size_t hit; (hit = s.find(f, pos)) != std::string::npos; pos = hit + f.size()) {
      r.append(s, pos, hit - pos);
      r.append(t);
    }
    r.append(s, pos, std::string::npos);
    s = std::move(r);
  }
  return s;
}

}  // namespace

bool is_bert_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_bert_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return unicode::char_class(cp) == unicode::Class::kPunctuation;
}

WordPiece::WordPiece(Vocab vocab, const WordPieceOptions& options)
    : PipelineTokenizer(vocab.size()), vocab_(std::move(vocab)), options_(options) {}

ATTNSCOPE_TOKENIZER_COLD Result<std::unique_ptr<WordPiece>> WordPiece::create(
    Vocab vocab, const WordPieceOptions& options) {
  if (!vocab.contains_id(options.unk_id))
    return error(Code::kParseError, {"WordPiece: the unk token is not in the vocab"});
  if (vocab.size() > kMaxVocab) return error(Code::kTooLarge, {"WordPiece: vocab too large"});
  std::unique_ptr<WordPiece> wp(new WordPiece(std::move(vocab), options));
  for (std::size_t id = 0; id < wp->vocab_.size(); ++id) {
    const std::string& tok = wp->vocab_.token(static_cast<std::int32_t>(id));
    // Tokens are display strings: they must be valid UTF-8.
    if (unicode::to_valid_utf8(tok) != tok)
      return error(Code::kParseError, {"WordPiece: vocab entry ", std::to_string(id), " is not valid UTF-8"});
    wp->max_token_chars_ = std::max(wp->max_token_chars_, utf8_chars(tok));
  }
  return wp;
}

namespace {

// BERT's BasicTokenizer over input[begin, end): calls piece(chars, n) for each
// piece, with chars[k].source indexing sources (one entry per input character).
template <class Piece>
void basic_tokenize(std::string_view input, std::size_t begin, std::size_t end, bool normalize,
                    const BertNormalizerOptions& norm, std::vector<CharSource>& sources, Piece&& piece) {
  const bool clean = normalize && norm.clean_text;
  const bool cjk = normalize && norm.handle_chinese_chars;
  const bool lower = normalize && norm.lowercase;
  const bool strip = normalize && norm.strip_accents;
  std::vector<Mapped> word, lowered, stripped;
  // A whitespace-delimited word: lowercase (Python's str.lower() sees the
  // whole word, for the final sigma), strip accents, split on punctuation.
  auto flush = [&] {
    if (word.empty()) return;
    const std::vector<Mapped>* chars = &word;
    if (lower) {
      unicode::lower_word(*chars, lowered);
      chars = &lowered;
    }
    if (strip) {
      unicode::strip_accents(*chars, stripped);
      chars = &stripped;
    }
    const Mapped* p = chars->data();
    const std::size_t n = chars->size();
    std::size_t start = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!is_bert_punctuation(p[i].cp)) continue;
      if (i > start) piece(p + start, i - start);
      piece(p + i, 1);
      start = i + 1;
    }
    if (n > start) piece(p + start, n - start);
    word.clear();
  };
  for (std::size_t i = begin; i < end;) {
    const unicode::Decoded d = unicode::decode(input, i);
    const auto source = static_cast<std::uint32_t>(sources.size());
    sources.push_back({i, i + d.len});
    i += d.len;
    char32_t c = d.cp;  // U+FFFD when invalid
    if (clean) {
      if (c == 0 || c == unicode::kReplacement || is_bert_control(c)) continue;
      if (is_bert_whitespace(c)) c = ' ';
    }
    if (unicode::is_python_space(c)) {
      flush();
    } else if (cjk && is_bert_cjk(c)) {
      flush();
      word.push_back({c, source});
      flush();
    } else {
      word.push_back({c, source});
    }
  }
  flush();
}

}  // namespace

std::vector<std::string> bert_basic_tokenize(std::string_view text, const BertNormalizerOptions& options) {
  std::vector<std::string> out;
  std::vector<CharSource> sources;
  basic_tokenize(text, 0, text.size(), true, options, sources, [&](const Mapped* chars, std::size_t n) {
    std::string s;
    for (std::size_t k = 0; k < n; ++k) unicode::append_utf8(s, chars[k].cp);
    out.push_back(std::move(s));
  });
  return out;
}

void WordPiece::encode_span(std::string_view input, std::size_t begin, std::size_t end,
                            std::vector<Token>& out) const {
  std::vector<CharSource> sources;
  basic_tokenize(input, begin, end, options_.normalize, options_.normalizer, sources,
                 [&](const Mapped* chars, std::size_t n) { encode_piece(chars, n, sources, out); });
}

void WordPiece::encode_piece(const Mapped* chars, std::size_t n, const std::vector<CharSource>& sources,
                             std::vector<Token>& out) const {
  auto range = [&](std::size_t from, std::size_t to, Token& t) {
    t.begin = sources[chars[from].source].begin;
    t.end = sources[chars[from].source].end;
    for (std::size_t k = from + 1; k < to; ++k) {
      t.begin = std::min(t.begin, sources[chars[k].source].begin);
      t.end = std::max(t.end, sources[chars[k].source].end);
    }
  };
  auto unk = [&] {
    Token t;
    t.id = options_.unk_id;
    t.text = vocab_.token(t.id);
    range(0, n, t);
    out.push_back(std::move(t));
  };
  if (n > options_.max_input_chars_per_word) return unk();
  std::string utf8;
  std::vector<std::size_t> offset(n + 1);
  for (std::size_t k = 0; k < n; ++k) {
    offset[k] = utf8.size();
    unicode::append_utf8(utf8, chars[k].cp);
  }
  offset[n] = utf8.size();
  const std::size_t first = out.size();
  std::string key;
  for (std::size_t start = 0; start < n;) {
    std::int32_t id = -1;
    std::size_t end = std::min(n, start + max_token_chars_);
    for (; end > start; --end) {
      key.assign(start > 0 ? options_.prefix : std::string());
      key.append(utf8, offset[start], offset[end] - offset[start]);
      id = vocab_.find(key);
      if (id >= 0) break;
    }
    if (id < 0) {
      out.resize(first);  // the whole word is unknown
      return unk();
    }
    Token t;
    t.id = id;
    t.text = vocab_.token(id);
    range(start, end, t);
    out.push_back(std::move(t));
    start = end;
  }
}

std::string WordPiece::token_text(std::int32_t id) const {
  if (const AddedToken* t = added_token(id)) return t->content;
  return vocab_.contains_id(id) ? vocab_.token(id) : std::string();
}

std::string WordPiece::decode(const std::vector<std::int32_t>& ids) const {
  std::string text;
  bool first = true;
  for (const std::int32_t id : ids) {
    const AddedToken* added = added_token(id);
    if (!added && !vocab_.contains_id(id)) continue;
    std::string tok = added ? added->content : vocab_.token(id);
    if (!options_.wordpiece_decoder) {
      if (!first) text += ' ';
      text += tok;
      first = false;
      continue;
    }
    if (!first) {
      const std::string& pre = options_.decoder_prefix;
      if (tok.compare(0, pre.size(), pre) == 0)
        tok.erase(0, pre.size());  // "" always matches, as in Rust
      else
        tok.insert(0, " ");
    }
    first = false;
    text += options_.decoder_cleanup ? cleanup(std::move(tok)) : tok;
  }
  // transformers cleans the joined text once more (clean_up_tokenization_spaces).
  if (options_.wordpiece_decoder && options_.decoder_cleanup) text = cleanup(std::move(text));
  return unicode::to_valid_utf8(text);
}

}  // namespace attnscope::tokenizer
