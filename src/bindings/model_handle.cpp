#include "bindings/model_handle.hpp"

#include "io/safetensors.hpp"
#include "model/config.hpp"

#include <algorithm>

namespace attnscope::bindings {
namespace {

Result<std::unique_ptr<tokenizer::Tokenizer>> load_tokenizer(const val& spec) {
  const val kind = spec["kind"];
  const val files = spec["files"];
  if (!kind.isString() || !files.isArray())
    return Status(Code::kInvalidArgument, "tokenizer must name its kind and files");
  const std::string k = kind.as<std::string>();
  const auto n = files["length"].as<unsigned>();
  auto file = [&](unsigned i) { return files[i].as<std::string>(); };
  if (k == "tokenizer.json" && n == 1) return tokenizer::load_tokenizer_json(file(0));
  if (k == "gpt2-files" && n == 2) return tokenizer::load_gpt2_files(file(0), file(1));
  if (k == "bert-vocab" && n == 1) return tokenizer::load_bert_vocab(file(0), !spec["lowercase"].isFalse());
  return Status(Code::kInvalidArgument, "unknown tokenizer kind " + k);
}

val forward_value(const model::ForwardResult& f) {
  val out = val::object();
  out.set("attentions", to_js(f.attentions.data(), f.attentions.size()));
  out.set("lastHidden", to_js(f.last_hidden.data(), f.last_hidden.size()));
  if (!f.hidden_states.empty())
    out.set("hiddenStates", to_js(f.hidden_states.data(), f.hidden_states.size()));
  out.set("layers", static_cast<double>(f.layers));
  out.set("heads", static_cast<double>(f.heads));
  out.set("tokens", static_cast<double>(f.tokens));
  out.set("dModel", static_cast<double>(f.d_model));
  out.set("reused", static_cast<double>(f.reused));
  for (const auto& ins : f.inspected) {
    val iv = val::object();
    iv.set("layer", static_cast<double>(ins.layer));
    iv.set("head", static_cast<double>(ins.head));
    iv.set("headDim", static_cast<double>(ins.head_dim));
    iv.set("q", to_js(ins.q.data(), ins.q.size()));
    iv.set("k", to_js(ins.k.data(), ins.k.size()));
    iv.set("v", to_js(ins.v.data(), ins.v.size()));
    iv.set("scores", to_js(ins.scores.data(), ins.scores.size()));
    out.set("inspect", iv);
  }
  return out;
}

model::RunOptions run_options(const val& opts) {
  model::RunOptions o;
  if (opts.isUndefined() || opts.isNull()) return o;
  o.hidden_states = opts["hiddenStates"].isTrue();
  o.use_cache = !opts["useCache"].isFalse();
  o.add_special_tokens = !opts["addSpecialTokens"].isFalse();
  const val inspect = opts["inspect"];
  if (inspect.isNull() || inspect.isUndefined()) return o;
  const val layer = inspect["layer"], head = inspect["head"];
  // Out-of-range or non-integer values are refused by Model::forward.
  o.inspect_layer =
      layer.isNumber() ? static_cast<int>(std::max(-2.0, std::min(1e6, layer.as<double>()))) : -2;
  o.inspect_head = head.isNumber() ? static_cast<int>(std::max(-2.0, std::min(1e6, head.as<double>()))) : -2;
  return o;
}

}  // namespace

val ModelHandle::load(const val& config, const Buffer& weights, const val& tokenizer_spec) {
  pipeline_.reset();
  auto cfg = model::parse_config(config.as<std::string>());
  if (!cfg) return error_value(cfg.status());
  if (!weights.ok()) return error_value({Code::kInvalidArgument, "the weights buffer is empty"});
  auto file = io::SafeTensors::parse(weights.data(), weights.bytes());
  if (!file) return error_value(file.status());
  auto tok = load_tokenizer(tokenizer_spec);
  if (!tok) return error_value(tok.status());
  auto m = model::Model::create(cfg.value(), file.value());
  if (!m) return error_value(m.status());
  if (tok.value()->vocab_size() > cfg->vocab_size)
    return error_value(
        {Code::kShapeMismatch, "the tokenizer has " + std::to_string(tok.value()->vocab_size()) +
                                   " tokens but the model only " + std::to_string(cfg->vocab_size)});
  pipeline_ = std::make_unique<model::Pipeline>(std::move(m).value(), std::move(tok).value());
  return ok_value();
}

val ModelHandle::run(const std::string& text, const val& opts) {
  if (!pipeline_) return error_value({Code::kInvalidArgument, "no model loaded"});
  auto r = pipeline_->run(text, run_options(opts));
  if (!r) return error_value(r.status());
  val out = ok_value();
  val tokens = val::array();
  for (std::size_t i = 0; i < r->tokens.size(); ++i) {
    const auto& t = r->tokens[i];
    val tv = val::object();
    tv.set("id", t.id);
    tv.set("text", t.text);
    tv.set("begin", static_cast<double>(t.begin));
    tv.set("end", static_cast<double>(t.end));
    tv.set("special", t.special);
    tv.set("partial", t.partial);
    tokens.call<void>("push", tv);
  }
  out.set("tokens", tokens);
  out.set("totalTokens", static_cast<double>(r->total_tokens));
  out.set("notice", r->notice);
  out.set("forward", forward_value(r->forward));
  return out;
}

val ModelHandle::runIds(const val& ids_value, const val& opts) {
  if (!pipeline_) return error_value({Code::kInvalidArgument, "no model loaded"});
  std::vector<std::int32_t> ids;
  const double n = ids_value["length"].as<double>();
  if (!(n >= 0 && n <= static_cast<double>(pipeline_->model().max_tokens())))
    return error_value(
        {Code::kTooLarge, "at most " + std::to_string(pipeline_->model().max_tokens()) + " tokens"});
  ids = emscripten::convertJSArrayToNumberVector<std::int32_t>(ids_value);
  const model::RunOptions o = run_options(opts);
  model::ForwardOptions fo;
  fo.hidden_states = o.hidden_states;
  fo.use_cache = o.use_cache;
  fo.inspect_layer = o.inspect_layer;
  fo.inspect_head = o.inspect_head;
  auto r = pipeline_->model().forward(ids, {}, fo);
  if (!r) return error_value(r.status());
  val out = ok_value();
  out.set("forward", forward_value(r.value()));
  return out;
}

val ModelHandle::info() const {
  val out = val::object();
  if (!pipeline_) return out;
  const model::ModelConfig& c = pipeline_->model().config();
  out.set("architecture", std::string(model::architecture_name(c.arch)));
  out.set("layers", static_cast<double>(c.layers));
  out.set("heads", static_cast<double>(c.heads));
  out.set("dModel", static_cast<double>(c.d_model));
  out.set("vocabSize", static_cast<double>(c.vocab_size));
  out.set("maxTokens", static_cast<double>(pipeline_->model().max_tokens()));
  out.set("scoring", std::string(scoring_name(c.scoring)));
  out.set("parameters", static_cast<double>(c.parameter_count()));
  out.set("causal", c.arch == model::Architecture::kGpt2);
  out.set("tokenizer", std::string(pipeline_->tokenizer().kind()));
  return out;
}

void ModelHandle::clearCache() {
  if (pipeline_) pipeline_->model().clear_cache();
}

}  // namespace attnscope::bindings
