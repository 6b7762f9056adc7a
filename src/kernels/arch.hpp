// The SIMD architecture kernels are compiled for. xsimd picks the best one the
// compiler targets: `wasm` under -msimd128, sse2 natively by default, avx2 or
// avx512 with -march=native (ATTNSCOPE_NATIVE_ARCH).
#pragma once

#include <xsimd/xsimd.hpp>

namespace attnscope::kernels {

using arch = xsimd::default_arch;
using batch = xsimd::batch<float, arch>;
inline constexpr std::size_t kLanes = batch::size;

// a * b + c, the multiply-add every kernel uses. Natively xsimd's fma (fused
// where the arch has FMA). Under wasm, SIMD128 has no fused multiply-add: with
// -mrelaxed-simd (the second wasm build) it is f32x4.relaxed_madd, one fused
// instruction on FMA hardware instead of a mul and an add; clang < 16 names
// it __builtin_wasm_fma_f32x4 and emits a pre-standard opcode that
// scripts/wasm-relaxed.mjs rewrites after linking.
template <class A>
inline xsimd::batch<float, A> madd(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b,
                                   const xsimd::batch<float, A>& c) {
#if defined(__wasm_relaxed_simd__) && __has_builtin(__builtin_wasm_relaxed_madd_f32x4)
  return __builtin_wasm_relaxed_madd_f32x4(a.data, b.data, c.data);
#elif defined(__wasm_relaxed_simd__)
  return __builtin_wasm_fma_f32x4(a.data, b.data, c.data);
#else
  return xsimd::fma(a, b, c);
#endif
}

// Name of the arch the vector kernels run on ("wasm", "wasm+relaxed" for the
// relaxed-SIMD wasm build, "sse2", "avx512bw", ...).
const char* arch_name();

}  // namespace attnscope::kernels
