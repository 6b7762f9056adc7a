#include "kernels/activation.hpp"

#include "kernels/arch.hpp"

namespace attnscope::kernels {
namespace {

template <class Arch>
struct GeluInPlace {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  void operator()(Gelu kind, float* x, std::size_t n) const {
    const B half(0.5f), one(1.f), k(0.7978845608028654f), c(0.044715f), inv_sqrt2(0.7071067811865476f);
    std::size_t i = 0;
    for (; i + W <= n; i += W) {
      const B v = B::load_unaligned(x + i);
      const B inner =
          kind == Gelu::kTanh ? xsimd::tanh(k * madd(c * v, v * v, v)) : xsimd::erf(v * inv_sqrt2);
      (half * v * (one + inner)).store_unaligned(x + i);
    }
    scalar::gelu(kind, x + i, n - i);
  }
};

}  // namespace

void gelu(Gelu kind, float* x, std::size_t n) {
  GeluInPlace<arch>{}(kind, x, n);
}

}  // namespace attnscope::kernels
