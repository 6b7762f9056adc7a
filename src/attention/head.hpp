// One head of attention on validated inputs: score, scale, mask, softmax,
// weighted sum. Shared by attention(), multi_head_attention() and the model
// code, which all hand it strided views of their own buffers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "attention/types.hpp"

namespace attnscope::detail {

// One head's slice of ScoringParams.
struct HeadScoring {
  Scoring kind = Scoring::kScaledDot;
  MatrixRef general_w;  // [dq, dk]
  MatrixRef w1, w2;     // [h, dq], [h, dk]
  const float* v = nullptr;
  const float* b1 = nullptr;  // optional
  const float* b2 = nullptr;  // optional
};

// The mask, resolved for [T, S]: a per-row limit for causal masking and a
// per-key additive bias (0 or -inf) for padding.
struct MaskPlan {
  bool causal = false;
  std::ptrdiff_t offset = 0;    // S - T for causal masks (may be negative)
  const float* bias = nullptr;  // [S] or null
  std::size_t limit(std::size_t i, std::size_t S) const {
    if (!causal) return S;
    const std::ptrdiff_t end = static_cast<std::ptrdiff_t>(i) + 1 + offset;
    return end <= 0 ? 0 : std::min(S, static_cast<std::size_t>(end));
  }
};

// Scratch buffers reused across heads and calls.
struct Scratch {
  std::vector<float> a, b;
  float* get(std::vector<float>& buf, std::size_t n) {
    if (buf.size() < n) buf.resize(n);
    return buf.data();
  }
};

// q [T, dq], k [S, dk], v [S, dv] -> weights [T, S] (row stride S),
// context [T, dv] (row stride ldc), scores [T, S] if not null.
// Fails only if the scores overflow float.
Status attend_head(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v, const HeadScoring& scoring,
                   const MaskPlan& mask, float inv_temperature, float* scores, float* weights, float* context,
                   std::size_t ldc, Scratch& scratch);

// X[rows, cols] (row stride ld) += b broadcast over rows.
void add_bias(float* X, std::size_t rows, std::size_t cols, std::size_t ld, const float* b);

}  // namespace attnscope::detail
