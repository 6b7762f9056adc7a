// Layer normalisation over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta.
#pragma once

#include <cmath>
#include <cstddef>

namespace attnscope::kernels {

// One row of n values; x and y may alias.
void layer_norm_row(const float* x, std::size_t n, const float* gamma, const float* beta, float eps, float* y);

namespace scalar {
template <class Acc>
void layer_norm_row(const float* x, std::size_t n, const float* gamma, const float* beta, float eps, Acc* y) {
  Acc mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<Acc>(n);
  Acc var = 0;
  for (std::size_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<Acc>(n);
  const Acc inv = Acc(1) / std::sqrt(var + static_cast<Acc>(eps));
  for (std::size_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv * gamma[i] + beta[i];
}
}  // namespace scalar

}  // namespace attnscope::kernels
