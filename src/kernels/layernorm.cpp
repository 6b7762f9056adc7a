#include "kernels/layernorm.hpp"

#include "kernels/arch.hpp"

namespace attnscope::kernels {
namespace {

template <class Arch>
struct LayerNormRow {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  void operator()(const float* x, std::size_t n, const float* gamma, const float* beta, float eps,
                  float* y) const {
    // Two passes (mean, then centred variance): the one-pass E[x^2] - E[x]^2
    // loses everything when |mean| >> std, as in GPT-2's large residuals.
    B acc(0.f);
    std::size_t i = 0;
    for (; i + W <= n; i += W) acc += B::load_unaligned(x + i);
    float sum = xsimd::reduce_add(acc);
    for (; i < n; ++i) sum += x[i];
    const float mean = sum / static_cast<float>(n);
    const B vmean(mean);
    acc = B(0.f);
    i = 0;
    for (; i + W <= n; i += W) {
      const B d = B::load_unaligned(x + i) - vmean;
      acc = madd(d, d, acc);
    }
    float var = xsimd::reduce_add(acc);
    for (; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
    const float inv = 1.f / std::sqrt(var / static_cast<float>(n) + eps);
    const B vinv(inv);
    i = 0;
    for (; i + W <= n; i += W)
      madd((B::load_unaligned(x + i) - vmean) * vinv, B::load_unaligned(gamma + i),
           B::load_unaligned(beta + i))
          .store_unaligned(y + i);
    for (; i < n; ++i) y[i] = (x[i] - mean) * inv * gamma[i] + beta[i];
  }
};

}  // namespace

void layer_norm_row(const float* x, std::size_t n, const float* gamma, const float* beta, float eps,
                    float* y) {
  LayerNormRow<arch>{}(x, n, gamma, beta, eps, y);
}

}  // namespace attnscope::kernels
