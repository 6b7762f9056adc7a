// GELU, in place, in the two variants transformers use.
#pragma once

#include <cmath>
#include <cstddef>

namespace attnscope::kernels {

enum class Gelu : unsigned char {
  kTanh,  // GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  kErf,   // BERT's exact gelu: 0.5 x (1 + erf(x / sqrt(2)))
};

void gelu(Gelu kind, float* x, std::size_t n);

namespace scalar {
template <class T>
void gelu(Gelu kind, T* x, std::size_t n) {
  const T k = std::sqrt(T(2) / T(3.14159265358979323846));
  for (std::size_t i = 0; i < n; ++i) {
    const T v = x[i];
    x[i] = kind == Gelu::kTanh ? T(0.5) * v * (T(1) + std::tanh(k * (v + T(0.044715) * v * v * v)))
                               : T(0.5) * v * (T(1) + std::erf(v / std::sqrt(T(2))));
  }
}
}  // namespace scalar

}  // namespace attnscope::kernels
