// The one matrix kernel every GEMM-like step goes through (Q·K^T, alpha·V,
// projections): C[M,N] = alpha * A[M,K] · op(B) + beta * C, row-major.
#pragma once

#include <cstddef>

namespace attnscope::kernels {

enum class Transpose : unsigned char {
  kNo,   // op(B) = B,   B is [K, N] with row stride ldb
  kYes,  // op(B) = B^T, B is [N, K] with row stride ldb (keys, Linear weights)
};

// When beta == 0, C is not read (it may hold garbage).
void gemm(Transpose tb, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc);

namespace scalar {
// Plain-loop twin, accumulating in Acc: float is the scalar twin, double the
// high-precision reference the tests compare both against.
template <class Acc>
void gemm(Transpose tb, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float beta, Acc* C, std::size_t ldc) {
  for (std::size_t i = 0; i < M; ++i) {
    for (std::size_t j = 0; j < N; ++j) {
      Acc sum = 0;
      for (std::size_t p = 0; p < K; ++p) {
        const float b = tb == Transpose::kNo ? B[p * ldb + j] : B[j * ldb + p];
        sum += static_cast<Acc>(A[i * lda + p]) * static_cast<Acc>(b);
      }
      Acc& c = C[i * ldc + j];
      c = static_cast<Acc>(alpha) * sum + (beta == 0.f ? Acc(0) : static_cast<Acc>(beta) * c);
    }
  }
}
}  // namespace scalar

}  // namespace attnscope::kernels
