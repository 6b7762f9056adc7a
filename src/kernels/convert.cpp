#include "kernels/convert.hpp"

#include <cstring>

#include "kernels/arch.hpp"

// Two 16-bit values per 32-bit lane: one unaligned load gives 2W halves, the
// even ones in the low halves of the lanes and the odd ones in the high
// halves (wasm and x86 are little-endian); each set is widened with integer ops and the two are
// interleaved back (zip) into 2W floats.
namespace attnscope::kernels {
namespace {

using U = xsimd::batch<std::uint32_t, arch>;
using F = xsimd::batch<float, arch>;
constexpr std::size_t W = U::size;
constexpr std::uint32_t kExpMask = 0x7F800000u;

std::uint32_t load_u16(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8;
}
std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Half bits (in the low 16 bits) to float bits, branch-free: rebias the
// exponent; Inf/NaN get the rest of the float exponent range; subnormals
// (and zero) are mant * 2^-24, made exact by subtracting 2^-14 from the
// float 2^-14 * (1 + mant / 1024).
template <class T, class Sub, class Sel>
T half_bits(T h, Sub sub_magic, Sel select_eq) {
  const T shifted_exp(0x7C00u << 13);
  T o = (h & T(0x7FFFu)) << 13;
  const T exp = o & shifted_exp;
  o = o + T((127u - 15u) << 23);
  o = select_eq(exp, shifted_exp, o + T((128u - 16u) << 23), o);
  o = select_eq(exp, T(0u), sub_magic(o + T(1u << 23)), o);
  return o | ((h & T(0x8000u)) << 16);
}

std::uint32_t half_scalar(std::uint32_t h) {
  return half_bits<std::uint32_t>(
      h, [](std::uint32_t o) { return bits_of(float_of(o) - float_of(113u << 23)); },
      [](std::uint32_t a, std::uint32_t b, std::uint32_t t, std::uint32_t f) { return a == b ? t : f; });
}

U half_simd(U h) {
  return half_bits<U>(
      h,
      [](U o) {
        return xsimd::bitwise_cast<std::uint32_t>(xsimd::bitwise_cast<float>(o) - F(float_of(113u << 23)));
      },
      [](U a, U b, U t, U f) { return xsimd::select(a == b, t, f); });
}

// Converts n values with `lane` (2W at a time) and `one` (the tail).
template <class Lane, class One>
bool widen(const std::uint8_t* src, std::size_t n, float* out, Lane lane, One one) {
  U bad(0u);
  std::size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const U x = U::load_unaligned(reinterpret_cast<const std::uint32_t*>(src + 2 * i));
    const U even = lane(x & U(0xFFFFu)), odd = lane(x >> 16);
    bad = bad | xsimd::select((even & U(kExpMask)) == U(kExpMask), U(1u), U(0u));
    bad = bad | xsimd::select((odd & U(kExpMask)) == U(kExpMask), U(1u), U(0u));
    xsimd::bitwise_cast<float>(xsimd::zip_lo(even, odd)).store_unaligned(out + i);
    xsimd::bitwise_cast<float>(xsimd::zip_hi(even, odd)).store_unaligned(out + i + W);
  }
  bool finite = xsimd::reduce_max(bad) == 0u;
  for (; i < n; ++i) {
    const std::uint32_t b = one(load_u16(src + 2 * i));
    finite = finite && (b & kExpMask) != kExpMask;
    out[i] = float_of(b);
  }
  return finite;
}

}  // namespace

bool f16_to_f32(const std::uint8_t* src, std::size_t n, float* out) {
  return widen(src, n, out, half_simd, half_scalar);
}

bool bf16_to_f32(const std::uint8_t* src, std::size_t n, float* out) {
  return widen(
      src, n, out, [](U x) { return x << 16; }, [](std::uint32_t x) { return x << 16; });
}

// |x| as bits is >= the exponent mask exactly for Inf and NaN: a running
// integer max of the cleared-sign bits (two ops per vector, two accumulators)
// decides, a bit test that -ffast-math cannot fold away.
bool all_finite(const float* x, std::size_t n) {
  using I = xsimd::batch<std::int32_t, arch>;
  const I abs_mask(0x7FFFFFFF);
  I m0(0), m1(0);
  std::size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    m0 = xsimd::max(m0, xsimd::bitwise_cast<std::int32_t>(F::load_unaligned(x + i)) & abs_mask);
    m1 = xsimd::max(m1, xsimd::bitwise_cast<std::int32_t>(F::load_unaligned(x + i + W)) & abs_mask);
  }
  bool finite = xsimd::reduce_max(xsimd::max(m0, m1)) < static_cast<std::int32_t>(kExpMask);
  for (; i < n; ++i) finite = finite && (bits_of(x[i]) & kExpMask) != kExpMask;
  return finite;
}

}  // namespace attnscope::kernels
