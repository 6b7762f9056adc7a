#include "model/config.hpp"

#include "core/limits.hpp"
#include "io/json.hpp"

namespace attnscope::model {

const char* architecture_name(Architecture a) { return a == Architecture::kGpt2 ? "gpt2" : "bert"; }

std::size_t ModelConfig::parameter_count() const {
  const std::size_t D = d_model;
  std::size_t block = 4 * D * D + 4 * D + 2 * D * d_ff + d_ff + D + 4 * D;
  if (scoring == Scoring::kAdditive) block += heads * additive_dim * (2 * head_dim() + 2);
  std::size_t embed = (vocab_size + max_positions + type_vocab_size) * D + 2 * D;
  return embed + layers * block;
}

namespace {

constexpr std::string_view kWhere = "config.json";

// The first of `keys` present must be an integer in [lo, hi].
Status read_size(const json::Value& doc, std::initializer_list<const char*> keys, std::size_t lo, std::size_t hi,
                 std::size_t& out, bool required = true) {
  for (const char* key : keys) {
    const json::Value* v = doc.find(key);
    if (!v || v->is_null()) continue;
    if (!v->is_index() || v->as_number() < static_cast<double>(lo) || v->as_number() > static_cast<double>(hi))
      return {Code::kParseError, std::string(kWhere) + ": " + key + " must be an integer within [" +
                                     std::to_string(lo) + ", " + std::to_string(hi) + "]"};
    out = static_cast<std::size_t>(v->as_number());
    return Status::ok();
  }
  if (!required) return Status::ok();
  return {Code::kParseError, std::string(kWhere) + ": " + *keys.begin() + " is missing"};
}

Status read_eps(const json::Value& doc, const char* key, float& out) {
  const json::Value* v = doc.find(key);
  if (!v) return Status::ok();
  if (!v->is_number() || !(v->as_number() > 0 && v->as_number() < 1))
    return json::type_error(kWhere, key, "a number in (0, 1)");
  out = static_cast<float>(v->as_number());
  return Status::ok();
}

}  // namespace

Result<ModelConfig> parse_config(std::string_view json_text) {
  auto parsed = json::parse(json_text);
  if (!parsed) return Status(Code::kParseError, std::string(kWhere) + ": " + parsed.status().message());
  const json::Value& doc = parsed.value();
  if (!doc.is_object()) return Status(Code::kParseError, "config.json must hold a JSON object");

  ModelConfig c;
  const json::Value* type = doc.find("model_type");
  if (!type || !type->is_string()) return json::type_error(kWhere, "model_type", "a string (\"gpt2\" or \"bert\")");
  const std::string& t = type->as_string();
  constexpr std::size_t kMaxVocab = 1 << 20, kMaxLayers = 256, kMaxPositions = limits::kMaxSequence;
  if (t == "gpt2") {
    c.arch = Architecture::kGpt2;
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"vocab_size"}, 1, kMaxVocab, c.vocab_size));
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"n_positions", "n_ctx"}, 1, kMaxPositions, c.max_positions));
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"n_embd"}, 1, limits::kMaxDim, c.d_model));
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"n_layer"}, 1, kMaxLayers, c.layers));
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"n_head"}, 1, limits::kMaxHeads, c.heads));
    c.d_ff = 4 * c.d_model;
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"n_inner"}, 1, 4 * limits::kMaxDim, c.d_ff, false));
    ATTNSCOPE_RETURN_IF_ERROR(read_eps(doc, "layer_norm_epsilon", c.layer_norm_eps));
    if (const json::Value* act = doc.find("activation_function")) {
      const std::string& a = act->as_string();
      if (a == "gelu_new" || a == "gelu_pytorch_tanh" || a == "gelu_fast") c.activation = kernels::Gelu::kTanh;
      else if (a == "gelu") c.activation = kernels::Gelu::kErf;
      else return Status(Code::kUnsupported, "config.json: activation_function \"" + a + "\" is not supported (gelu_new, gelu)");
    }
  } else if (t == "bert") {
    c.arch = Architecture::kBert;
    c.activation = kernels::Gelu::kErf;
    c.layer_norm_eps = 1e-12f;
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"vocab_size"}, 1, kMaxVocab, c.vocab_size));
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"max_position_embeddings"}, 1, kMaxPositions, c.max_positions));
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"hidden_size"}, 1, limits::kMaxDim, c.d_model));
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"num_hidden_layers"}, 1, kMaxLayers, c.layers));
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"num_attention_heads"}, 1, limits::kMaxHeads, c.heads));
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"intermediate_size"}, 1, 4 * limits::kMaxDim, c.d_ff));
    c.type_vocab_size = 2;
    ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"type_vocab_size"}, 1, 64, c.type_vocab_size, false));
    ATTNSCOPE_RETURN_IF_ERROR(read_eps(doc, "layer_norm_eps", c.layer_norm_eps));
    if (const json::Value* act = doc.find("hidden_act")) {
      const std::string& a = act->as_string();
      if (a == "gelu") c.activation = kernels::Gelu::kErf;
      else if (a == "gelu_new" || a == "gelu_pytorch_tanh") c.activation = kernels::Gelu::kTanh;
      else return Status(Code::kUnsupported, "config.json: hidden_act \"" + a + "\" is not supported (gelu, gelu_new)");
    }
    if (const json::Value* pe = doc.find("position_embedding_type"); pe && pe->as_string() != "absolute")
      return Status(Code::kUnsupported, "config.json: only absolute position embeddings are supported");
  } else {
    return Status(Code::kUnsupported, "config.json: model_type \"" + t + "\" is not supported (gpt2, bert)");
  }
  if (c.d_model % c.heads != 0)
    return Status(Code::kParseError, "config.json: " + std::to_string(c.heads) + " heads do not divide the hidden size " +
                                         std::to_string(c.d_model));
  if (const json::Value* s = doc.find("attention_scoring")) {
    if (!s->is_string()) return json::type_error(kWhere, "attention_scoring", "a string");
    auto scoring = parse_scoring(s->as_string());
    if (!scoring || (scoring.value() != Scoring::kScaledDot && scoring.value() != Scoring::kAdditive))
      return Status(Code::kUnsupported, "config.json: attention_scoring must be \"scaled_dot\" or \"additive\"");
    c.scoring = scoring.value();
    if (c.scoring == Scoring::kAdditive) {
      if (c.arch != Architecture::kGpt2)
        return Status(Code::kUnsupported, "config.json: additive scoring is supported for gpt2 models");
      ATTNSCOPE_RETURN_IF_ERROR(read_size(doc, {"additive_dim"}, 1, limits::kMaxDim, c.additive_dim));
    }
  }
  return c;
}

}  // namespace attnscope::model
