// BERT's tokenizer: BertNormalizer + BertPreTokenizer + WordPiece, following
// google-research/bert's tokenization.py (the algorithm BERT was trained with):
//   clean text: drop U+0000, U+FFFD and Cc/Cf (but \t \n \r), whitespace
//     (' ', \t, \n, \r, Zs) -> ' '
//   CJK ideographs (BERT's ranges) become words of their own
//   split on whitespace (Python's str.split(), so U+2028/U+2029 split too)
//   lowercase each word with Python's str.lower() (final sigma, İ -> i̇),
//     then strip accents (NFD, drop Mn)
//   split on punctuation (P* and ASCII 33-47, 58-64, 91-96, 123-126)
//   greedy longest-match-first WordPiece, "##" continuations; a word longer
//     than 100 characters or with an unmatchable rest is one [UNK].
// Known differences from Hugging Face's Rust BertNormalizer (rare input
// only): it removes all C* (also Co private use, Cn unassigned, Cs), treats
// Unicode White_Space as space (U+2028/9 too, same result), strips accents
// before lowercasing and lowercases per character (no final sigma: "ΟΔΟΣ" ->
// "οδοσ" there, "οδος" here and in Python).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "tokenizer/pipeline.hpp"
#include "tokenizer/unicode.hpp"
#include "tokenizer/vocab.hpp"

namespace attnscope::tokenizer {

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;  // Hugging Face: null means "as lowercase"
  bool lowercase = true;
};

struct WordPieceOptions {
  std::int32_t unk_id = -1;  // required
  std::string prefix = "##";
  std::size_t max_input_chars_per_word = 100;
  bool normalize = true;  // false: no BertNormalizer at all
  BertNormalizerOptions normalizer;
  // Decoder: Hugging Face's WordPiece decoder, or (when false) none, which
  // joins tokens with spaces.
  bool wordpiece_decoder = true;
  std::string decoder_prefix = "##";
  bool decoder_cleanup = true;
};

// BERT's _is_chinese_char ranges.
bool is_bert_cjk(char32_t cp);
// BERT's _is_punctuation.
bool is_bert_punctuation(char32_t cp);

// BERT's BasicTokenizer alone (normalization and pre-tokenization, no
// WordPiece): the pieces WordPiece would look up, as UTF-8.
std::vector<std::string> bert_basic_tokenize(std::string_view text, const BertNormalizerOptions& options);

// Input bytes of one input character (normalized characters point at these).
struct CharSource {
  std::size_t begin, end;
};

class WordPiece final : public PipelineTokenizer {
 public:
  static Result<std::unique_ptr<WordPiece>> create(Vocab vocab, const WordPieceOptions& options);

  std::string decode(const std::vector<std::int32_t>& ids) const override;
  std::string_view kind() const override { return "wordpiece"; }

 protected:
  void encode_span(std::string_view input, std::size_t begin, std::size_t end,
                   std::vector<Token>& out) const override;
  std::string token_text(std::int32_t id) const override;

 private:
  WordPiece(Vocab vocab, const WordPieceOptions& options);
  void encode_piece(const unicode::Mapped* chars, std::size_t n, const std::vector<CharSource>& sources,
                    std::vector<Token>& out) const;

  Vocab vocab_;
  WordPieceOptions options_;
  std::size_t max_token_chars_ = 0;  // no longer substring can match
};

}  // namespace attnscope::tokenizer
