// Widening the stored weight formats to float, in SIMD blocks: a model's F16
// or BF16 weights are converted once, at load, and that pass is most of the
// load time of a small model (the first load runs in V8's baseline tier, where
// a scalar loop per element is slow).
#pragma once

#include <cstddef>
#include <cstdint>

namespace attnscope::kernels {

// out[i] = the IEEE half at src[2i] (little-endian, any alignment), exactly,
// NaN payloads kept. Returns false if any value is infinite or NaN.
bool f16_to_f32(const std::uint8_t* src, std::size_t n, float* out);

// out[i] = the bfloat16 at src[2i] (little-endian, any alignment). Returns
// false if any value is infinite or NaN.
bool bf16_to_f32(const std::uint8_t* src, std::size_t n, float* out);

// True if no x[i] is infinite or NaN (a bit test: immune to -ffast-math).
bool all_finite(const float* x, std::size_t n);

}  // namespace attnscope::kernels
