// GPT-2's byte-level BPE: the pre-tokenizer regex (by hand), bytes_to_unicode,
// and rank-ordered merges with a cache.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/pipeline.hpp"
#include "tokenizer/vocab.hpp"

namespace attnscope::tokenizer {

// GPT-2's pre-tokenizer, as gpt-3-encoder runs it (JavaScript regex, u flag):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// Returns the byte ranges of the pieces, which tile text. \s is JavaScript's
// (unicode::is_js_space); invalid UTF-8 counts as U+FFFD, i.e. [^\s\p{L}\p{N}].
std::vector<std::pair<std::size_t, std::size_t>> gpt2_pretokenize(std::string_view text);

// bytes_to_unicode(): the printable stand-in for each byte, as UTF-8 ("Ġ" for
// a space).
const std::array<std::string, 256>& byte_level_alphabet();

struct ByteLevelOptions {
  bool add_prefix_space = false;  // " " before text that does not start with one
  bool use_regex = true;          // false: the whole span is one word
  bool ignore_merges = false;     // a word found whole in the vocab is one token
  std::int32_t unk_id = -1;       // bytes missing from the vocab: unk, or dropped if -1
  bool fuse_unk = false;
};

class ByteLevelBpe final : public PipelineTokenizer {
 public:
  // Merges are in rank order; each side and their concatenation must be in
  // the vocab (kParseError otherwise, naming the merge).
  static Result<std::unique_ptr<ByteLevelBpe>> create(
      Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
      const ByteLevelOptions& options);

  std::string decode(const std::vector<std::int32_t>& ids) const override;
  std::string_view kind() const override { return "bpe"; }

 protected:
  void encode_span(std::string_view input, std::size_t begin, std::size_t end,
                   std::vector<Token>& out) const override;
  std::string token_text(std::int32_t id) const override;

 private:
  struct Piece {
    std::int32_t id;  // -1: bytes dropped (not in the vocab, no unk)
    std::uint32_t len;
  };
  struct Merge {
    std::int32_t rank, id;
  };

  explicit ByteLevelBpe(Vocab vocab, const ByteLevelOptions& options);
  // The BPE of one pre-token (raw bytes).
  void encode_word(std::string_view word, std::vector<Piece>& out) const;
  void merge_word(std::string_view word, std::vector<Piece>& out) const;
  std::string bytes_of(std::int32_t id) const;

  Vocab vocab_;
  ByteLevelOptions options_;
  std::array<std::int32_t, 256> byte_id_{};
  std::vector<std::string> token_bytes_;  // id -> the bytes it stands for
  std::unordered_map<std::uint64_t, Merge> merges_;

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<Piece>> cache_;
};

}  // namespace attnscope::tokenizer
