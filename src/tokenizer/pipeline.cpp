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

ATTNSCOPE_TOKENIZER_COLD Status error(Code code, std::initializer_list<std::string_view> parts) {
  std::string message;
  for (const std::string_view p : parts) message.append(p);
  return {code, std::move(message)};
}

ATTNSCOPE_TOKENIZER_COLD std::string quoted(std::string_view s) {
  return "\"" + unicode::to_valid_utf8(s.substr(0, 64)) + "\"";
}

ATTNSCOPE_TOKENIZER_COLD Status PipelineTokenizer::set_added_tokens(std::vector<AddedToken> tokens) {
  const std::size_t limit = vocab_size_ + tokens.size();
  // Insertion sorts: there are few added tokens, and std::sort's code is not.
  for (std::size_t i = 1; i < tokens.size(); ++i)
    for (std::size_t k = i; k > 0 && tokens[k - 1].id > tokens[k].id; --k)
      std::swap(tokens[k - 1], tokens[k]);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const AddedToken& t = tokens[i];
    const std::string id = std::to_string(t.id);
    if (t.id < 0 || static_cast<std::size_t>(t.id) >= limit)
      return error(Code::kParseError, {"added token ", quoted(t.content), " has id ", id, ", outside [0, ",
                                       std::to_string(limit), ")"});
    if (t.content.empty()) return error(Code::kParseError, {"added token ", id, " is empty"});
    if (unicode::to_valid_utf8(t.content) != t.content)
      return error(Code::kParseError, {"added token ", id, " is not valid UTF-8"});
    if (i > 0 && tokens[i - 1].id == t.id) return error(Code::kParseError, {"two added tokens have id ", id});
  }
  added_ = std::move(tokens);
  match_order_.clear();
  first_byte_.fill(false);
  for (std::size_t i = 0; i < added_.size(); ++i) {
    vocab_size_ = std::max(vocab_size_, static_cast<std::size_t>(added_[i].id) + 1);
    first_byte_[static_cast<unsigned char>(added_[i].content[0])] = true;
    match_order_.push_back(static_cast<std::uint32_t>(i));
    for (std::size_t k = match_order_.size() - 1;
         k > 0 && added_[match_order_[k - 1]].content.size() < added_[i].content.size(); --k)
      std::swap(match_order_[k - 1], match_order_[k]);
  }
  return Status::ok();
}

const AddedToken* PipelineTokenizer::added_token(std::int32_t id) const {
  const auto it = std::lower_bound(added_.begin(), added_.end(), id,
                                   [](const AddedToken& t, std::int32_t v) { return t.id < v; });
  return it != added_.end() && it->id == id ? &*it : nullptr;
}

std::vector<PipelineTokenizer::Match> PipelineTokenizer::find_added(std::string_view text) const {
  std::vector<Match> matches;
  if (added_.empty()) return matches;
  std::size_t floor = 0;  // end of the previous match: stripping stops there
  for (std::size_t i = 0; i < text.size();) {
    const AddedToken* hit = nullptr;
    if (!first_byte_[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    for (const std::uint32_t k : match_order_) {
      const AddedToken& t = added_[k];
      if (text.compare(i, t.content.size(), t.content) != 0) continue;
      if (t.single_word) {
        const std::size_t e = i + t.content.size();
        if (i > 0 && is_word_char(char_before(text, i).cp)) continue;
        if (e < text.size() && is_word_char(unicode::decode(text, e).cp)) continue;
      }
      hit = &t;  // the longest: match_order_ is sorted by length
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
    return error(Code::kTooLarge,
                 {"text of ", std::to_string(text.size()), " bytes is above the tokenizer's limit of ",
                  std::to_string(kMaxInputBytes)});
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
