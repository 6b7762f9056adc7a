#include "kernels/softmax.hpp"

#include "kernels/arch.hpp"

namespace attnscope::kernels {
namespace {

template <class Arch>
struct SoftmaxRow {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  void operator()(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_t) const {
    const float ninf = -std::numeric_limits<float>::infinity();
    // Pass 1: add the mask bias and find the maximum.
    B vmax(ninf);
    float m = ninf;
    std::size_t j = 0;
    if (bias) {
      for (; j + W <= limit; j += W) {
        const B v = B::load_unaligned(x + j) + B::load_unaligned(bias + j);
        v.store_unaligned(x + j);
        vmax = xsimd::max(vmax, v);
      }
      for (; j < limit; ++j) {
        x[j] += bias[j];
        m = std::max(m, x[j]);
      }
    } else {
      for (; j + W <= limit; j += W) vmax = xsimd::max(vmax, B::load_unaligned(x + j));
      for (; j < limit; ++j) m = std::max(m, x[j]);
    }
    m = std::max(m, xsimd::reduce_max(vmax));
    if (m == ninf) limit = 0;  // fully masked row: all zeros
    // Pass 2: exponentiate relative to the maximum; exp(-inf) is exactly 0.
    const B vm(m), vt(inv_t), zero(0.f);
    B vsum(0.f);
    float sum = 0.f;
    j = 0;
    for (; j + W <= limit; j += W) {
      const B v = B::load_unaligned(x + j);
      const B e = xsimd::select(v == B(ninf), zero, xsimd::exp((v - vm) * vt));
      e.store_unaligned(x + j);
      vsum += e;
    }
    for (; j < limit; ++j) {
      x[j] = x[j] == ninf ? 0.f : std::exp((x[j] - m) * inv_t);
      sum += x[j];
    }
    sum += xsimd::reduce_add(vsum);
    // Pass 3: normalise (sum >= 1 since the maximum contributes exp(0)).
    const float inv = 1.f / sum;
    const B vinv(inv);
    j = 0;
    for (; j + W <= limit; j += W) (B::load_unaligned(x + j) * vinv).store_unaligned(x + j);
    for (; j < limit; ++j) x[j] *= inv;
    for (j = limit; j < n; ++j) x[j] = 0.f;
  }
};

}  // namespace

void softmax_row(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_temperature) {
  SoftmaxRow<arch>{}(x, n, limit < n ? limit : n, bias, inv_temperature);
}

}  // namespace attnscope::kernels
