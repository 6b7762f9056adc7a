#include "kernels/additive.hpp"

#include "kernels/arch.hpp"

namespace attnscope::kernels {
namespace {

template <class Arch>
struct AdditiveScores {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  void operator()(const float* a, const float* Bp, std::size_t ldb, const float* v, std::size_t h,
                  std::size_t n, float* out) const {
    for (std::size_t j = 0; j < n; ++j) {
      const float* b = Bp + j * ldb;
      B acc(0.f);
      std::size_t p = 0;
      for (; p + W <= h; p += W)
        acc = xsimd::fma(B::load_unaligned(v + p),
                         xsimd::tanh(B::load_unaligned(a + p) + B::load_unaligned(b + p)), acc);
      float sum = xsimd::reduce_add(acc);
      for (; p < h; ++p) sum += v[p] * std::tanh(a[p] + b[p]);
      out[j] = sum;
    }
  }
};

}  // namespace

void additive_scores(const float* a, const float* B, std::size_t ldb, const float* v, std::size_t h,
                     std::size_t n, float* out) {
  AdditiveScores<arch>{}(a, B, ldb, v, h, n, out);
}

}  // namespace attnscope::kernels
