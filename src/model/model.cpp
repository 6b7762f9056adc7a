#include "model/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "attention/head.hpp"
#include "core/limits.hpp"
#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/layernorm.hpp"

namespace attnscope::model {

using kernels::gemm;
using kernels::Transpose;

Model::Model(ModelConfig config, ModelWeights weights) : config_(config), w_(std::move(weights)) {}

Result<std::unique_ptr<Model>> Model::create(const ModelConfig& config, const io::SafeTensors& file) {
  auto weights = load_weights(config, file);
  if (!weights) return weights.status();
  return std::unique_ptr<Model>(new Model(config, std::move(weights).value()));
}

std::size_t Model::max_tokens() const {
  const std::size_t per_token2 = config_.layers * config_.heads;
  const auto fit = static_cast<std::size_t>(std::sqrt(static_cast<double>(limits::kMaxElements / per_token2)));
  return std::min(config_.max_positions, fit);
}

void Model::clear_cache() {
  cached_ids_.clear();
  k_cache_.clear();
  v_cache_.clear();
  cached_ = {};
}

Status Model::check_ids(const std::vector<std::int32_t>& ids, const std::vector<std::int32_t>& token_types) const {
  if (ids.empty()) return {Code::kInvalidArgument, "no tokens to run"};
  if (ids.size() > max_tokens())
    return {Code::kTooLarge, std::to_string(ids.size()) + " tokens, above this model's maximum of " +
                                 std::to_string(max_tokens())};
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || static_cast<std::size_t>(ids[i]) >= config_.vocab_size)
      return {Code::kInvalidArgument, "token id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                                          " is outside the vocabulary of " + std::to_string(config_.vocab_size)};
  if (!token_types.empty()) {
    if (config_.arch != Architecture::kBert) return {Code::kInvalidArgument, "token types are for BERT models"};
    if (token_types.size() != ids.size())
      return {Code::kShapeMismatch, "token types must be one per token (" + std::to_string(ids.size()) + ")"};
    for (std::int32_t t : token_types)
      if (t < 0 || static_cast<std::size_t>(t) >= config_.type_vocab_size)
        return {Code::kInvalidArgument, "token type " + std::to_string(t) + " is outside [0, " +
                                            std::to_string(config_.type_vocab_size) + ")"};
  }
  return Status::ok();
}

Result<ForwardResult> Model::forward(const std::vector<std::int32_t>& ids,
                                     const std::vector<std::int32_t>& token_types, const ForwardOptions& options) {
  ATTNSCOPE_RETURN_IF_ERROR(check_ids(ids, token_types));
  if (options.inspect_layer >= 0 || options.inspect_head >= 0) {
    if (options.inspect_layer < 0 || static_cast<std::size_t>(options.inspect_layer) >= config_.layers ||
        options.inspect_head < 0 || static_cast<std::size_t>(options.inspect_head) >= config_.heads)
      return Status(Code::kInvalidArgument, "inspect layer/head out of range: the model has " +
                                                std::to_string(config_.layers) + " layers of " +
                                                std::to_string(config_.heads) + " heads");
  }
  return config_.arch == Architecture::kGpt2 ? forward_gpt2(ids, options) : forward_bert(ids, token_types, options);
}

namespace {

void layer_norm_rows(const float* x, std::size_t rows, std::size_t n, const Param& g, const Param& b, float eps,
                     float* y) {
  for (std::size_t i = 0; i < rows; ++i) kernels::layer_norm_row(x + i * n, n, g.ptr(), b.ptr(), eps, y + i * n);
}

// y [rows, out] (+)= x [rows, in] · W + b, for W stored [in, out] (GPT-2 Conv1D).
void conv1d(const float* x, std::size_t rows, std::size_t in, const Param& W, const Param& b, std::size_t out,
            float* y, bool accumulate) {
  gemm(Transpose::kNo, rows, out, in, 1.f, x, in, W.ptr(), out, accumulate ? 1.f : 0.f, y, out);
  detail::add_bias(y, rows, out, out, b.ptr());
}

// y [rows, out] (+)= x [rows, in] · W^T + b, for W stored [out, in] (torch Linear).
void linear(const float* x, std::size_t rows, std::size_t in, const Param& W, const Param& b, std::size_t out,
            float* y, bool accumulate) {
  gemm(Transpose::kYes, rows, out, in, 1.f, x, in, W.ptr(), in, accumulate ? 1.f : 0.f, y, out);
  detail::add_bias(y, rows, out, out, b.ptr());
}

detail::HeadScoring head_scoring(const ModelConfig& c, const LayerWeights& l, std::size_t h) {
  detail::HeadScoring s;
  s.kind = c.scoring;
  if (c.scoring == Scoring::kAdditive) {
    const std::size_t A = c.additive_dim, dh = c.head_dim();
    s.w1 = MatrixRef(l.score_wq.ptr() + h * A * dh, A, dh);
    s.w2 = MatrixRef(l.score_wk.ptr() + h * A * dh, A, dh);
    s.v = l.score_v.ptr() + h * A;
    s.b1 = l.score_b.ptr() + h * A;
  }
  return s;
}

bool inspecting(const ForwardOptions& o, std::size_t l, std::size_t h) {
  return o.inspect_layer == static_cast<int>(l) && o.inspect_head == static_cast<int>(h);
}

// Copies a head's q/k/v (strided views) into an inspection record.
HeadInspection inspect(std::size_t l, std::size_t h, const MatrixRef& q, const MatrixRef& k, const MatrixRef& v) {
  HeadInspection ins;
  ins.layer = l;
  ins.head = h;
  ins.head_dim = q.cols;
  auto copy = [](const MatrixRef& m, std::vector<float>& out) {
    out.resize(m.rows * m.cols);
    for (std::size_t i = 0; i < m.rows; ++i) std::memcpy(&out[i * m.cols], m.row(i), m.cols * sizeof(float));
  };
  copy(q, ins.q);
  copy(k, ins.k);
  copy(v, ins.v);
  ins.scores.resize(q.rows * k.rows);
  return ins;
}

}  // namespace

Result<ForwardResult> Model::forward_gpt2(const std::vector<std::int32_t>& ids, const ForwardOptions& options) {
  const ModelConfig& c = config_;
  const std::size_t T = ids.size(), D = c.d_model, H = c.heads, L = c.layers, F = c.d_ff, dh = c.head_dim(),
                    P = c.max_positions;

  // Reuse the longest common prefix with the previous call (causal: those rows
  // depend on nothing after them), keeping at least one row to compute.
  std::size_t p = 0;
  if (options.use_cache && options.inspect_layer < 0 && !k_cache_.empty() &&
      (!options.hidden_states || !cached_.hidden_states.empty())) {
    const std::size_t n = std::min(cached_ids_.size(), T);
    while (p < n && cached_ids_[p] == ids[p]) ++p;
    if (p == T) --p;
  }
  if (k_cache_.size() != L) {
    k_cache_.assign(L, std::vector<float>(P * D));
    v_cache_.assign(L, std::vector<float>(P * D));
  }
  const std::size_t Tn = T - p;

  ForwardResult r;
  r.layers = L;
  r.heads = H;
  r.tokens = T;
  r.d_model = D;
  r.reused = p;
  r.attentions.assign(L * H * T * T, 0.f);
  r.last_hidden.resize(T * D);
  if (options.hidden_states) r.hidden_states.resize((L + 1) * T * D);
  // Cached rows: attention rows [0, p) (their keys are all < p), hidden rows.
  if (p > 0) {  // (the cache's buffers are empty otherwise)
    const std::size_t To = cached_.tokens;
    for (std::size_t lh = 0; lh < L * H; ++lh)
      for (std::size_t i = 0; i < p; ++i)
        std::memcpy(&r.attentions[(lh * T + i) * T], &cached_.attentions[(lh * To + i) * To], (i + 1) * sizeof(float));
    std::memcpy(r.last_hidden.data(), cached_.last_hidden.data(), p * D * sizeof(float));
    if (options.hidden_states)
      for (std::size_t l = 0; l <= L; ++l)
        std::memcpy(&r.hidden_states[l * T * D], &cached_.hidden_states[l * To * D], p * D * sizeof(float));
  }

  // x [Tn, D]: the residual stream of the new rows.
  std::vector<float> x(Tn * D), h(Tn * D), qkv(Tn * 3 * D), ctx(Tn * D), ff(Tn * F);
  for (std::size_t i = 0; i < Tn; ++i) {
    const float* te = w_.token_embedding.ptr() + static_cast<std::size_t>(ids[p + i]) * D;
    const float* pe = w_.position_embedding.ptr() + (p + i) * D;
    for (std::size_t j = 0; j < D; ++j) x[i * D + j] = te[j] + pe[j];
  }
  auto save_hidden = [&](std::size_t slot) {
    if (options.hidden_states) std::memcpy(&r.hidden_states[(slot * T + p) * D], x.data(), Tn * D * sizeof(float));
  };
  save_hidden(0);

  detail::Scratch scratch;
  detail::MaskPlan mask;
  mask.causal = true;
  mask.offset = static_cast<std::ptrdiff_t>(p);
  for (std::size_t l = 0; l < L; ++l) {
    const LayerWeights& lw = w_.layers[l];
    layer_norm_rows(x.data(), Tn, D, lw.ln1_g, lw.ln1_b, c.layer_norm_eps, h.data());
    conv1d(h.data(), Tn, D, lw.qkv_w, lw.qkv_b, 3 * D, qkv.data(), false);
    float* kc = k_cache_[l].data();
    float* vc = v_cache_[l].data();
    for (std::size_t i = 0; i < Tn; ++i) {
      std::memcpy(kc + (p + i) * D, &qkv[i * 3 * D + D], D * sizeof(float));
      std::memcpy(vc + (p + i) * D, &qkv[i * 3 * D + 2 * D], D * sizeof(float));
    }
    for (std::size_t hd = 0; hd < H; ++hd) {
      // Weights of the new query rows land in place: rows of [T, T] have stride T.
      float* weights = &r.attentions[((l * H + hd) * T + p) * T];
      const MatrixRef q(qkv.data() + hd * dh, Tn, dh, 3 * D), k(kc + hd * dh, T, dh, D), v(vc + hd * dh, T, dh, D);
      float* scores = nullptr;
      if (inspecting(options, l, hd)) {  // p == 0 here: every row is new
        r.inspected.push_back(inspect(l, hd, q, k, v));
        scores = r.inspected.back().scores.data();
      }
      ATTNSCOPE_RETURN_IF_ERROR(detail::attend_head(q, k, v, head_scoring(c, lw, hd), mask, 1.f, scores, weights,
                                                    ctx.data() + hd * dh, D, scratch));
    }
    conv1d(ctx.data(), Tn, D, lw.o_w, lw.o_b, D, x.data(), true);
    layer_norm_rows(x.data(), Tn, D, lw.ln2_g, lw.ln2_b, c.layer_norm_eps, h.data());
    conv1d(h.data(), Tn, D, lw.fc_w, lw.fc_b, F, ff.data(), false);
    kernels::gelu(c.activation, ff.data(), Tn * F);
    conv1d(ff.data(), Tn, F, lw.proj_w, lw.proj_b, D, x.data(), true);
    save_hidden(l + 1);
  }
  layer_norm_rows(x.data(), Tn, D, w_.final_ln_g, w_.final_ln_b, c.layer_norm_eps, &r.last_hidden[p * D]);

  if (options.use_cache) {
    cached_ids_ = ids;
    cached_ = r;
    cached_.inspected.clear();
  }
  return r;
}

Result<ForwardResult> Model::forward_bert(const std::vector<std::int32_t>& ids,
                                          const std::vector<std::int32_t>& token_types,
                                          const ForwardOptions& options) {
  const ModelConfig& c = config_;
  const std::size_t T = ids.size(), D = c.d_model, H = c.heads, L = c.layers, F = c.d_ff, dh = c.head_dim();
  ForwardResult r;
  r.layers = L;
  r.heads = H;
  r.tokens = T;
  r.d_model = D;
  r.attentions.resize(L * H * T * T);
  if (options.hidden_states) r.hidden_states.resize((L + 1) * T * D);

  std::vector<float> x(T * D), q(T * D), k(T * D), v(T * D), ctx(T * D), a(T * D), ff(T * F);
  for (std::size_t i = 0; i < T; ++i) {
    const float* te = w_.token_embedding.ptr() + static_cast<std::size_t>(ids[i]) * D;
    const float* pe = w_.position_embedding.ptr() + i * D;
    const float* ty = w_.type_embedding.ptr() + static_cast<std::size_t>(token_types.empty() ? 0 : token_types[i]) * D;
    for (std::size_t j = 0; j < D; ++j) a[i * D + j] = te[j] + pe[j] + ty[j];
  }
  layer_norm_rows(a.data(), T, D, w_.embed_ln_g, w_.embed_ln_b, c.layer_norm_eps, x.data());
  auto save_hidden = [&](std::size_t slot) {
    if (options.hidden_states) std::memcpy(&r.hidden_states[slot * T * D], x.data(), T * D * sizeof(float));
  };
  save_hidden(0);

  detail::Scratch scratch;
  const detail::MaskPlan mask;  // bidirectional
  for (std::size_t l = 0; l < L; ++l) {
    const LayerWeights& lw = w_.layers[l];
    linear(x.data(), T, D, lw.q_w, lw.q_b, D, q.data(), false);
    linear(x.data(), T, D, lw.k_w, lw.k_b, D, k.data(), false);
    linear(x.data(), T, D, lw.v_w, lw.v_b, D, v.data(), false);
    for (std::size_t hd = 0; hd < H; ++hd) {
      const MatrixRef qh(q.data() + hd * dh, T, dh, D), kh(k.data() + hd * dh, T, dh, D), vh(v.data() + hd * dh, T, dh, D);
      float* scores = nullptr;
      if (inspecting(options, l, hd)) {
        r.inspected.push_back(inspect(l, hd, qh, kh, vh));
        scores = r.inspected.back().scores.data();
      }
      ATTNSCOPE_RETURN_IF_ERROR(detail::attend_head(qh, kh, vh, head_scoring(c, lw, hd), mask, 1.f, scores,
                                                    &r.attentions[(l * H + hd) * T * T], ctx.data() + hd * dh, D,
                                                    scratch));
    }
    // Post-LayerNorm: x = LN(x + attention), then x = LN(x + MLP).
    std::copy(x.begin(), x.end(), a.begin());
    linear(ctx.data(), T, D, lw.o_w, lw.o_b, D, a.data(), true);
    layer_norm_rows(a.data(), T, D, lw.ln1_g, lw.ln1_b, c.layer_norm_eps, x.data());
    linear(x.data(), T, D, lw.fc_w, lw.fc_b, F, ff.data(), false);
    kernels::gelu(c.activation, ff.data(), T * F);
    std::copy(x.begin(), x.end(), a.begin());
    linear(ff.data(), T, F, lw.proj_w, lw.proj_b, D, a.data(), true);
    layer_norm_rows(a.data(), T, D, lw.ln2_g, lw.ln2_b, c.layer_norm_eps, x.data());
    save_hidden(l + 1);
  }
  r.last_hidden = std::move(x);
  return r;
}

}  // namespace attnscope::model
