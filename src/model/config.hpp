// A model's shape and options, read from its Hugging Face config.json.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "attention/types.hpp"
#include "core/status.hpp"
#include "kernels/activation.hpp"

namespace attnscope::model {

enum class Architecture : unsigned char {
  kGpt2,  // pre-LayerNorm decoder, learned positions, causal (gpt2, distilgpt2, ...)
  kBert,  // post-LayerNorm encoder, token types, bidirectional (bert-*, MiniLM, ...)
};

const char* architecture_name(Architecture a);

struct ModelConfig {
  Architecture arch = Architecture::kGpt2;
  std::size_t vocab_size = 0;
  std::size_t max_positions = 0;  // n_positions / max_position_embeddings
  std::size_t d_model = 0;        // n_embd / hidden_size
  std::size_t layers = 0;
  std::size_t heads = 0;
  std::size_t d_ff = 0;  // n_inner (default 4 d_model) / intermediate_size
  std::size_t type_vocab_size = 0;  // BERT only
  float layer_norm_eps = 1e-5f;
  kernels::Gelu activation = kernels::Gelu::kTanh;
  // attnscope's extension: "attention_scoring": "scaled_dot" (default) or
  // "additive" with "additive_dim" A (tensors h.{i}.attn.score.*).
  Scoring scoring = Scoring::kScaledDot;
  std::size_t additive_dim = 0;

  std::size_t head_dim() const { return d_model / heads; }
  // Parameters the weights must hold (embeddings and blocks), for memory checks.
  std::size_t parameter_count() const;
};

// Reads config.json. Unknown model types and inconsistent sizes are errors
// that name the key.
Result<ModelConfig> parse_config(std::string_view json_text);

}  // namespace attnscope::model
