#include "kernels/softmax.hpp"

#include <cstdint>

#include "kernels/arch.hpp"
#include "kernels/softmax_fused.hpp"

namespace attnscope::kernels {
namespace {

// exp(x) for x <= 0 (a row minus its maximum, times 1/temperature; -inf for
// masked keys): Cody-Waite reduction to r in [-ln2/2, ln2/2], a degree-5
// minimax polynomial (relative error < 2e-7 in float, like xsimd::exp's
// ~1e-7; softmax never needs its overflow handling), 2^k built in the
// exponent bits. x is first raised to -88, where k = -127 and 2^k's bits are
// 0, so anything below ~-87.7 (and -inf) comes out exactly 0 without a
// compare and select. The constants are read once per row into registers:
// V8 rebuilds a v128.const at every use, and that made xsimd::exp twice as
// slow here; there are few of them so that V8 keeps them all in registers.
volatile float g_exp_constants[] = {
    -88.f,                 // floor: k = round(-88 log2 e) = -127
    12583039.f,            // 1.5 * 2^23 + 127: rounds to an integer, + the bias
    1.44269504088896341f,  // log2(e)
    -0.693359375f,         // -ln 2, high part (k * it is exact)
    2.12194440e-4f,        // -ln 2, low part
    0.4999922811985016f,   // c2..c5: e^r ~ 1 + r + r^2 (c2 + c3 r + c4 r^2 + c5 r^3)
    0.16667115688323975f,
    0.041890550404787064f,
    0.008312477730214596f,
    1.f};

template <class B>
struct NegExp {
  B floor, big, log2e, neg_ln2hi, neg_ln2lo, c2, c3, c4, c5, one;
  NegExp()
      : floor(g_exp_constants[0]),
        big(g_exp_constants[1]),
        log2e(g_exp_constants[2]),
        neg_ln2hi(g_exp_constants[3]),
        neg_ln2lo(g_exp_constants[4]),
        c2(g_exp_constants[5]),
        c3(g_exp_constants[6]),
        c4(g_exp_constants[7]),
        c5(g_exp_constants[8]),
        one(g_exp_constants[9]) {}
  B operator()(B x) const {
    x = xsimd::max(x, floor);          // (-inf too)
    const B kb = madd(x, log2e, big);  // k + 127 = round(x / ln 2) + 127, in the low mantissa bits
    const B k = kb - big;
    // r = x - k ln 2 as two madds (one instruction each under relaxed SIMD;
    // xsimd's fnma is a mul and a sub even there). The negations are exact,
    // so the SIMD128 build computes the same bits as with fnma.
    const B r = madd(k, neg_ln2lo, madd(k, neg_ln2hi, x));
    // Estrin's scheme: the loop is bound by the latency of this chain.
    const B r2 = r * r;
    const B q = madd(madd(c5, r, c4), r2, madd(c3, r, c2));
    const B y = madd(q, r2, r + one);
    // (k + 127) << 23: the exponent field of 2^k (the bits of big shift out).
    return y * xsimd::bitwise_cast<float>(xsimd::bitwise_cast<std::int32_t>(kb) << 23);
  }
};

// The passes shared by both softmaxes, over x[0, limit).
template <class Arch>
struct RowPasses {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  // x[j] <- exp((x[j] (+ bias[j]) - m) * inv_t); returns their sum. (inv_t
  // = 1, the default, skips the multiply and frees a register: with the
  // exponential's constants V8 has none to spare, and a spilled running sum
  // is a store-to-load chain per vector.)
  static float exponentiate(float* x, std::size_t limit, const float* bias, float m, float inv_t) {
    return inv_t == 1.f ? exp_pass<false>(x, limit, bias, m, inv_t)
                        : exp_pass<true>(x, limit, bias, m, inv_t);
  }
  template <bool kTempered>
  static float exp_pass(float* x, std::size_t limit, const float* bias, float m, float inv_t) {
    const B vm(m), vt(inv_t);
    const auto arg = [&](B v) { return kTempered ? (v - vm) * vt : v - vm; };
    const NegExp<B> exp;
    B vsum(0.f);
    float sum = 0.f;
    std::size_t j = 0;
    if (bias) {
      for (; j + W <= limit; j += W) {
        const B e = exp(arg(B::load_unaligned(x + j) + B::load_unaligned(bias + j)));
        e.store_unaligned(x + j);
        vsum += e;
      }
      for (; j < limit; ++j) {
        const float v = x[j] + bias[j];
        x[j] = v == -std::numeric_limits<float>::infinity() ? 0.f : std::exp((v - m) * inv_t);
        sum += x[j];
      }
    } else {
      for (; j + W <= limit; j += W) {
        const B e = exp(arg(B::load_unaligned(x + j)));
        e.store_unaligned(x + j);
        vsum += e;
      }
      for (; j < limit; ++j) {
        x[j] = std::exp((x[j] - m) * inv_t);
        sum += x[j];
      }
    }
    return sum + xsimd::reduce_add(vsum);
  }

  // x[j] <- x[j] / sum below the limit, 0 from it to n.
  static void normalise(float* x, std::size_t n, std::size_t limit, float sum) {
    const float inv = 1.f / sum;
    const B vinv(inv);
    std::size_t j = 0;
    for (; j + W <= limit; j += W) (B::load_unaligned(x + j) * vinv).store_unaligned(x + j);
    for (; j < limit; ++j) x[j] *= inv;
    for (j = limit; j < n; ++j) x[j] = 0.f;
  }
};

template <class Arch>
struct SoftmaxRow {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  void operator()(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_t) const {
    const float ninf = -std::numeric_limits<float>::infinity();
    // Pass 1: the maximum of x + bias.
    B vmax(ninf);
    float m = ninf;
    std::size_t j = 0;
    if (bias) {
      for (; j + W <= limit; j += W)
        vmax = xsimd::max(vmax, B::load_unaligned(x + j) + B::load_unaligned(bias + j));
      for (; j < limit; ++j) m = std::max(m, x[j] + bias[j]);
    } else {
      for (; j + W <= limit; j += W) vmax = xsimd::max(vmax, B::load_unaligned(x + j));
      for (; j < limit; ++j) m = std::max(m, x[j]);
    }
    m = std::max(m, xsimd::reduce_max(vmax));
    if (m == ninf) limit = 0;  // fully masked row: all zeros
    // Pass 2: exponentiate relative to the maximum; exp(-inf) is exactly 0.
    // Pass 3: normalise (sum >= 1 since the maximum contributes exp(0)).
    RowPasses<Arch>::normalise(x, n, limit, RowPasses<Arch>::exponentiate(x, limit, bias, m, inv_t));
  }
};

// softmax_row with the finiteness check of the raw scores in its first pass:
// x - x is 0 for finite x and NaN for +-inf or NaN, so one running sum of it
// tells whether the row may proceed. x is not written until it has passed.
// (Two accumulators each: the add's latency, not the loads, bounds one.)
// The same pass copies the raw scores out when asked (kRaw).
template <class Arch>
struct SoftmaxRowFinite {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  template <bool kRaw>
  static bool run(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_t, float* raw) {
    const float ninf = -std::numeric_limits<float>::infinity();
    const B vninf(ninf), zero(0.f);
    B vmax0(ninf), vmax1(ninf), vchk0(0.f), vchk1(0.f);
    float m = ninf, chk = 0.f;
    std::size_t j = 0;
    if (bias) {
      for (; j + 2 * W <= limit; j += 2 * W) {
        const B v0 = B::load_unaligned(x + j), v1 = B::load_unaligned(x + j + W);
        const B b0 = B::load_unaligned(bias + j), b1 = B::load_unaligned(bias + j + W);
        vchk0 += v0 - v0;
        vchk1 += v1 - v1;
        vmax0 = xsimd::max(vmax0, v0 + b0);
        vmax1 = xsimd::max(vmax1, v1 + b1);
        if constexpr (kRaw) {
          xsimd::select(b0 == zero, v0, vninf).store_unaligned(raw + j);
          xsimd::select(b1 == zero, v1, vninf).store_unaligned(raw + j + W);
        }
      }
      for (; j < limit; ++j) {
        chk += x[j] - x[j];
        m = std::max(m, x[j] + bias[j]);
        if constexpr (kRaw) raw[j] = bias[j] == 0.f ? x[j] : ninf;
      }
    } else {
      for (; j + 2 * W <= limit; j += 2 * W) {
        const B v0 = B::load_unaligned(x + j), v1 = B::load_unaligned(x + j + W);
        vchk0 += v0 - v0;
        vchk1 += v1 - v1;
        vmax0 = xsimd::max(vmax0, v0);
        vmax1 = xsimd::max(vmax1, v1);
        if constexpr (kRaw) {
          v0.store_unaligned(raw + j);
          v1.store_unaligned(raw + j + W);
        }
      }
      for (; j < limit; ++j) {
        chk += x[j] - x[j];
        m = std::max(m, x[j]);
        if constexpr (kRaw) raw[j] = x[j];
      }
    }
    if constexpr (kRaw)
      for (j = limit; j < n; ++j) raw[j] = ninf;
    chk += xsimd::reduce_add(vchk0 + vchk1);
    if (chk != 0.f) return false;  // NaN: some score is not finite
    m = std::max(m, xsimd::reduce_max(xsimd::max(vmax0, vmax1)));
    if (m == ninf) limit = 0;  // fully masked row: all zeros
    RowPasses<Arch>::normalise(x, n, limit, RowPasses<Arch>::exponentiate(x, limit, bias, m, inv_t));
    return true;
  }
};

}  // namespace

bool softmax_row_finite(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_temperature,
                        float* raw) {
  limit = limit < n ? limit : n;
  return raw ? SoftmaxRowFinite<arch>::run<true>(x, n, limit, bias, inv_temperature, raw)
             : SoftmaxRowFinite<arch>::run<false>(x, n, limit, bias, inv_temperature, nullptr);
}

void softmax_row(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_temperature) {
  SoftmaxRow<arch>{}(x, n, limit < n ? limit : n, bias, inv_temperature);
}

}  // namespace attnscope::kernels
