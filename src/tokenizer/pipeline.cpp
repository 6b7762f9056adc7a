#include "tokenizer/pipeline.hpp"

#include <algorithm>

#include "tokenizer/unicode.hpp"

namespace attnscope::tokenizer {
namespace {

// Rust's char::is_whitespace (Unicode White_Space), which Hugging Face's
// lstrip/rstrip trim.
bool is_white_space(char32_t c) {
  return unicode::is_python_space(c) && !(c >= 0x1C && c <= 0x1F);
}

bool is_word_char(char32_t c) {
  const auto cls = unicode::char_class(c);
  return c == '_' || cls == unicode::Class::kLetter || cls == unicode::Class::kNumber;
}

// The character ending just before byte i (i > 0).
unicode::Decoded char_before(std::string_view s, std::size_t i) {
  std::size_t b = i - 1;
  while (b > 0 && i - b < 4 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  const unicode::Decoded d = unicode::decode(s, b);
  if (b + d.len == i) return d;
  return {unicode::kReplacement, 1, false};
}

}  // namespace

Status PipelineTokenizer::set_added_tokens(std::vector<AddedToken> tokens) {
  const std::size_t limit = vocab_size_ + tokens.size();
  for (const auto& t : tokens) {
    if (t.id < 0 || static_cast<std::size_t>(t.id) >= limit)
      return {Code::kParseError, "added token \"" + t.content.substr(0, 64) + "\" has id " +
                                     std::to_string(t.id) + ", outside [0, " + std::to_string(limit) + ")"};
    if (t.content.empty()) return {Code::kParseError, "added token " + std::to_string(t.id) + " is empty"};
    if (unicode::to_valid_utf8(t.content) != t.content)
      return {Code::kParseError, "added token " + std::to_string(t.id) + " is not valid UTF-8"};
    if (added_by_id_.count(t.id))
      return {Code::kParseError, "two added tokens have id " + std::to_string(t.id)};
    added_by_id_[t.id] = added_by_id_.size();
  }
  added_ = std::move(tokens);
  for (const auto& t : added_) vocab_size_ = std::max(vocab_size_, static_cast<std::size_t>(t.id) + 1);
  by_first_byte_.assign(256, {});
  for (std::size_t i = 0; i < added_.size(); ++i)
    by_first_byte_[static_cast<unsigned char>(added_[i].content[0])].push_back(i);
  for (auto& bucket : by_first_byte_)
    std::stable_sort(bucket.begin(), bucket.end(), [&](std::size_t a, std::size_t b) {
      return added_[a].content.size() > added_[b].content.size();
    });
  return Status::ok();
}

const AddedToken* PipelineTokenizer::added_token(std::int32_t id) const {
  const auto it = added_by_id_.find(id);
  return it == added_by_id_.end() ? nullptr : &added_[it->second];
}

std::vector<PipelineTokenizer::Match> PipelineTokenizer::find_added(std::string_view text) const {
  std::vector<Match> matches;
  if (added_.empty()) return matches;
  std::size_t floor = 0;  // end of the previous match: stripping stops there
  for (std::size_t i = 0; i < text.size();) {
    const AddedToken* hit = nullptr;
    for (const std::size_t k : by_first_byte_[static_cast<unsigned char>(text[i])]) {
      const AddedToken& t = added_[k];
      if (text.compare(i, t.content.size(), t.content) != 0) continue;
      if (t.single_word) {
        const std::size_t e = i + t.content.size();
        if (i > 0 && is_word_char(char_before(text, i).cp)) continue;
        if (e < text.size() && is_word_char(unicode::decode(text, e).cp)) continue;
      }
      hit = &t;  // the longest, as buckets are sorted by length
      break;
    }
    if (!hit) {
      ++i;
      continue;
    }
    std::size_t b = i, e = i + hit->content.size();
    if (hit->lstrip) {
      while (b > floor) {
        const unicode::Decoded d = char_before(text, b);
        if (!d.valid || !is_white_space(d.cp)) break;
        b -= d.len;
      }
    }
    if (hit->rstrip) {
      while (e < text.size()) {
        const unicode::Decoded d = unicode::decode(text, e);
        if (!d.valid || !is_white_space(d.cp)) break;
        e += d.len;
      }
    }
    matches.push_back({b, e, hit});
    floor = e;
    i = e;
  }
  return matches;
}

Result<std::vector<Token>> PipelineTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  if (text.size() > kMaxInputBytes)
    return Status(Code::kTooLarge, "text of " + std::to_string(text.size()) +
                                       " bytes is above the tokenizer's limit of " +
                                       std::to_string(kMaxInputBytes));
  std::vector<Token> out;
  out.reserve(text.size() / 3 + 4);
  auto special = [&](std::int32_t id, std::size_t at) {
    Token t;
    t.id = id;
    t.text = token_text(id);
    t.begin = t.end = at;
    t.special = true;
    out.push_back(std::move(t));
  };
  if (add_special_tokens)
    for (const std::int32_t id : template_.prefix) special(id, 0);
  std::size_t pos = 0;
  for (const Match& m : find_added(text)) {
    if (m.begin > pos) encode_span(text, pos, m.begin, out);
    Token t;
    t.id = m.token->id;
    t.text = m.token->content;
    t.begin = m.begin;
    t.end = m.end;
    t.special = m.token->special;
    out.push_back(std::move(t));
    pos = m.end;
  }
  if (pos < text.size()) encode_span(text, pos, text.size(), out);
  if (add_special_tokens)
    for (const std::int32_t id : template_.suffix) special(id, text.size());
  return out;
}

}  // namespace attnscope::tokenizer
