// What both tokenizer kinds share: the input size limit, added tokens matched
// in the raw text, and the post-processor template. A model only encodes the
// spans of text between added tokens.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/attributes.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnscope::tokenizer {

// Error messages are built out of line from parts: inline string
// concatenations on every error path cost a lot of wasm code.
Status error(Code code, std::initializer_list<std::string_view> parts);
// '"' + the first 64 bytes of s + '"', for naming tokens in messages.
std::string quoted(std::string_view s);

// tokenizer.json's added_tokens entries.
struct AddedToken {
  std::string content;
  std::int32_t id = 0;
  bool special = true;
  bool single_word = false;  // match only between non-word characters
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // ... and on its right
};

// The single-sequence template: ids before and after the text.
struct Template {
  std::vector<std::int32_t> prefix, suffix;
};

class PipelineTokenizer : public Tokenizer {
 public:
  Result<std::vector<Token>> encode(std::string_view text, bool add_special_tokens = true) const final;
  std::size_t vocab_size() const final { return vocab_size_; }

  // Set by the loaders, before use. Ids must be valid (below vocab_size()).
  Status set_added_tokens(std::vector<AddedToken> tokens);
  void set_template(Template t) { template_ = std::move(t); }

 protected:
  explicit PipelineTokenizer(std::size_t model_vocab_size) : vocab_size_(model_vocab_size) {}
  // Appends the tokens of input[begin, end), a span with no added tokens.
  virtual void encode_span(std::string_view input, std::size_t begin, std::size_t end,
                           std::vector<Token>& out) const = 0;
  // The added token with this id, or nullptr.
  const AddedToken* added_token(std::int32_t id) const;
  // A template id's display text (added token content, else the model's).
  virtual std::string token_text(std::int32_t id) const = 0;

 private:
  struct Match {
    std::size_t begin, end;  // including stripped whitespace
    const AddedToken* token;
  };
  std::vector<Match> find_added(std::string_view text) const;

  std::size_t vocab_size_;
  std::vector<AddedToken> added_;           // sorted by id
  std::vector<std::uint32_t> match_order_;  // added_ indices, longest content first
  std::array<bool, 256> first_byte_{};      // some added token starts with this byte
  Template template_;
};

}  // namespace attnscope::tokenizer
