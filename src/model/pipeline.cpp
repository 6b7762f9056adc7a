#include "model/pipeline.hpp"

namespace attnscope::model {

Result<RunResult> Pipeline::run(std::string_view utf8, const RunOptions& options) {
  auto encoded = tokenizer_->encode(utf8, options.add_special_tokens);
  if (!encoded) return encoded.status();
  RunResult r;
  r.tokens = std::move(encoded).value();
  r.total_tokens = r.tokens.size();
  const std::size_t max = model_->max_tokens();
  if (r.tokens.size() > max) {
    // Keep a closing special token ([SEP]) where the tokenizer adds one, as
    // Hugging Face's truncation does.
    const bool keep_last = r.tokens.back().special && r.tokens.size() > 1;
    tokenizer::Token last = r.tokens.back();
    r.tokens.resize(max);
    if (keep_last) r.tokens.back() = last;
    r.notice = "The text has " + std::to_string(r.total_tokens) + " tokens; this model reads at most " +
               std::to_string(max) + ", so only the first " + std::to_string(max) + " are used.";
  }
  if (r.tokens.empty()) return r;
  std::vector<std::int32_t> ids;
  ids.reserve(r.tokens.size());
  for (const auto& t : r.tokens) ids.push_back(t.id);
  ForwardOptions fo;
  fo.hidden_states = options.hidden_states;
  fo.use_cache = options.use_cache;
  fo.inspect_layer = options.inspect_layer;
  fo.inspect_head = options.inspect_head;
  auto fwd = model_->forward(ids, {}, fo);
  if (!fwd) return fwd.status();
  r.forward = std::move(fwd).value();
  return r;
}

}  // namespace attnscope::model
