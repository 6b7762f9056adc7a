// Layer norm and GELU: SIMD and scalar twin against double precision.
#include <gtest/gtest.h>

#include "kernels/activation.hpp"
#include "kernels/layernorm.hpp"
#include "test_util.hpp"

namespace attnscope {
namespace {

TEST(LayerNorm, MatchesDoubleReferenceAtEveryLength) {
  for (std::size_t n : test::kLengths) {
    SCOPED_TRACE(::testing::Message() << "n=" << n);
    // A large common offset, as in GPT-2's residual stream: the naive
    // one-pass variance would cancel catastrophically.
    const auto x = n % 2 ? test::random_vector(n, 1, 99.f, 101.f) : test::random_vector(n, 1, -3.f, 3.f);
    const auto g = test::random_vector(n, 2), b = test::random_vector(n, 3);
    std::vector<float> simd(n), twin(n);
    std::vector<double> ref(n);
    kernels::layer_norm_row(x.data(), n, g.data(), b.data(), 1e-5f, simd.data());
    kernels::scalar::layer_norm_row(x.data(), n, g.data(), b.data(), 1e-5f, twin.data());
    kernels::scalar::layer_norm_row(x.data(), n, g.data(), b.data(), 1e-5f, ref.data());
    for (std::size_t i = 0; i < n; ++i) {
      // Relative to the row's scale. Inputs at ~100 with a std of ~0.6 make
      // the float sums ill-conditioned (x 170): 1e-4 rather than 1e-5.
      const double scale = std::fabs(ref[i] - b[i]) + std::fabs(b[i]) + 1.0;
      if (n == 1) continue;  // var = 0: output is beta, checked below
      ASSERT_TRUE(test::near_rel(simd[i], ref[i], scale, 1e-4, "simd", i));
      ASSERT_TRUE(test::near_rel(twin[i], ref[i], scale, 1e-4, "scalar", i));
    }
  }
  float one = 3.f, g = 2.f, b = 0.5f, y = 0.f;
  kernels::layer_norm_row(&one, 1, &g, &b, 1e-5f, &y);
  EXPECT_FLOAT_EQ(y, 0.5f);
}

TEST(Gelu, BothVariantsMatchDoubleReference) {
  for (kernels::Gelu kind : {kernels::Gelu::kTanh, kernels::Gelu::kErf})
    for (std::size_t n : test::kLengths) {
      const auto x = test::random_vector(n, 7, -12.f, 12.f);
      std::vector<float> simd = x, twin = x;
      std::vector<double> ref(x.begin(), x.end());
      kernels::gelu(kind, simd.data(), n);
      kernels::scalar::gelu(kind, twin.data(), n);
      kernels::scalar::gelu(kind, ref.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(test::near_rel(simd[i], ref[i], std::fabs(x[i]) + 1e-3, 1e-5, "simd", i));
        ASSERT_TRUE(test::near_rel(twin[i], ref[i], std::fabs(x[i]) + 1e-3, 1e-5, "scalar", i));
      }
    }
}

}  // namespace
}  // namespace attnscope
