// A model's parameters, converted to float32 from a safetensors file and
// checked against the config: every tensor the architecture needs present,
// with the expected shape and finite values.
#pragma once

#include <string>
#include <vector>

#include "core/status.hpp"
#include "io/safetensors.hpp"
#include "model/config.hpp"

namespace attnscope::model {

struct Param {
  std::vector<float> data;
  const float* ptr() const { return data.data(); }
};

// Layouts as stored: GPT-2's Conv1D weights are [in, out] (y = x W + b),
// BERT's Linear weights [out, in] (y = x W^T + b).
struct LayerWeights {
  Param ln1_g, ln1_b, ln2_g, ln2_b;  // GPT-2: before attention / MLP; BERT: after them
  Param qkv_w, qkv_b;                // GPT-2 c_attn [D, 3D], [3D]
  Param q_w, q_b, k_w, k_b, v_w, v_b;  // BERT [D, D], [D]
  Param o_w, o_b;                    // attention output [D, D]
  Param fc_w, fc_b;                  // MLP in: GPT-2 [D, F]; BERT [F, D]
  Param proj_w, proj_b;              // MLP out: GPT-2 [F, D]; BERT [D, F]
  Param score_wq, score_wk, score_b, score_v;  // additive scoring [H, A, dh], [H, A, dh], [H, A], [H, A]
};

struct ModelWeights {
  Param token_embedding;     // [V, D]
  Param position_embedding;  // [P, D]
  Param type_embedding;      // BERT [types, D]
  Param embed_ln_g, embed_ln_b;  // BERT
  Param final_ln_g, final_ln_b;  // GPT-2 ln_f
  std::vector<LayerWeights> layers;
};

// Names are the Hugging Face ones, with or without a "transformer." / "bert."
// / "model." prefix; old checkpoints' LayerNorm gamma/beta are accepted.
// Tensors the architecture does not use (heads, pooler, mask buffers) are ignored.
Result<ModelWeights> load_weights(const ModelConfig& config, const io::SafeTensors& file);

}  // namespace attnscope::model
