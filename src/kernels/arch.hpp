// The SIMD architecture kernels are compiled for. xsimd picks the best one the
// compiler targets: `wasm` under -msimd128, sse2 natively by default, avx2 or
// avx512 with -march=native (ATTNSCOPE_NATIVE_ARCH).
#pragma once

#include <xsimd/xsimd.hpp>

namespace attnscope::kernels {

using arch = xsimd::default_arch;
using batch = xsimd::batch<float, arch>;
inline constexpr std::size_t kLanes = batch::size;

// Name of the arch the vector kernels run on ("wasm", "sse2", "avx512bw", ...).
const char* arch_name();

}  // namespace attnscope::kernels
