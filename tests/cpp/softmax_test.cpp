// Masked, tempered softmax: SIMD and scalar twin against double precision,
// and the properties the page relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "kernels/softmax.hpp"
#include "test_util.hpp"

namespace attnscope {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> mask_bias(std::size_t n, std::size_t every) {
  std::vector<float> bias(n, 0.f);
  for (std::size_t j = 0; j < n; j += every) bias[j] = -kInf;
  return bias;
}

void check_softmax(std::size_t n, std::size_t limit, const float* bias, float inv_t, unsigned seed,
                   float lo = -10.f, float hi = 10.f) {
  const auto x = test::random_vector(n, seed, lo, hi);
  std::vector<float> simd = x, twin = x;
  std::vector<double> ref(x.begin(), x.end());
  kernels::softmax_row(simd.data(), n, limit, bias, inv_t);
  kernels::scalar::softmax_row(twin.data(), n, limit, bias, inv_t);
  kernels::scalar::softmax_row(ref.data(), n, limit, bias, inv_t);
  for (std::size_t j = 0; j < n; ++j) {
    ASSERT_TRUE(test::near_rel(simd[j], ref[j], std::fabs(ref[j]), 1e-5, "simd", j));
    ASSERT_TRUE(test::near_rel(twin[j], ref[j], std::fabs(ref[j]), 1e-5, "scalar", j));
    if (j >= limit || (bias && bias[j] == -kInf)) ASSERT_EQ(simd[j], 0.f) << "masked entry " << j;
  }
}

TEST(Softmax, MatchesDoubleReferenceAtEveryLength) {
  for (std::size_t n : test::kLengths) {
    SCOPED_TRACE(::testing::Message() << "n=" << n);
    const auto bias = mask_bias(n, 3);
    for (std::size_t limit : {n, (n + 1) / 2, std::size_t{1}}) {
      check_softmax(n, limit, nullptr, 1.f, static_cast<unsigned>(n));
      check_softmax(n, limit, nullptr, 2.5f, static_cast<unsigned>(n + 1));
      if (n > 1) check_softmax(n, limit, bias.data(), 0.5f, static_cast<unsigned>(n + 2));
    }
  }
}

TEST(Softmax, RowsSumToOne) {
  for (std::size_t n : test::kLengths) {
    auto x = test::random_vector(n, 11, -30.f, 30.f);
    kernels::softmax_row(x.data(), n, n, nullptr, 1.f);
    EXPECT_NEAR(std::accumulate(x.begin(), x.end(), 0.0), 1.0, 1e-6) << n;
  }
}

TEST(Softmax, AddingAConstantChangesNothing) {
  for (std::size_t n : test::kLengths) {
    auto x = test::random_vector(n, 12, -5.f, 5.f);
    auto shifted = x;
    for (float& v : shifted) v += 1000.f;
    kernels::softmax_row(x.data(), n, n, nullptr, 1.f);
    kernels::softmax_row(shifted.data(), n, n, nullptr, 1.f);
    // The shifted inputs were rounded to a coarser grid (ulp(1000) ~ 6e-5).
    for (std::size_t j = 0; j < n; ++j) EXPECT_NEAR(shifted[j], x[j], 1e-4 * x[j] + 1e-7) << n << ":" << j;
  }
}

TEST(Softmax, FullyMaskedRowIsAllZeros) {
  for (std::size_t n : test::kLengths) {
    std::vector<float> x = test::random_vector(n, 13), bias(n, -kInf);
    kernels::softmax_row(x.data(), n, n, bias.data(), 1.f);
    for (float v : x) EXPECT_EQ(v, 0.f);
    x = test::random_vector(n, 14);
    kernels::softmax_row(x.data(), n, 0, nullptr, 1.f);  // causal limit 0
    for (float v : x) EXPECT_EQ(v, 0.f);
  }
}

TEST(Softmax, LowTemperatureApproachesArgmax) {
  for (std::size_t n : test::kLengths) {
    auto x = test::random_vector(n, 15);
    const std::size_t argmax = std::max_element(x.begin(), x.end()) - x.begin();
    kernels::softmax_row(x.data(), n, n, nullptr, 1.f / 1e-4f);
    EXPECT_NEAR(x[argmax], 1.f, 1e-3f) << n;
  }
}

TEST(Softmax, ExtremeScoresStayFinite) {
  for (std::size_t n : test::kLengths) {
    for (float base : {1e4f, -1e4f}) {
      auto x = test::random_vector(n, 16, base - 1.f, base + 1.f);
      for (std::size_t j = 0; j < n; j += 2) x[j] = -x[j];  // mix +-1e4 in one row
      kernels::softmax_row(x.data(), n, n, nullptr, 1.f / 1e-6f);
      double sum = 0;
      for (float v : x) {
        ASSERT_TRUE(std::isfinite(v));
        sum += v;
      }
      EXPECT_NEAR(sum, 1.0, 1e-6);
    }
  }
}

}  // namespace
}  // namespace attnscope
