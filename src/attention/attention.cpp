#include "attention/attention.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "attention/head.hpp"
#include "attention/validate.hpp"
#include "core/limits.hpp"
#include "kernels/gemm.hpp"

namespace attnscope {

const char* scoring_name(Scoring s) {
  switch (s) {
    case Scoring::kDot: return "dot";
    case Scoring::kScaledDot: return "scaled_dot";
    case Scoring::kGeneral: return "general";
    case Scoring::kAdditive: return "additive";
  }
  return "scaled_dot";
}

Result<Scoring> parse_scoring(std::string_view name) {
  for (Scoring s : {Scoring::kDot, Scoring::kScaledDot, Scoring::kGeneral, Scoring::kAdditive})
    if (name == scoring_name(s)) return s;
  return Status(Code::kInvalidArgument,
                "unknown scoring '" + std::string(name) + "'; expected dot, scaled_dot, general or additive");
}

namespace {

using limits::kMaxDim;
using limits::kMaxSequence;

Status check_temperature(float t) {
  if (!(t >= limits::kMinTemperature && t <= limits::kMaxTemperature))
    return {Code::kInvalidArgument, "temperature must be within [1e-6, 1e6], got " + std::to_string(t)};
  return Status::ok();
}

// Resolves the mask for T queries and S keys; bias_storage backs plan.bias.
Status plan_mask(const Mask& mask, std::size_t T, std::size_t S, std::vector<float>& bias_storage,
                 detail::MaskPlan& plan) {
  plan.causal = mask.causal;
  plan.offset = static_cast<std::ptrdiff_t>(S) - static_cast<std::ptrdiff_t>(T);
  plan.bias = nullptr;
  if (!mask.key_padding.empty()) {
    if (mask.key_padding.size() != S)
      return {Code::kShapeMismatch, "key padding mask has " + std::to_string(mask.key_padding.size()) +
                                        " flags, expected one per key (" + std::to_string(S) + ")"};
    bias_storage.assign(S, 0.f);
    for (std::size_t j = 0; j < S; ++j)
      if (mask.key_padding[j]) bias_storage[j] = -std::numeric_limits<float>::infinity();
    plan.bias = bias_storage.data();
  }
  return Status::ok();
}

// Validates the scoring parameters for `heads` heads of query width dq and
// key width dk.
Status check_scoring(const AttentionOptions& o, std::size_t heads, std::size_t dq, std::size_t dk) {
  const ScoringParams& p = o.params;
  switch (o.scoring) {
    case Scoring::kDot:
    case Scoring::kScaledDot:
      if (dq != dk)
        return {Code::kShapeMismatch, std::string(scoring_name(o.scoring)) +
                                          " scoring needs queries and keys of one width, got " +
                                          std::to_string(dq) + " and " + std::to_string(dk) +
                                          " (general or additive scoring allow different widths)"};
      return Status::ok();
    case Scoring::kGeneral:
      if (p.general_w.empty()) return {Code::kInvalidArgument, "general scoring needs params.W"};
      ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(p.general_w, "W", heads * kMaxDim, kMaxDim));
      ATTNSCOPE_RETURN_IF_ERROR(validate::rows(p.general_w, "W", heads * dq));
      return validate::cols(p.general_w, "W", dk);
    case Scoring::kAdditive: {
      if (p.additive_w1.empty() || p.additive_w2.empty() || p.additive_v.empty())
        return {Code::kInvalidArgument, "additive scoring needs params.W1, params.W2 and params.v"};
      ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(p.additive_w1, "W1", heads * kMaxDim, kMaxDim));
      ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(p.additive_w2, "W2", heads * kMaxDim, kMaxDim));
      const std::size_t rows = p.additive_w1.rows;
      if (rows % heads != 0)
        return {Code::kShapeMismatch, "W1 has " + std::to_string(rows) + " rows, not a multiple of " +
                                          std::to_string(heads) + " heads"};
      ATTNSCOPE_RETURN_IF_ERROR(validate::cols(p.additive_w1, "W1", dq));
      ATTNSCOPE_RETURN_IF_ERROR(validate::cols(p.additive_w2, "W2", dk));
      ATTNSCOPE_RETURN_IF_ERROR(validate::rows(p.additive_w2, "W2", rows));
      ATTNSCOPE_RETURN_IF_ERROR(validate::vector(p.additive_v, "v", rows));
      if (!p.additive_b1.empty()) ATTNSCOPE_RETURN_IF_ERROR(validate::vector(p.additive_b1, "b1", rows));
      if (!p.additive_b2.empty()) ATTNSCOPE_RETURN_IF_ERROR(validate::vector(p.additive_b2, "b2", rows));
      return Status::ok();
    }
  }
  return {Code::kInvalidArgument, "unknown scoring"};
}

detail::HeadScoring head_scoring(const AttentionOptions& o, std::size_t heads, std::size_t h) {
  const ScoringParams& p = o.params;
  detail::HeadScoring s;
  s.kind = o.scoring;
  if (o.scoring == Scoring::kGeneral) {
    const std::size_t r = p.general_w.rows / heads;
    s.general_w = MatrixRef(p.general_w.row(h * r), r, p.general_w.cols, p.general_w.stride);
  } else if (o.scoring == Scoring::kAdditive) {
    const std::size_t r = p.additive_w1.rows / heads;
    s.w1 = MatrixRef(p.additive_w1.row(h * r), r, p.additive_w1.cols, p.additive_w1.stride);
    s.w2 = MatrixRef(p.additive_w2.row(h * r), r, p.additive_w2.cols, p.additive_w2.stride);
    s.v = p.additive_v.data + h * r;
    s.b1 = p.additive_b1.empty() ? nullptr : p.additive_b1.data + h * r;
    s.b2 = p.additive_b2.empty() ? nullptr : p.additive_b2.data + h * r;
  }
  return s;
}

// Validates `heads` stacked heads of q, k, v (attention_heads' layout) and
// the options; the run below trusts them.
Status check_heads(std::size_t heads, const MatrixRef& q, const MatrixRef& k, const MatrixRef& v,
                   const AttentionOptions& options) {
  if (heads == 0 || heads > limits::kMaxHeads)
    return {Code::kInvalidArgument, "heads must be within [1, " + std::to_string(limits::kMaxHeads) +
                                        "], got " + std::to_string(heads)};
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(q, "q", heads * kMaxSequence, kMaxDim));
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(k, "k", heads * kMaxSequence, kMaxDim));
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(v, "v", heads * kMaxSequence, kMaxDim));
  ATTNSCOPE_RETURN_IF_ERROR(validate::rows(v, "v", k.rows));
  if (q.rows % heads != 0 || k.rows % heads != 0)
    return {Code::kShapeMismatch, "q has " + std::to_string(q.rows) + " rows and k " +
                                      std::to_string(k.rows) + ": not " + std::to_string(heads) +
                                      " heads of equal length"};
  const std::size_t T = q.rows / heads, S = k.rows / heads;
  if (T > kMaxSequence || S > kMaxSequence)
    return {Code::kTooLarge, "each head may have at most " + std::to_string(kMaxSequence) + " rows"};
  ATTNSCOPE_RETURN_IF_ERROR(check_temperature(options.temperature));
  ATTNSCOPE_RETURN_IF_ERROR(check_scoring(options, heads, q.cols, k.cols));
  ATTNSCOPE_RETURN_IF_ERROR(validate::elements(heads, T, S, "the weights"));
  if (options.scoring == Scoring::kAdditive)
    ATTNSCOPE_RETURN_IF_ERROR(
        validate::elements(S, options.params.additive_w1.rows / heads, 1, "the additive keys"));
  return Status::ok();
}

// The heads, one after another, on inputs check_heads accepted.
Status run_heads(std::size_t heads, const MatrixRef& q, const MatrixRef& k, const MatrixRef& v,
                 const AttentionOptions& options, float* scores, float* weights, float* context) {
  const std::size_t T = q.rows / heads, S = k.rows / heads, dv = v.cols;
  std::vector<float> bias;
  detail::MaskPlan plan;
  ATTNSCOPE_RETURN_IF_ERROR(plan_mask(options.mask, T, S, bias, plan));
  detail::Scratch scratch;
  for (std::size_t h = 0; h < heads; ++h) {
    const MatrixRef qh(q.row(h * T), T, q.cols, q.stride), kh(k.row(h * S), S, k.cols, k.stride),
        vh(v.row(h * S), S, dv, v.stride);
    ATTNSCOPE_RETURN_IF_ERROR(detail::attend_head(
        qh, kh, vh, head_scoring(options, heads, h), plan, 1.f / options.temperature,
        scores ? scores + h * T * S : nullptr, weights + h * T * S, context + h * T * dv, dv, scratch));
  }
  return Status::ok();
}

}  // namespace

Status attention_heads(std::size_t heads, const MatrixRef& q, const MatrixRef& k, const MatrixRef& v,
                       const AttentionOptions& options, float* scores, float* weights, float* context) {
  ATTNSCOPE_RETURN_IF_ERROR(check_heads(heads, q, k, v, options));
  if (!weights || !context)
    return {Code::kInvalidArgument, "attention_heads needs weights and context buffers"};
  return run_heads(heads, q, k, v, options, scores, weights, context);
}

Result<AttentionResult> attention(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v,
                                  const AttentionOptions& options) {
  ATTNSCOPE_RETURN_IF_ERROR(check_heads(1, q, k, v, options));  // before allocating, and only once
  AttentionResult out;
  out.scores = Matrix::from_shape({q.rows, k.rows});
  out.weights = Matrix::from_shape({q.rows, k.rows});
  out.context = Matrix::from_shape({q.rows, v.cols});
  ATTNSCOPE_RETURN_IF_ERROR(
      run_heads(1, q, k, v, options, out.scores.data(), out.weights.data(), out.context.data()));
  return out;
}

Status check_multi_head(const MultiHeadParams& p, std::size_t d_query, std::size_t d_key, std::size_t d_value,
                        const AttentionOptions& options) {
  if (p.heads == 0 || p.heads > limits::kMaxHeads)
    return Status(Code::kInvalidArgument, "heads must be within [1, " + std::to_string(limits::kMaxHeads) +
                                              "], got " + std::to_string(p.heads));
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(p.wq, "Wq", kMaxDim, kMaxDim));
  const std::size_t D = p.wq.rows, H = p.heads;
  if (D % H != 0)
    return Status(Code::kShapeMismatch,
                  std::to_string(H) + " heads do not divide the model width " + std::to_string(D));
  ATTNSCOPE_RETURN_IF_ERROR(validate::cols(p.wq, "Wq", d_query));
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(p.wk, "Wk", kMaxDim, kMaxDim));
  ATTNSCOPE_RETURN_IF_ERROR(validate::rows(p.wk, "Wk", D));
  ATTNSCOPE_RETURN_IF_ERROR(validate::cols(p.wk, "Wk", d_key));
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(p.wv, "Wv", kMaxDim, kMaxDim));
  ATTNSCOPE_RETURN_IF_ERROR(validate::rows(p.wv, "Wv", D));
  ATTNSCOPE_RETURN_IF_ERROR(validate::cols(p.wv, "Wv", d_value));
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(p.wo, "Wo", kMaxDim, kMaxDim));
  ATTNSCOPE_RETURN_IF_ERROR(validate::rows(p.wo, "Wo", D));
  ATTNSCOPE_RETURN_IF_ERROR(validate::cols(p.wo, "Wo", D));
  const std::pair<const VectorRef*, const char*> biases[] = {
      {&p.bq, "bq"}, {&p.bk, "bk"}, {&p.bv, "bv"}, {&p.bo, "bo"}};
  for (const auto& [b, name] : biases)
    if (!b->empty()) ATTNSCOPE_RETURN_IF_ERROR(validate::vector(*b, name, D));
  return check_scoring(options, H, D / H, D / H);
}

Result<MultiHeadResult> multi_head_attention(const MatrixRef& query, const MatrixRef& key,
                                             const MatrixRef& value, const MultiHeadParams& p,
                                             const AttentionOptions& options) {
  ATTNSCOPE_RETURN_IF_ERROR(check_multi_head(p, query.cols, key.cols, value.cols, options));
  return run_multi_head(query, key, value, p, options);
}

Result<MultiHeadResult> run_multi_head(const MatrixRef& query, const MatrixRef& key, const MatrixRef& value,
                                       const MultiHeadParams& p, const AttentionOptions& options) {
  using kernels::gemm;
  using kernels::Transpose;
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(query, "query", kMaxSequence, kMaxDim));
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(key, "key", kMaxSequence, kMaxDim));
  ATTNSCOPE_RETURN_IF_ERROR(validate::matrix(value, "value", kMaxSequence, kMaxDim));
  ATTNSCOPE_RETURN_IF_ERROR(validate::rows(value, "value", key.rows));
  ATTNSCOPE_RETURN_IF_ERROR(validate::cols(query, "query", p.wq.cols));
  ATTNSCOPE_RETURN_IF_ERROR(validate::cols(key, "key", p.wk.cols));
  ATTNSCOPE_RETURN_IF_ERROR(validate::cols(value, "value", p.wv.cols));
  ATTNSCOPE_RETURN_IF_ERROR(check_temperature(options.temperature));
  const std::size_t D = p.wq.rows, H = p.heads, T = query.rows, S = key.rows;
  const std::size_t dh = D / H;
  ATTNSCOPE_RETURN_IF_ERROR(validate::elements(H, T, S, "the per-head weights"));
  ATTNSCOPE_RETURN_IF_ERROR(validate::elements(std::max(T, S), D, 3, "the projections"));

  std::vector<float> bias;
  detail::MaskPlan plan;
  ATTNSCOPE_RETURN_IF_ERROR(plan_mask(options.mask, T, S, bias, plan));

  // Projections: Q [T, D], K [S, D], V [S, D].
  Matrix Q = Matrix::from_shape({T, D}), K = Matrix::from_shape({S, D}), V = Matrix::from_shape({S, D});
  gemm(Transpose::kYes, T, D, query.cols, 1.f, query.data, query.stride, p.wq.data, p.wq.stride, 0.f,
       Q.data(), D);
  gemm(Transpose::kYes, S, D, key.cols, 1.f, key.data, key.stride, p.wk.data, p.wk.stride, 0.f, K.data(), D);
  gemm(Transpose::kYes, S, D, value.cols, 1.f, value.data, value.stride, p.wv.data, p.wv.stride, 0.f,
       V.data(), D);
  detail::add_bias(Q.data(), T, D, D, p.bq.data);
  detail::add_bias(K.data(), S, D, D, p.bk.data);
  detail::add_bias(V.data(), S, D, D, p.bv.data);

  MultiHeadResult out;
  out.weights = Tensor3::from_shape({H, T, S});
  Matrix concat = Matrix::from_shape({T, D});  // heads' contexts side by side [T, D]
  detail::Scratch scratch;
  for (std::size_t h = 0; h < H; ++h) {
    const MatrixRef qh(Q.data() + h * dh, T, dh, D), kh(K.data() + h * dh, S, dh, D),
        vh(V.data() + h * dh, S, dh, D);
    ATTNSCOPE_RETURN_IF_ERROR(
        detail::attend_head(qh, kh, vh, head_scoring(options, H, h), plan, 1.f / options.temperature, nullptr,
                            out.weights.data() + h * T * S, concat.data() + h * dh, D, scratch));
  }
  out.output = Matrix::from_shape({T, D});
  gemm(Transpose::kYes, T, D, D, 1.f, concat.data(), D, p.wo.data, p.wo.stride, 0.f, out.output.data(), D);
  detail::add_bias(out.output.data(), T, D, D, p.bo.data);
  return out;
}

}  // namespace attnscope
