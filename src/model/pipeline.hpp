// Text in, attention out: a tokenizer and a model together, with truncation
// to what the model can read.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace attnscope::model {

struct RunOptions {
  bool hidden_states = false;
  bool use_cache = true;
  bool add_special_tokens = true;
  int inspect_layer = -1;  // see ForwardOptions
  int inspect_head = -1;
};

struct RunResult {
  std::vector<tokenizer::Token> tokens;  // the tokens the model saw
  ForwardResult forward;                 // empty (tokens == 0) for text without tokens
  std::size_t total_tokens = 0;          // before truncation
  std::string notice;                    // set when the text was truncated
};

class Pipeline {
 public:
  Pipeline(std::unique_ptr<Model> model, std::unique_ptr<tokenizer::Tokenizer> tokenizer)
      : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {}

  Result<RunResult> run(std::string_view utf8, const RunOptions& options = {});
  Model& model() { return *model_; }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  std::unique_ptr<Model> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
};

}  // namespace attnscope::model
