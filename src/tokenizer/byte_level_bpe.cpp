#include "tokenizer/byte_level_bpe.hpp"

#include <algorithm>
#include <queue>

#include "tokenizer/unicode.hpp"

namespace attnscope::tokenizer {
namespace {

enum Kind : std::uint8_t { kSpace, kLetter, kNumber, kOther };

struct Char {
  std::uint32_t begin;  // byte offset
  char32_t cp;          // U+FFFD for an invalid sequence
  std::uint8_t len;     // bytes (an invalid sequence: its maximal subpart)
  bool valid;
  Kind kind;
};

Kind kind_of(char32_t cp, bool valid) {
  if (!valid) return kOther;
  if (unicode::is_js_space(cp)) return kSpace;
  switch (unicode::char_class(cp)) {
    case unicode::Class::kLetter: return kLetter;
    case unicode::Class::kNumber: return kNumber;
    default: return kOther;
  }
}

bool is_contraction_tail(char32_t c) {
  return c == 's' || c == 't' || c == 'm' || c == 'd';
}

// The cache holds short words only and is dropped when full: typing keeps
// hitting the same words, and memory stays bounded.
constexpr std::size_t kCacheMaxWordBytes = 256;
constexpr std::size_t kCacheMaxEntries = 1 << 16;

std::vector<Char> scan(std::string_view text) {
  std::vector<Char> chars;
  chars.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const unicode::Decoded d = unicode::decode(text, i);
    chars.push_back({static_cast<std::uint32_t>(i), d.cp, static_cast<std::uint8_t>(d.len), d.valid,
                     kind_of(d.cp, d.valid)});
    i += d.len;
  }
  return chars;
}

// The regex over scanned characters; pieces as byte ranges of text.
std::vector<std::pair<std::size_t, std::size_t>> pretokenize(const std::vector<Char>& chars,
                                                             std::size_t text_size) {
  const std::size_t n = chars.size();
  std::vector<std::pair<std::size_t, std::size_t>> out;
  auto emit = [&](std::size_t from, std::size_t to) {
    out.emplace_back(chars[from].begin, to < n ? chars[to].begin : text_size);
  };
  std::size_t i = 0;
  while (i < n) {
    // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, tried first)
    if (chars[i].cp == '\'' && i + 1 < n) {
      const char32_t c1 = chars[i + 1].cp;
      if (is_contraction_tail(c1)) {
        emit(i, i + 2);
        i += 2;
        continue;
      }
      if (i + 2 < n) {
        const char32_t c2 = chars[i + 2].cp;
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
          emit(i, i + 3);
          i += 3;
          continue;
        }
      }
    }
    // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: a run of one kind, optionally
    // led by one U+0020.
    std::size_t j = i;
    if (chars[i].cp == ' ' && i + 1 < n && chars[i + 1].kind != kSpace) j = i + 1;
    const Kind k = chars[j].kind;
    if (k != kSpace) {
      std::size_t e = j + 1;
      while (e < n && chars[e].kind == k) ++e;
      emit(i, e);
      i = e;
      continue;
    }
    // `\s+(?!\S)|\s+`: a space run keeps its last space for the next word
    // unless it ends the text.
    std::size_t e = i + 1;
    while (e < n && chars[e].kind == kSpace) ++e;
    if (e < n && e - i >= 2) --e;
    emit(i, e);
    i = e;
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> gpt2_pretokenize(std::string_view text) {
  return pretokenize(scan(text), text.size());
}

const std::array<std::string, 256>& byte_level_alphabet() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    char32_t next = 256;
    for (unsigned b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      unicode::append_utf8(t[b], printable ? static_cast<char32_t>(b) : next++);
    }
    return t;
  }();
  return table;
}

ByteLevelBpe::ByteLevelBpe(Vocab vocab, const ByteLevelOptions& options)
    : PipelineTokenizer(vocab.size()), vocab_(std::move(vocab)), options_(options) {}

ATTNSCOPE_TOKENIZER_COLD Result<std::unique_ptr<ByteLevelBpe>> ByteLevelBpe::create(
    Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
    const ByteLevelOptions& options) {
  if (vocab.size() == 0) return error(Code::kParseError, {"BPE: the vocab is empty"});
  if (options.unk_id >= 0 && !vocab.contains_id(options.unk_id))
    return error(Code::kParseError, {"BPE: the unk token is not in the vocab"});
  std::unique_ptr<ByteLevelBpe> bpe(new ByteLevelBpe(std::move(vocab), options));
  const auto& alphabet = byte_level_alphabet();
  for (unsigned b = 0; b < 256; ++b) bpe->byte_id_[b] = bpe->vocab_.find(alphabet[b]);

  // Bytes each token stands for. Hugging Face's ByteLevel decoder keeps a
  // token with a character outside the alphabet as its raw UTF-8. The
  // alphabet's characters are all below U+0144.
  std::array<std::int16_t, 0x144> char_byte;
  char_byte.fill(-1);
  for (unsigned b = 0; b < 256; ++b)
    char_byte[unicode::decode(alphabet[b], 0).cp] = static_cast<std::int16_t>(b);
  bpe->token_bytes_.resize(bpe->vocab_.size());
  for (std::size_t id = 0; id < bpe->vocab_.size(); ++id) {
    const std::string& tok = bpe->vocab_.token(static_cast<std::int32_t>(id));
    std::string bytes;
    bool mapped = true;
    for (std::size_t i = 0; i < tok.size() && mapped;) {
      const unicode::Decoded d = unicode::decode(tok, i);
      mapped = d.valid && d.cp < char_byte.size() && char_byte[d.cp] >= 0;
      if (mapped) bytes += static_cast<char>(char_byte[d.cp]);
      i += d.len;
    }
    bpe->token_bytes_[id] = mapped ? std::move(bytes) : tok;
  }

  bpe->merges_.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    const std::int32_t ia = bpe->vocab_.find(a), ib = bpe->vocab_.find(b), im = bpe->vocab_.find(a + b);
    if (ia < 0 || ib < 0 || im < 0)
      return error(Code::kParseError,
                   {"BPE: merge ", std::to_string(rank + 1), " (", quoted(a), " ", quoted(b), ") refers to ",
                    quoted(ia < 0   ? a
                           : ib < 0 ? b
                                    : a + b),
                    ", which is not in the vocab"});
    // A repeated pair keeps its last rank, as Python's dict(zip(...)) does.
    bpe->merges_[(std::uint64_t{static_cast<std::uint32_t>(ia)} << 32) | static_cast<std::uint32_t>(ib)] = {
        static_cast<std::int32_t>(rank), im};
  }
  return bpe;
}

void ByteLevelBpe::merge_word(std::string_view word, std::vector<Piece>& out) const {
  // A doubly linked list of symbols; candidate merges in a min-heap by (rank,
  // position), checked when popped. For merge lists where every merge ranks
  // after the merges that made its parts (GPT-2's), this equals OpenAI's
  // "merge every occurrence of the best pair, repeat" and is O(n log n).
  struct Sym {
    std::int32_t id;
    std::int32_t prev, next;
    std::uint32_t len;  // 0: merged into its left neighbour
  };
  struct Cand {
    std::int32_t rank, pos, left, right, id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::vector<Sym> syms;
  syms.reserve(word.size());
  out.clear();
  std::uint32_t dropped = 0;  // a run of dropped bytes becomes one id -1 symbol, which never merges
  for (const char c : word) {
    std::int32_t id = byte_id_[static_cast<unsigned char>(c)];
    if (id < 0) id = options_.unk_id;
    if (id < 0) {  // not in the vocab and no unk: dropped, as Hugging Face does
      ++dropped;
      continue;
    }
    if (dropped) {
      syms.push_back({-1, 0, 0, dropped});
      dropped = 0;
    }
    if (options_.fuse_unk && id == options_.unk_id && !syms.empty() && syms.back().id == id) {
      ++syms.back().len;
      continue;
    }
    syms.push_back({id, 0, 0, 1});
  }
  if (dropped) syms.push_back({-1, 0, 0, dropped});
  const auto n = static_cast<std::int32_t>(syms.size());
  for (std::int32_t i = 0; i < n; ++i) {
    syms[i].prev = i - 1;
    syms[i].next = i + 1 < n ? i + 1 : -1;
  }
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto consider = [&](std::int32_t pos) {
    if (pos < 0) return;
    const std::int32_t nx = syms[pos].next;
    if (nx < 0 || syms[pos].id < 0 || syms[nx].id < 0) return;
    const auto it = merges_.find((std::uint64_t{static_cast<std::uint32_t>(syms[pos].id)} << 32) |
                                 static_cast<std::uint32_t>(syms[nx].id));
    if (it != merges_.end()) heap.push({it->second.rank, pos, syms[pos].id, syms[nx].id, it->second.id});
  };
  for (std::int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    Sym& s = syms[c.pos];
    if (s.len == 0 || s.id != c.left || s.next < 0) continue;
    Sym& r = syms[s.next];
    if (r.id != c.right) continue;
    s.id = c.id;
    s.len += r.len;
    r.len = 0;
    s.next = r.next;
    if (s.next >= 0) syms[s.next].prev = c.pos;
    consider(s.prev);
    consider(c.pos);
  }
  for (std::int32_t i = 0; i >= 0 && i < n; i = syms[i].next) out.push_back({syms[i].id, syms[i].len});
}

void ByteLevelBpe::encode_word(std::string_view word, std::vector<Piece>& out) const {
  out.clear();
  if (word.size() == 1 && byte_id_[static_cast<unsigned char>(word[0])] >= 0) {
    out.push_back({byte_id_[static_cast<unsigned char>(word[0])], 1});
    return;
  }
  const bool cacheable = word.size() <= kCacheMaxWordBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = cache_.find(std::string(word));
    if (it != cache_.end()) {
      out = it->second;
      return;
    }
  }
  if (options_.ignore_merges) {
    std::string mapped;
    for (const char c : word) mapped += byte_level_alphabet()[static_cast<unsigned char>(c)];
    const std::int32_t id = vocab_.find(mapped);
    if (id >= 0) out.push_back({id, static_cast<std::uint32_t>(word.size())});
  }
  if (out.empty()) merge_word(word, out);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheMaxEntries) cache_.clear();
    cache_.emplace(std::string(word), out);
  }
}

void ByteLevelBpe::encode_span(std::string_view input, std::size_t begin, std::size_t end,
                               std::vector<Token>& out) const {
  const std::string_view span = input.substr(begin, end - begin);
  // The stream the model sees: the span, maybe after a synthetic space.
  const bool prefix = options_.add_prefix_space && !span.empty() && span[0] != ' ';
  std::string prefixed;
  if (prefix) prefixed = " " + std::string(span);
  const std::string_view stream = prefix ? std::string_view(prefixed) : span;
  auto to_input = [&](std::size_t p) { return prefix ? begin + (p == 0 ? 0 : p - 1) : begin + p; };

  const std::vector<Char> chars = scan(stream);
  std::size_t ci = 0;  // first character that may overlap the next token

  std::vector<std::pair<std::size_t, std::size_t>> words;
  if (options_.use_regex)
    words = pretokenize(chars, stream.size());
  else if (!stream.empty())
    words.emplace_back(0, stream.size());
  std::vector<Piece> pieces;
  for (const auto& [wb, we] : words) {
    encode_word(stream.substr(wb, we - wb), pieces);
    std::size_t p = wb;
    for (const Piece& piece : pieces) {
      const std::size_t a = p, b = p + piece.len;
      p = b;
      if (piece.id < 0) continue;
      Token t;
      t.id = piece.id;
      t.begin = to_input(a);
      t.end = (prefix && b == 1) ? begin : to_input(b - 1) + 1;
      // Whole characters: every one the token's bytes touch.
      while (ci < chars.size() && chars[ci].begin + chars[ci].len <= a) ++ci;
      std::size_t cj = ci;
      for (; cj < chars.size() && chars[cj].begin < b; ++cj) {
        if (chars[cj].valid)
          t.text.append(stream.substr(chars[cj].begin, chars[cj].len));
        else
          unicode::append_utf8(t.text, unicode::kReplacement);
      }
      t.partial = chars[ci].begin != a || chars[cj - 1].begin + chars[cj - 1].len != b;
      out.push_back(std::move(t));
    }
  }
}

std::string ByteLevelBpe::bytes_of(std::int32_t id) const {
  if (const AddedToken* t = added_token(id)) {
    // Added tokens go through the same decoder as vocab entries.
    std::string bytes;
    const auto& alphabet = byte_level_alphabet();
    for (std::size_t i = 0; i < t->content.size();) {
      const unicode::Decoded d = unicode::decode(t->content, i);
      const auto it = std::find(alphabet.begin(), alphabet.end(), t->content.substr(i, d.len));
      if (it == alphabet.end()) return t->content;
      bytes += static_cast<char>(it - alphabet.begin());
      i += d.len;
    }
    return bytes;
  }
  if (!vocab_.contains_id(id)) return {};
  return token_bytes_[static_cast<std::size_t>(id)];
}

std::string ByteLevelBpe::decode(const std::vector<std::int32_t>& ids) const {
  std::string bytes;
  for (const std::int32_t id : ids) bytes += bytes_of(id);
  return unicode::to_valid_utf8(bytes);
}

std::string ByteLevelBpe::token_text(std::int32_t id) const {
  return unicode::to_valid_utf8(bytes_of(id));
}

}  // namespace attnscope::tokenizer
