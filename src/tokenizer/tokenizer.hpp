// Tokenizers for the models attnscope runs: GPT-2's byte-level BPE and BERT's
// WordPiece, matching OpenAI's encoder / Hugging Face's tokenizers id for id.
//
// Pipeline (both kinds): added tokens (tokenizer.json "added_tokens", e.g.
// <|endoftext|>, [CLS], [MASK]) are matched in the raw input first, leftmost
// longest; the text between them goes through the model's pre-tokenizer and
// model; add_special_tokens wraps the result in the post-processor's template
// ([CLS] ... [SEP] for BERT; nothing for GPT-2).
//
// Unicode data is Unicode 14.0 (Python 3.11's unicodedata, see unicode.hpp).
//
// Display strings (Token::text):
//  - WordPiece: the vocabulary entry ("play", "##ing", "[UNK]").
//  - Byte-level BPE: the token's bytes as UTF-8, so GPT-2's "Ġworld" reads
//    " world" and "Ċ" reads "\n". When a character's bytes are split across
//    tokens (emoji, CJK, accented letters are often split by GPT-2), every token
//    holding some of its bytes shows the whole character and has partial =
//    true; e.g. "🤗" as [F0 9F][A4][97] displays "🤗" three times, all partial.
//    Concatenating the texts of a run of partial tokens therefore repeats the
//    character: use begin/end to map tokens back to the input. Invalid UTF-8 in
//    the input displays as U+FFFD.
//  - Special tokens: their content ("[CLS]", "<|endoftext|>").
//
// Offsets: byte offsets into the input. Special tokens inserted by the
// template have an empty range (at 0 for a prefix, at the end for a suffix);
// added tokens matched in the text cover their match. WordPiece tokens cover
// the input characters they were normalized from (a lowercased "É" maps back
// to its two bytes); byte-level tokens cover exactly their bytes (the space
// add_prefix_space inserts shows in the text but covers no input).
//
// Input text: UTF-8. Invalid sequences never fail: BERT reads each as U+FFFD
// (which its cleaning removes), byte-level BPE encodes the raw bytes (and
// pre-tokenizes them as U+FFFD, i.e. as punctuation). A JavaScript string
// with lone surrogates must be made well-formed before it is converted to
// UTF-8 (String.prototype.toWellFormed): that is what gpt-3-encoder's
// TextEncoder does, while Emscripten's string conversion mangles them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace attnscope::tokenizer {

// Longest input encode() accepts (bytes); longer input is Code::kTooLarge.
constexpr std::size_t kMaxInputBytes = 1000000;

struct Token {
  std::int32_t id = 0;
  std::string text;                // display string, see above
  std::size_t begin = 0, end = 0;  // byte offsets into the input
  bool special = false;            // [CLS], [SEP], <|endoftext|> ...
  bool partial = false;            // byte-level BPE: holds only part of a character's bytes
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Input: UTF-8 bytes; see above for invalid UTF-8. Errors: kTooLarge.
  virtual Result<std::vector<Token>> encode(std::string_view text, bool add_special_tokens = true) const = 0;
  // transformers' decode(ids) (skip_special_tokens=False): byte-level tokens
  // are turned back into bytes (invalid UTF-8 becomes U+FFFD); WordPiece
  // tokens are joined with spaces, "##" pieces glued on, and " ." -> "."
  // style cleanup applied (clean_up_tokenization_spaces). Special tokens
  // decode to their content; unknown ids are skipped. Always valid UTF-8.
  virtual std::string decode(const std::vector<std::int32_t>& ids) const = 0;
  // Model vocabulary plus added tokens with ids beyond it.
  virtual std::size_t vocab_size() const = 0;
  virtual std::string_view kind() const = 0;  // "bpe" | "wordpiece"
};

// Hugging Face tokenizer.json. Supported: model BPE with a ByteLevel
// pre-tokenizer (add_prefix_space, use_regex) and ByteLevel decoder, or model
// WordPiece with BertNormalizer (or none), BertPreTokenizer and WordPiece
// decoder; post-processor ByteLevel, TemplateProcessing (single sequence),
// BertProcessing, RobertaProcessing or a Sequence of those; merges as "a b"
// strings or ["a", "b"] pairs; added_tokens (lstrip, rstrip, single_word;
// all matched in the raw text, also those marked "normalized", which Hugging
// Face matches after normalization: the same for BERT's and GPT-2's files).
// Any other component -> kUnsupported naming it; malformed -> kParseError.
Result<std::unique_ptr<Tokenizer>> load_tokenizer_json(std::string_view json);

// GPT-2's legacy files: vocab.json (encoder.json) and merges.txt (vocab.bpe,
// first line "#version: ..."). Like Hugging Face's GPT2Tokenizer,
// "<|endoftext|>" (when in the vocabulary) is matched as a special token.
Result<std::unique_ptr<Tokenizer>> load_gpt2_files(std::string_view vocab_json, std::string_view merges_txt);

// BERT's legacy vocab.txt: one token per line, id = line number (a repeated
// token keeps its last line's id, as BERT's load_vocab does). strip_accents
// follows lowercase. [UNK] must be present; [CLS]/[SEP] wrap the text when
// present; [PAD], [UNK], [CLS], [SEP], [MASK] in the text are matched as
// special tokens (as Hugging Face's BertTokenizer does).
Result<std::unique_ptr<Tokenizer>> load_bert_vocab(std::string_view vocab_txt, bool lowercase = true);

}  // namespace attnscope::tokenizer
