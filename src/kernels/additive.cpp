#include "kernels/additive.hpp"

#include "kernels/arch.hpp"

namespace attnscope::kernels {
namespace {

// tanh as a rational function on [-7.905, 7.905] (odd degree-13 numerator,
// even degree-6 denominator; Eigen's fast tanh coefficients), clamped outside
// (tanh is 1 to float precision there) and x itself for |x| < 4e-4. Max
// error 4e-7, against ~1e-7 for xsimd::tanh, which costs three times as much
// under V8: its exp and selects use many vector constants, and V8 rebuilds a
// v128.const at every use. Here the constants are read once per call into
// registers.
volatile float g_tanh_constants[] = {
    7.90531110763549805f,  // clamp
    4e-4f,                 // below: tanh(x) = x
    4.89352455891786e-03f,
    6.37261928875436e-04f,
    1.48572235717979e-05f,
    5.12229709037114e-08f,
    -8.60467152213735e-11f,
    2.00018790482477e-13f,
    -2.76076847742355e-16f,  // numerator, x^1..x^13
    4.89352518554385e-03f,
    2.26843463243900e-03f,
    1.18534705686654e-04f,
    1.19825839466702e-06f,  // denominator, x^0..x^6
};

template <class B>
struct Tanh {
  B clamp, nclamp, tiny, a1, a3, a5, a7, a9, a11, a13, b0, b2, b4, b6;
  Tanh()
      : clamp(g_tanh_constants[0]),
        nclamp(-clamp),
        tiny(g_tanh_constants[1]),
        a1(g_tanh_constants[2]),
        a3(g_tanh_constants[3]),
        a5(g_tanh_constants[4]),
        a7(g_tanh_constants[5]),
        a9(g_tanh_constants[6]),
        a11(g_tanh_constants[7]),
        a13(g_tanh_constants[8]),
        b0(g_tanh_constants[9]),
        b2(g_tanh_constants[10]),
        b4(g_tanh_constants[11]),
        b6(g_tanh_constants[12]) {}
  B operator()(B x0) const {
    const B x = xsimd::min(xsimd::max(x0, nclamp), clamp);
    const B x2 = x * x;
    B p = madd(x2, a13, a11);
    p = madd(x2, p, a9);
    p = madd(x2, p, a7);
    p = madd(x2, p, a5);
    p = madd(x2, p, a3);
    p = madd(x2, p, a1);
    B q = madd(x2, b6, b4);
    q = madd(x2, q, b2);
    q = madd(x2, q, b0);
    return xsimd::select(xsimd::abs(x0) < tiny, x0, x * p / q);
  }
};

template <class Arch>
struct AdditiveScores {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  void operator()(const float* a, const float* Bp, std::size_t ldb, const float* v, std::size_t h,
                  std::size_t n, float* out) const {
    const Tanh<B> tanh;
    for (std::size_t j = 0; j < n; ++j) {
      const float* b = Bp + j * ldb;
      B acc(0.f);
      std::size_t p = 0;
      for (; p + W <= h; p += W)
        acc = madd(B::load_unaligned(v + p), tanh(B::load_unaligned(a + p) + B::load_unaligned(b + p)), acc);
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
