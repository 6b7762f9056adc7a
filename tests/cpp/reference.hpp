// Straightforward double-precision attention, written from the formulas,
// as the reference for the ops' SIMD paths.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "attention/types.hpp"

namespace attnscope::test {

struct RefAttention {
  std::vector<double> weights;  // [T, S]
  std::vector<double> context;  // [T, dv]
};

inline double at(const MatrixRef& m, std::size_t i, std::size_t j) {
  return m.row(i)[j];
}

// One head: e_ij by the chosen scoring, softmax(e / t) over the kept keys,
// c_i = sum_j alpha_ij v_j. `head` selects a slice of stacked parameters.
inline RefAttention ref_attention(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v,
                                  const AttentionOptions& o, std::size_t heads = 1, std::size_t head = 0) {
  const std::size_t T = q.rows, S = k.rows, dq = q.cols, dk = k.cols;
  const ScoringParams& p = o.params;
  RefAttention out{std::vector<double>(T * S), std::vector<double>(T * v.cols, 0.0)};
  for (std::size_t i = 0; i < T; ++i) {
    std::vector<double> e(S, -std::numeric_limits<double>::infinity());
    double m = -std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < S; ++j) {
      const bool causal_ok =
          !o.mask.causal ||
          static_cast<long>(j) <= static_cast<long>(i) + static_cast<long>(S) - static_cast<long>(T);
      const bool pad_ok = o.mask.key_padding.empty() || !o.mask.key_padding[j];
      if (!causal_ok || !pad_ok) continue;
      double s = 0;
      switch (o.scoring) {
        case Scoring::kDot:
        case Scoring::kScaledDot:
          for (std::size_t a = 0; a < dq; ++a) s += at(q, i, a) * at(k, j, a);
          if (o.scoring == Scoring::kScaledDot) s /= std::sqrt(static_cast<double>(dq));
          break;
        case Scoring::kGeneral:
          for (std::size_t a = 0; a < dq; ++a)
            for (std::size_t b = 0; b < dk; ++b)
              s += at(q, i, a) * at(p.general_w, head * dq + a, b) * at(k, j, b);
          break;
        case Scoring::kAdditive: {
          const std::size_t h = p.additive_w1.rows / heads;
          for (std::size_t r = head * h; r < (head + 1) * h; ++r) {
            double x = p.additive_b1.empty() ? 0 : p.additive_b1.data[r];
            x += p.additive_b2.empty() ? 0 : p.additive_b2.data[r];
            for (std::size_t a = 0; a < dq; ++a) x += at(p.additive_w1, r, a) * at(q, i, a);
            for (std::size_t b = 0; b < dk; ++b) x += at(p.additive_w2, r, b) * at(k, j, b);
            s += p.additive_v.data[r] * std::tanh(x);
          }
          break;
        }
      }
      e[j] = s / o.temperature;
      m = std::max(m, e[j]);
    }
    if (m == -std::numeric_limits<double>::infinity()) continue;  // fully masked: zeros
    double sum = 0;
    for (std::size_t j = 0; j < S; ++j)
      sum += e[j] == -std::numeric_limits<double>::infinity() ? 0 : std::exp(e[j] - m);
    for (std::size_t j = 0; j < S; ++j) {
      const double w = e[j] == -std::numeric_limits<double>::infinity() ? 0 : std::exp(e[j] - m) / sum;
      out.weights[i * S + j] = w;
      for (std::size_t c = 0; c < v.cols; ++c) out.context[i * v.cols + c] += w * at(v, j, c);
    }
  }
  return out;
}

}  // namespace attnscope::test
