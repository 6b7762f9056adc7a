#include "model/weights.hpp"

#include <cstdlib>
#include <initializer_list>

namespace attnscope::model {
namespace {

std::string shape_string(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

class Binder {
 public:
  explicit Binder(const io::SafeTensors& file) : file_(file) {
    // The prefix is whatever the file puts before a name we know.
    for (const char* p : {"", "transformer.", "bert.", "model.", "gpt2.", "encoder."}) {
      for (const char* probe : {"wte.weight", "embeddings.word_embeddings.weight"})
        if (file.find(std::string(p) + probe)) {
          prefix_ = p;
          return;
        }
    }
  }

  // Binds `name` (with the file's prefix) of exactly `shape` into `out`.
  Status bind(const std::string& name, std::vector<std::size_t> shape, Param& out) {
    const io::TensorInfo* info = file_.find(prefix_ + name);
    if (!info && name.size() > 7) {  // LayerNorm.weight/bias were gamma/beta in old checkpoints
      const std::string stem = name.substr(0, name.rfind('.') + 1);
      if (name.compare(stem.size(), std::string::npos, "weight") == 0) info = file_.find(prefix_ + stem + "gamma");
      if (name.compare(stem.size(), std::string::npos, "bias") == 0) info = file_.find(prefix_ + stem + "beta");
    }
    if (!info)
      return {Code::kNotFound, "the weights have no tensor " + prefix_ + name + " (expected " + shape_string(shape) +
                                   "); is this the right model file for the config?"};
    if (info->shape != shape)
      return {Code::kShapeMismatch, "tensor " + info->name + " has shape " + shape_string(info->shape) +
                                        " but config.json implies " + shape_string(shape)};
    out.data.resize(info->elements);
    return file_.read_f32_finite(*info, out.data.data());
  }

 private:
  const io::SafeTensors& file_;
  std::string prefix_;
};

Status bind_gpt2(const ModelConfig& c, Binder& b, ModelWeights& w) {
  const std::size_t D = c.d_model, F = c.d_ff, H = c.heads, A = c.additive_dim, dh = c.head_dim();
  ATTNSCOPE_RETURN_IF_ERROR(b.bind("wte.weight", {c.vocab_size, D}, w.token_embedding));
  ATTNSCOPE_RETURN_IF_ERROR(b.bind("wpe.weight", {c.max_positions, D}, w.position_embedding));
  ATTNSCOPE_RETURN_IF_ERROR(b.bind("ln_f.weight", {D}, w.final_ln_g));
  ATTNSCOPE_RETURN_IF_ERROR(b.bind("ln_f.bias", {D}, w.final_ln_b));
  for (std::size_t i = 0; i < c.layers; ++i) {
    LayerWeights& l = w.layers[i];
    const std::string p = "h." + std::to_string(i) + ".";
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "ln_1.weight", {D}, l.ln1_g));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "ln_1.bias", {D}, l.ln1_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attn.c_attn.weight", {D, 3 * D}, l.qkv_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attn.c_attn.bias", {3 * D}, l.qkv_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attn.c_proj.weight", {D, D}, l.o_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attn.c_proj.bias", {D}, l.o_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "ln_2.weight", {D}, l.ln2_g));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "ln_2.bias", {D}, l.ln2_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "mlp.c_fc.weight", {D, F}, l.fc_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "mlp.c_fc.bias", {F}, l.fc_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "mlp.c_proj.weight", {F, D}, l.proj_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "mlp.c_proj.bias", {D}, l.proj_b));
    if (c.scoring == Scoring::kAdditive) {
      ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attn.score.w_q", {H, A, dh}, l.score_wq));
      ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attn.score.w_k", {H, A, dh}, l.score_wk));
      ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attn.score.bias", {H, A}, l.score_b));
      ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attn.score.v", {H, A}, l.score_v));
    }
  }
  return Status::ok();
}

Status bind_bert(const ModelConfig& c, Binder& b, ModelWeights& w) {
  const std::size_t D = c.d_model, F = c.d_ff;
  ATTNSCOPE_RETURN_IF_ERROR(b.bind("embeddings.word_embeddings.weight", {c.vocab_size, D}, w.token_embedding));
  ATTNSCOPE_RETURN_IF_ERROR(b.bind("embeddings.position_embeddings.weight", {c.max_positions, D}, w.position_embedding));
  ATTNSCOPE_RETURN_IF_ERROR(b.bind("embeddings.token_type_embeddings.weight", {c.type_vocab_size, D}, w.type_embedding));
  ATTNSCOPE_RETURN_IF_ERROR(b.bind("embeddings.LayerNorm.weight", {D}, w.embed_ln_g));
  ATTNSCOPE_RETURN_IF_ERROR(b.bind("embeddings.LayerNorm.bias", {D}, w.embed_ln_b));
  for (std::size_t i = 0; i < c.layers; ++i) {
    LayerWeights& l = w.layers[i];
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.self.query.weight", {D, D}, l.q_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.self.query.bias", {D}, l.q_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.self.key.weight", {D, D}, l.k_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.self.key.bias", {D}, l.k_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.self.value.weight", {D, D}, l.v_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.self.value.bias", {D}, l.v_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.output.dense.weight", {D, D}, l.o_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.output.dense.bias", {D}, l.o_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.output.LayerNorm.weight", {D}, l.ln1_g));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "attention.output.LayerNorm.bias", {D}, l.ln1_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "intermediate.dense.weight", {F, D}, l.fc_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "intermediate.dense.bias", {F}, l.fc_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "output.dense.weight", {D, F}, l.proj_w));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "output.dense.bias", {D}, l.proj_b));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "output.LayerNorm.weight", {D}, l.ln2_g));
    ATTNSCOPE_RETURN_IF_ERROR(b.bind(p + "output.LayerNorm.bias", {D}, l.ln2_b));
  }
  return Status::ok();
}

}  // namespace

Result<ModelWeights> load_weights(const ModelConfig& config, const io::SafeTensors& file) {
  // Refuse a model that cannot fit before converting anything (operator new
  // would abort the wasm module instead of failing).
  const std::size_t bytes = config.parameter_count() * sizeof(float);
  if (void* probe = std::malloc(bytes)) {
    std::free(probe);
  } else {
    return Status(Code::kOutOfMemory, "the model needs " + std::to_string(bytes >> 20) +
                                          " MiB of float32 weights, more than the memory available");
  }
  ModelWeights w;
  w.layers.resize(config.layers);
  Binder binder(file);
  ATTNSCOPE_RETURN_IF_ERROR(config.arch == Architecture::kGpt2 ? bind_gpt2(config, binder, w)
                                                               : bind_bert(config, binder, w));
  return w;
}

}  // namespace attnscope::model
