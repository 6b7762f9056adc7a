// Shared helpers: seeded random inputs, the SIMD-width-straddling lengths,
// and closeness checks against double-precision references.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace attnscope::test {

// Below, equal to, one past and well above the SIMD widths (4 on wasm and
// SSE, 8 on AVX2, 16 on AVX-512).
inline const std::vector<std::size_t> kLengths = {1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 200};

inline std::vector<float> random_vector(std::size_t n, unsigned seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> out(n);
  for (float& x : out) x = dist(rng);
  return out;
}

// |got - want| <= rel * scale, where scale bounds the magnitude of what was
// summed (for a dot product: sum |a_p b_p|), so cancellation is not punished.
inline ::testing::AssertionResult near_rel(double got, double want, double scale, double rel,
                                           const char* what, std::size_t index) {
  const double err = std::fabs(got - want);
  if (std::isfinite(got) && err <= rel * std::max(scale, 1e-30)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << "[" << index << "] = " << got << ", reference " << want
                                       << ", error " << err << " > " << rel << " x " << scale;
}

}  // namespace attnscope::test
