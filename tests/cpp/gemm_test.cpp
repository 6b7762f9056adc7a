// The blocked SIMD GEMM and its scalar twin against a double-precision
// reference, for every combination of lengths around the SIMD width.
#include <gtest/gtest.h>

#include <tuple>

#include "kernels/gemm.hpp"
#include "test_util.hpp"

namespace attnscope {
namespace {

using kernels::Transpose;
using test::kLengths;

struct GemmCase {
  Transpose tb;
  std::size_t M, N, K;
};

// Runs SIMD and scalar-float GEMM and compares each output with the double
// reference, relative to sum_p |alpha a_ip b_pj| + |beta c_ij|.
void check_gemm(const GemmCase& c, float alpha, float beta, unsigned seed) {
  const std::size_t lda = c.K + 1, ldb = (c.tb == Transpose::kNo ? c.N : c.K) + 2, ldc = c.N + 3;
  const std::size_t brows = c.tb == Transpose::kNo ? c.K : c.N;
  const auto A = test::random_vector(c.M * lda, seed);
  const auto B = test::random_vector(brows * ldb, seed + 1);
  const auto C0 = test::random_vector(c.M * ldc, seed + 2);
  std::vector<float> simd = C0, twin = C0;
  std::vector<double> ref(C0.begin(), C0.end());
  kernels::gemm(c.tb, c.M, c.N, c.K, alpha, A.data(), lda, B.data(), ldb, beta, simd.data(), ldc);
  kernels::scalar::gemm<float>(c.tb, c.M, c.N, c.K, alpha, A.data(), lda, B.data(), ldb, beta, twin.data(),
                               ldc);
  kernels::scalar::gemm<double>(c.tb, c.M, c.N, c.K, alpha, A.data(), lda, B.data(), ldb, beta, ref.data(),
                                ldc);
  for (std::size_t i = 0; i < c.M; ++i)
    for (std::size_t j = 0; j < c.N; ++j) {
      double scale = beta == 0.f ? 0.0 : std::fabs(beta * C0[i * ldc + j]);
      for (std::size_t p = 0; p < c.K; ++p) {
        const float b = c.tb == Transpose::kNo ? B[p * ldb + j] : B[j * ldb + p];
        scale += std::fabs(static_cast<double>(alpha) * A[i * lda + p] * b);
      }
      const std::size_t at = i * ldc + j;
      ASSERT_TRUE(test::near_rel(simd[at], ref[at], scale, 1e-5, "simd", at));
      ASSERT_TRUE(test::near_rel(twin[at], ref[at], scale, 1e-5, "scalar", at));
    }
  // Padding between rows is never written.
  for (std::size_t i = 0; i < c.M; ++i)
    for (std::size_t j = c.N; j < ldc; ++j) ASSERT_EQ(simd[i * ldc + j], C0[i * ldc + j]);
}

class GemmShapes : public ::testing::TestWithParam<std::tuple<Transpose, std::size_t, std::size_t>> {};

TEST_P(GemmShapes, MatchesDoubleReferenceForEveryK) {
  const auto [tb, M, N] = GetParam();
  for (std::size_t K : kLengths) {
    SCOPED_TRACE(::testing::Message() << "M=" << M << " N=" << N << " K=" << K);
    check_gemm({tb, M, N, K}, 1.f, 0.f, static_cast<unsigned>(M * 7919 + N * 31 + K));
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, GemmShapes,
                         ::testing::Combine(::testing::Values(Transpose::kNo, Transpose::kYes),
                                            ::testing::ValuesIn(kLengths), ::testing::ValuesIn(kLengths)));

TEST(Gemm, AlphaScalesAndBetaAccumulates) {
  for (Transpose tb : {Transpose::kNo, Transpose::kYes}) {
    check_gemm({tb, 17, 33, 9}, 0.125f, 0.f, 1);
    check_gemm({tb, 17, 33, 9}, 2.f, 1.f, 2);
    check_gemm({tb, 5, 65, 64}, -1.f, 0.5f, 3);
  }
}

TEST(Gemm, BetaZeroIgnoresGarbageInC) {
  const std::size_t M = 5, N = 9, K = 7;
  const auto A = test::random_vector(M * K, 4), B = test::random_vector(K * N, 5);
  std::vector<float> C(M * N, std::nanf("")), ref(M * N);
  kernels::gemm(Transpose::kNo, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, C.data(), N);
  kernels::scalar::gemm<float>(Transpose::kNo, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, ref.data(), N);
  for (std::size_t i = 0; i < M * N; ++i) EXPECT_NEAR(C[i], ref[i], 1e-5f) << i;
}

TEST(Gemm, ZeroSizedIsANoOp) {
  std::vector<float> C = {42.f};
  kernels::gemm(Transpose::kNo, 0, 1, 3, 1.f, nullptr, 3, nullptr, 1, 0.f, C.data(), 1);
  kernels::gemm(Transpose::kYes, 1, 0, 3, 1.f, nullptr, 3, nullptr, 3, 0.f, C.data(), 1);
  EXPECT_EQ(C[0], 42.f);
}

}  // namespace
}  // namespace attnscope
