// Numerically stable masked softmax over one row.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

namespace attnscope::kernels {

// In place over x[0, n):
//   x[j] <- exp((x[j] + bias[j] - m) * inv_temperature) / sum, for j < limit
//   x[j] <- 0,                                               for j >= limit
// where m is the row's maximum of x + bias over j < limit (subtracting it keeps
// exp from overflowing). bias is null or holds 0 (keep) / -inf (masked) per
// key, so masked entries come out exactly 0. A row with nothing kept becomes
// all zeros, never NaN. x must be finite; inv_temperature finite and > 0.
void softmax_row(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_temperature);

namespace scalar {
template <class T>
void softmax_row(T* x, std::size_t n, std::size_t limit, const float* bias, float inv_temperature) {
  const T ninf = -std::numeric_limits<T>::infinity();
  T m = ninf;
  for (std::size_t j = 0; j < limit; ++j) {
    x[j] += bias ? static_cast<T>(bias[j]) : T(0);
    if (x[j] > m) m = x[j];
  }
  if (m == ninf) limit = 0;  // fully masked: all zeros
  T sum = 0;
  for (std::size_t j = 0; j < limit; ++j) {
    x[j] = x[j] == ninf ? T(0) : std::exp((x[j] - m) * static_cast<T>(inv_temperature));
    sum += x[j];
  }
  for (std::size_t j = 0; j < limit; ++j) x[j] /= sum;
  for (std::size_t j = limit; j < n; ++j) x[j] = 0;
}
}  // namespace scalar

}  // namespace attnscope::kernels
