// Bahdanau scores v^T tanh(a + b_j): SIMD and scalar twin vs double.
#include <gtest/gtest.h>

#include "kernels/additive.hpp"
#include "test_util.hpp"

namespace attnscope {
namespace {

TEST(AdditiveScores, MatchDoubleReferenceAtEveryLength) {
  for (std::size_t h : test::kLengths)
    for (std::size_t n : {std::size_t{1}, std::size_t{5}, std::size_t{17}}) {
      SCOPED_TRACE(::testing::Message() << "h=" << h << " n=" << n);
      const std::size_t ldb = h + 1;
      // Wide range: tanh saturates for |x| > ~9, where naive exp-based tanh overflows.
      const auto a = test::random_vector(h, 1, -20.f, 20.f), B = test::random_vector(n * ldb, 2, -20.f, 20.f),
                 v = test::random_vector(h, 3);
      std::vector<float> simd(n), twin(n);
      std::vector<double> ref(n);
      kernels::additive_scores(a.data(), B.data(), ldb, v.data(), h, n, simd.data());
      kernels::scalar::additive_scores(a.data(), B.data(), ldb, v.data(), h, n, twin.data());
      kernels::scalar::additive_scores(a.data(), B.data(), ldb, v.data(), h, n, ref.data());
      for (std::size_t j = 0; j < n; ++j) {
        double scale = 0;
        for (std::size_t p = 0; p < h; ++p) scale += std::fabs(v[p]);
        ASSERT_TRUE(test::near_rel(simd[j], ref[j], scale, 1e-5, "simd", j));
        ASSERT_TRUE(test::near_rel(twin[j], ref[j], scale, 1e-5, "scalar", j));
      }
    }
}

}  // namespace
}  // namespace attnscope
