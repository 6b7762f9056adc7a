#include "attention/head.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "kernels/additive.hpp"
#include "kernels/gemm.hpp"
#include "kernels/softmax.hpp"

namespace attnscope::detail {

using kernels::gemm;
using kernels::Transpose;

void add_bias(float* X, std::size_t rows, std::size_t cols, std::size_t ld, const float* b) {
  if (!b) return;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) X[i * ld + j] += b[j];
}

namespace {

// e [T, S] (row stride S) <- the raw scores e_ij, each row filled up to its
// causal limit (entries past it are never read).
void score(const MatrixRef& q, const MatrixRef& k, const HeadScoring& s, const MaskPlan& mask, float* e,
           Scratch& scratch) {
  const std::size_t T = q.rows, S = k.rows;
  switch (s.kind) {
    case Scoring::kDot:
    case Scoring::kScaledDot: {
      const float alpha = s.kind == Scoring::kDot ? 1.f : 1.f / std::sqrt(static_cast<float>(q.cols));
      gemm(Transpose::kYes, T, S, q.cols, alpha, q.data, q.stride, k.data, k.stride, 0.f, e, S);
      break;
    }
    case Scoring::kGeneral: {
      // q_i^T W k_j = q_i · (W k_j): kw [S, dq] = k W^T, then e = q kw^T.
      float* kw = scratch.get(scratch.a, S * q.cols);
      gemm(Transpose::kYes, S, q.cols, k.cols, 1.f, k.data, k.stride, s.general_w.data, s.general_w.stride,
           0.f, kw, q.cols);
      gemm(Transpose::kYes, T, S, q.cols, 1.f, q.data, q.stride, kw, q.cols, 0.f, e, S);
      break;
    }
    case Scoring::kAdditive: {
      // qa [T, h] = q W1^T + b1 and ka [S, h] = k W2^T + b2, then one tanh
      // pass per (i, j) pair.
      const std::size_t h = s.w1.rows;
      float* qa = scratch.get(scratch.a, T * h);
      float* ka = scratch.get(scratch.b, S * h);
      gemm(Transpose::kYes, T, h, q.cols, 1.f, q.data, q.stride, s.w1.data, s.w1.stride, 0.f, qa, h);
      gemm(Transpose::kYes, S, h, k.cols, 1.f, k.data, k.stride, s.w2.data, s.w2.stride, 0.f, ka, h);
      add_bias(qa, T, h, h, s.b1);
      add_bias(ka, S, h, h, s.b2);
      for (std::size_t i = 0; i < T; ++i)
        kernels::additive_scores(qa + i * h, ka, h, s.v, h, mask.limit(i, S), e + i * S);
      break;
    }
  }
}

}  // namespace

Status attend_head(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v, const HeadScoring& scoring,
                   const MaskPlan& mask, float inv_temperature, float* scores, float* weights, float* context,
                   std::size_t ldc, Scratch& scratch) {
  const std::size_t T = q.rows, S = k.rows;
  score(q, k, scoring, mask, weights, scratch);

  // Finite inputs can still overflow a dot product; refuse rather than show NaN.
  for (std::size_t i = 0; i < T; ++i) {
    const float* row = weights + i * S;
    const std::size_t n = mask.limit(i, S);
    for (std::size_t j = 0; j < n; ++j)
      if (!std::isfinite(row[j]))
        return {Code::kNonFinite, "the attention score of query " + std::to_string(i) + " and key " +
                                      std::to_string(j) + " overflows float; scale the inputs down"};
  }

  if (scores) {
    const float ninf = -std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < T; ++i) {
      const std::size_t n = mask.limit(i, S);
      for (std::size_t j = 0; j < S; ++j) {
        const bool kept = j < n && (!mask.bias || mask.bias[j] == 0.f);
        scores[i * S + j] = kept ? weights[i * S + j] : ninf;
      }
    }
  }

  for (std::size_t i = 0; i < T; ++i)
    kernels::softmax_row(weights + i * S, S, mask.limit(i, S), mask.bias, inv_temperature);

  gemm(Transpose::kNo, T, v.cols, S, 1.f, weights, S, v.data, v.stride, 0.f, context, ldc);
  return Status::ok();
}

}  // namespace attnscope::detail
