// A transformer forward pass that exposes every layer's and head's attention.
// GPT-2 keeps a key/value cache: when a call's ids share a prefix with the
// previous call's (text appended, or edited near the end), only the rows from
// the first difference on are computed.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.hpp"
#include "io/safetensors.hpp"
#include "model/config.hpp"
#include "model/weights.hpp"

namespace attnscope::model {

struct ForwardOptions {
  bool hidden_states = false;  // also return every layer's output
  bool use_cache = true;       // GPT-2: reuse the previous call's prefix
  // Also return one head's queries, keys, values and raw scores (the page's
  // step-by-step view); -1 for none. Forces a full pass (no cache reuse).
  int inspect_layer = -1;
  int inspect_head = -1;
};

// One head's inputs to attention, as the kernels saw them.
struct HeadInspection {
  std::size_t layer = 0, head = 0, head_dim = 0;
  std::vector<float> q, k, v;  // [T, dh] each (projected, before scoring)
  std::vector<float> scores;   // e_ij after scoring and scaling, -inf where masked [T, T]
};

struct ForwardResult {
  std::size_t layers = 0, heads = 0, tokens = 0, d_model = 0;
  std::vector<float> attentions;     // [layers, heads, T, T]
  std::vector<float> last_hidden;    // [T, D]: after ln_f (GPT-2) / the last layer (BERT)
  std::vector<float> hidden_states;  // [layers + 1, T, D] when requested: embeddings, then each layer
  std::size_t reused = 0;            // leading positions served from the cache
  std::vector<HeadInspection> inspected;  // empty, or the requested head
};

class Model {
 public:
  // Converts the weights to float32; `file` may be freed afterwards.
  static Result<std::unique_ptr<Model>> create(const ModelConfig& config, const io::SafeTensors& file);

  const ModelConfig& config() const { return config_; }
  // The most tokens one forward pass takes: the model's positions, bounded so
  // the attentions [L, H, T, T] stay within limits::kMaxElements.
  std::size_t max_tokens() const;

  // ids in [0, vocab_size), 1..max_tokens() of them. token_types: BERT only,
  // empty means all 0.
  Result<ForwardResult> forward(const std::vector<std::int32_t>& ids, const std::vector<std::int32_t>& token_types = {},
                                const ForwardOptions& options = {});
  void clear_cache();

 private:
  Model(ModelConfig config, ModelWeights weights);
  Status check_ids(const std::vector<std::int32_t>& ids, const std::vector<std::int32_t>& token_types) const;
  Result<ForwardResult> forward_gpt2(const std::vector<std::int32_t>& ids, const ForwardOptions& options);
  Result<ForwardResult> forward_bert(const std::vector<std::int32_t>& ids,
                                     const std::vector<std::int32_t>& token_types, const ForwardOptions& options);

  ModelConfig config_;
  ModelWeights w_;
  // GPT-2 cache: the last call's ids, per-layer keys/values [positions, D] and result.
  std::vector<std::int32_t> cached_ids_;
  std::vector<std::vector<float>> k_cache_, v_cache_;
  ForwardResult cached_;
};

}  // namespace attnscope::model
