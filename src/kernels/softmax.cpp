#include "kernels/softmax.hpp"

#include <cstdint>

#include "kernels/arch.hpp"
#include "kernels/softmax_fused.hpp"

namespace attnscope::kernels {
namespace {

// exp(x) for x <= 0 (a row minus its maximum, times 1/temperature): Cephes'
// degree-5 polynomial after Cody-Waite reduction, 2^k built in the exponent
// bits; below the smallest normal result it gives exactly 0. (Max relative
// error ~1e-7, like xsimd::exp, which also handles overflow softmax never
// sees.) The constants are read once per row into registers: V8 rebuilds a
// v128.const at every use, and that made xsimd::exp twice as slow here.
volatile float g_exp_constants[] = {-87.33654f,            // lo: exp(lo) is the smallest normal float
                                    12582912.f,            // big: 1.5 * 2^23, rounds to an integer when added
                                    1.44269504088896341f,  // log2(e)
                                    0.693359375f,          // ln 2, high part
                                    -2.12194440e-4f,       // ln 2, low part
                                    1.9875691500e-4f,
                                    1.3981999507e-3f,
                                    8.3334519073e-3f,
                                    4.1665795894e-2f,
                                    1.6666665459e-1f,
                                    5.0000001201e-1f,
                                    1.f};

template <class B>
struct NegExp {
  using I = xsimd::batch<std::int32_t, typename B::arch_type>;
  B lo, big, bias, log2e, ln2hi, ln2lo, p0, p1, p2, p3, p4, p5, one;
  NegExp()
      : lo(g_exp_constants[0]),
        big(g_exp_constants[1]),
        bias(big - B(127.f)),
        log2e(g_exp_constants[2]),
        ln2hi(g_exp_constants[3]),
        ln2lo(g_exp_constants[4]),
        p0(g_exp_constants[5]),
        p1(g_exp_constants[6]),
        p2(g_exp_constants[7]),
        p3(g_exp_constants[8]),
        p4(g_exp_constants[9]),
        p5(g_exp_constants[10]),
        one(g_exp_constants[11]) {}
  B operator()(B x) const {
    const auto keep = x >= lo;
    x = xsimd::max(x, lo);
    const B kb = xsimd::fma(x, log2e, big);  // k = round(x / ln 2), in the low mantissa bits
    const B k = kb - big;
    B r = xsimd::fnma(k, ln2hi, x);
    r = xsimd::fnma(k, ln2lo, r);
    B y = xsimd::fma(p0, r, p1);
    y = xsimd::fma(y, r, p2);
    y = xsimd::fma(y, r, p3);
    y = xsimd::fma(y, r, p4);
    y = xsimd::fma(y, r, p5);
    y = xsimd::fma(y, r * r, r) + one;
    const I e = (xsimd::bitwise_cast<std::int32_t>(kb) - xsimd::bitwise_cast<std::int32_t>(bias))
                << 23;  // (k + 127) << 23
    return xsimd::select(keep, y * xsimd::bitwise_cast<float>(e), B(0.f));
  }
};

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
    const NegExp<B> exp;
    B vsum(0.f);
    float sum = 0.f;
    j = 0;
    for (; j + W <= limit; j += W) {
      const B v = B::load_unaligned(x + j);
      const B e = xsimd::select(v == B(ninf), zero, exp((v - vm) * vt));
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

// softmax_row with the finiteness check of the raw scores in its first pass:
// x - x is 0 for finite x and NaN for +-inf or NaN, so one running sum of it
// tells whether the row may proceed. x is not written until it has passed.
template <class Arch>
struct SoftmaxRowFinite {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  bool operator()(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_t) const {
    const float ninf = -std::numeric_limits<float>::infinity();
    B vmax(ninf), vchk(0.f);
    float m = ninf, chk = 0.f;
    std::size_t j = 0;
    if (bias) {
      for (; j + W <= limit; j += W) {
        const B v = B::load_unaligned(x + j);
        vchk += v - v;
        vmax = xsimd::max(vmax, v + B::load_unaligned(bias + j));
      }
      for (; j < limit; ++j) {
        chk += x[j] - x[j];
        m = std::max(m, x[j] + bias[j]);
      }
    } else {
      for (; j + W <= limit; j += W) {
        const B v = B::load_unaligned(x + j);
        vchk += v - v;
        vmax = xsimd::max(vmax, v);
      }
      for (; j < limit; ++j) {
        chk += x[j] - x[j];
        m = std::max(m, x[j]);
      }
    }
    chk += xsimd::reduce_add(vchk);
    if (chk != 0.f) return false;  // NaN: some score is not finite
    m = std::max(m, xsimd::reduce_max(vmax));
    if (m == ninf) limit = 0;  // fully masked row: all zeros
    const B vm(m), vt(inv_t), zero(0.f);
    const NegExp<B> exp;
    B vsum(0.f);
    float sum = 0.f;
    j = 0;
    if (bias) {
      for (; j + W <= limit; j += W) {
        const B v = B::load_unaligned(x + j) + B::load_unaligned(bias + j);
        const B e = xsimd::select(v == B(ninf), zero, exp((v - vm) * vt));
        e.store_unaligned(x + j);
        vsum += e;
      }
      for (; j < limit; ++j) {
        const float v = x[j] + bias[j];
        x[j] = v == ninf ? 0.f : std::exp((v - m) * inv_t);
        sum += x[j];
      }
    } else {
      // Finite scores: nothing is masked inside the limit.
      for (; j + W <= limit; j += W) {
        const B e = exp((B::load_unaligned(x + j) - vm) * vt);
        e.store_unaligned(x + j);
        vsum += e;
      }
      for (; j < limit; ++j) {
        x[j] = std::exp((x[j] - m) * inv_t);
        sum += x[j];
      }
    }
    sum += xsimd::reduce_add(vsum);
    const float inv = 1.f / sum;
    const B vinv(inv);
    j = 0;
    for (; j + W <= limit; j += W) (B::load_unaligned(x + j) * vinv).store_unaligned(x + j);
    for (; j < limit; ++j) x[j] *= inv;
    for (j = limit; j < n; ++j) x[j] = 0.f;
    return true;
  }
};

}  // namespace

bool softmax_row_finite(float* x, std::size_t n, std::size_t limit, const float* bias,
                        float inv_temperature) {
  return SoftmaxRowFinite<arch>{}(x, n, limit < n ? limit : n, bias, inv_temperature);
}

void softmax_row(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_temperature) {
  SoftmaxRow<arch>{}(x, n, limit < n ? limit : n, bias, inv_temperature);
}

}  // namespace attnscope::kernels
