#include "kernels/gemm.hpp"

#include <algorithm>

#include "kernels/arch.hpp"

namespace attnscope::kernels {
namespace {

template <class B>
inline B finish(B acc, float alpha, float beta, const float* c) {
  acc *= B(alpha);
  if (beta != 0.f) acc = xsimd::fma(B(beta), B::load_unaligned(c), acc);
  return acc;
}
inline float finish(float acc, float alpha, float beta, const float* c) {
  return alpha * acc + (beta != 0.f ? beta * *c : 0.f);
}

// op(B) = B: broadcast one A element, multiply a row segment of B. A tile of
// MR rows x NB vectors of columns stays in registers for the whole K loop.
template <class Arch>
struct GemmNN {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  template <int MR, int NB>
  static void tile(std::size_t K, float alpha, const float* A, std::size_t lda, const float* Bp,
                   std::size_t ldb, float beta, float* C, std::size_t ldc) {
    B acc[MR][NB];
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NB; ++c) acc[r][c] = B(0.f);
    for (std::size_t p = 0; p < K; ++p) {
      B b[NB];
      for (int c = 0; c < NB; ++c) b[c] = B::load_unaligned(Bp + p * ldb + c * W);
      for (int r = 0; r < MR; ++r) {
        const B a(A[r * lda + p]);
        for (int c = 0; c < NB; ++c) acc[r][c] = xsimd::fma(a, b[c], acc[r][c]);
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NB; ++c) {
        float* out = C + r * ldc + c * W;
        finish(acc[r][c], alpha, beta, out).store_unaligned(out);
      }
  }

  // Scalar tail: the last N % W columns.
  template <int MR>
  static void tail(std::size_t n, std::size_t K, float alpha, const float* A, std::size_t lda,
                   const float* Bp, std::size_t ldb, float beta, float* C, std::size_t ldc) {
    for (int r = 0; r < MR; ++r)
      for (std::size_t j = 0; j < n; ++j) {
        float sum = 0.f;
        for (std::size_t p = 0; p < K; ++p) sum += A[r * lda + p] * Bp[p * ldb + j];
        C[r * ldc + j] = finish(sum, alpha, beta, C + r * ldc + j);
      }
  }

  // All rows against one panel of columns [j, j + NB*W): the panel (K x NB*W
  // floats) stays in cache while A streams past it, so B is read from memory
  // once rather than once per block of rows.
  template <int NB>
  static void panel(std::size_t M, std::size_t K, float alpha, const float* A, std::size_t lda, const float* Bp,
                    std::size_t ldb, float beta, float* C, std::size_t ldc) {
    std::size_t i = 0;
    for (; i + 4 <= M; i += 4) tile<4, NB>(K, alpha, A + i * lda, lda, Bp, ldb, beta, C + i * ldc, ldc);
    switch (M - i) {
      case 3: tile<3, NB>(K, alpha, A + i * lda, lda, Bp, ldb, beta, C + i * ldc, ldc); break;
      case 2: tile<2, NB>(K, alpha, A + i * lda, lda, Bp, ldb, beta, C + i * ldc, ldc); break;
      case 1: tile<1, NB>(K, alpha, A + i * lda, lda, Bp, ldb, beta, C + i * ldc, ldc); break;
      default: break;
    }
  }

  void operator()(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A, std::size_t lda,
                  const float* Bp, std::size_t ldb, float beta, float* C, std::size_t ldc) const {
    std::size_t j = 0;
    for (; j + 2 * W <= N; j += 2 * W) panel<2>(M, K, alpha, A, lda, Bp + j, ldb, beta, C + j, ldc);
    for (; j + W <= N; j += W) panel<1>(M, K, alpha, A, lda, Bp + j, ldb, beta, C + j, ldc);
    if (j == N) return;
    std::size_t i = 0;
    for (; i + 4 <= M; i += 4) tail<4>(N - j, K, alpha, A + i * lda, lda, Bp + j, ldb, beta, C + i * ldc + j, ldc);
    for (; i < M; ++i) tail<1>(N - j, K, alpha, A + i * lda, lda, Bp + j, ldb, beta, C + i * ldc + j, ldc);
  }
};

// op(B) = B^T: both operands are read along K, so each output is a dot
// product. MR rows of A x NR rows of B accumulate in MR*NR vectors, reduced
// once at the end; the K % W tail is scalar.
template <class Arch>
struct GemmNT {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;

  template <int MR, int NR>
  static void tile(std::size_t K, float alpha, const float* A, std::size_t lda, const float* Bp,
                   std::size_t ldb, float beta, float* C, std::size_t ldc) {
    B acc[MR][NR];
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) acc[r][c] = B(0.f);
    std::size_t p = 0;
    for (; p + W <= K; p += W) {
      B a[MR];
      for (int r = 0; r < MR; ++r) a[r] = B::load_unaligned(A + r * lda + p);
      for (int c = 0; c < NR; ++c) {
        const B b = B::load_unaligned(Bp + c * ldb + p);
        for (int r = 0; r < MR; ++r) acc[r][c] = xsimd::fma(a[r], b, acc[r][c]);
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c) {
        float sum = xsimd::reduce_add(acc[r][c]);
        for (std::size_t q = p; q < K; ++q) sum += A[r * lda + q] * Bp[c * ldb + q];
        C[r * ldc + c] = finish(sum, alpha, beta, C + r * ldc + c);
      }
  }

  // All rows of A against NR rows of B (kept in cache), so B is read once.
  template <int NR>
  static void panel(std::size_t M, std::size_t K, float alpha, const float* A, std::size_t lda, const float* Bp,
                    std::size_t ldb, float beta, float* C, std::size_t ldc) {
    std::size_t i = 0;
    for (; i + 2 <= M; i += 2) tile<2, NR>(K, alpha, A + i * lda, lda, Bp, ldb, beta, C + i * ldc, ldc);
    if (i < M) tile<1, NR>(K, alpha, A + i * lda, lda, Bp, ldb, beta, C + i * ldc, ldc);
  }

  void operator()(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A, std::size_t lda,
                  const float* Bp, std::size_t ldb, float beta, float* C, std::size_t ldc) const {
    std::size_t j = 0;
    for (; j + 4 <= N; j += 4) panel<4>(M, K, alpha, A, lda, Bp + j * ldb, ldb, beta, C + j, ldc);
    for (; j < N; ++j) panel<1>(M, K, alpha, A, lda, Bp + j * ldb, ldb, beta, C + j, ldc);
  }
};

}  // namespace

void gemm(Transpose tb, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc) {
  if (M == 0 || N == 0) return;
  if (tb == Transpose::kNo)
    GemmNN<arch>{}(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    GemmNT<arch>{}(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

const char* arch_name() {
  return arch::name();
}

}  // namespace attnscope::kernels
