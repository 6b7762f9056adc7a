// Bahdanau's additive score for one query against a block of keys:
//   out[j] = sum_h v[h] * tanh(a[h] + b_j[h])
// with a = W1 q + b1 and b_j = W2 k_j + b2 precomputed by the caller (GEMMs).
#pragma once

#include <cmath>
#include <cstddef>

namespace attnscope::kernels {

// a: [h]; B: [n, h] with row stride ldb; v: [h]; out: [n].
void additive_scores(const float* a, const float* B, std::size_t ldb, const float* v, std::size_t h,
                     std::size_t n, float* out);

namespace scalar {
template <class Acc>
void additive_scores(const float* a, const float* B, std::size_t ldb, const float* v, std::size_t h,
                     std::size_t n, Acc* out) {
  for (std::size_t j = 0; j < n; ++j) {
    Acc sum = 0;
    for (std::size_t p = 0; p < h; ++p)
      sum += static_cast<Acc>(v[p]) * std::tanh(static_cast<Acc>(a[p]) + static_cast<Acc>(B[j * ldb + p]));
    out[j] = sum;
  }
}
}  // namespace scalar

}  // namespace attnscope::kernels
