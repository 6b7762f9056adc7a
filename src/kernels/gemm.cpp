#include "kernels/gemm.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/arch.hpp"
#include "kernels/gemm_packed.hpp"

// Layout of the work (C = alpha * A · op(B) + beta * C, row-major):
//   - op(B) is cut into column panels of NR = 2 SIMD widths, each packed
//     contiguous as [K][NR] (copied for B, transposed in SIMD blocks for B^T),
//     and A into blocks of MR rows interleaved as [K][MR], so the micro-kernel
//     reads two streams with constant offsets;
//   - the micro-kernel keeps an MR x NR tile of C in 2*MR vector registers
//     for the whole K loop: per step it loads the panel row (2 loads) and
//     broadcasts one A element per row (MR loads) for 2*MR mul+add;
//   - MR is what the register file allows: 4 under wasm SIMD128 / SSE (16
//     xmm registers, one of them V8's scratch; 5 or 6 rows spill and run at
//     half speed), 6 with AVX2, 8 with AVX-512;
//   - K goes in chunks of KC (a [KC][NR] panel stays in L1), rows in blocks
//     of MC (a packed [MC][KC] block of A stays in L2);
//   - products with fewer than MR rows (the appended token of a KV-cached
//     model: M = 1) are bandwidth-bound: NN streams B's rows once, NT takes
//     dot products, and neither packs.
namespace attnscope::kernels {
namespace {

template <class Arch>
struct Kernels {
  using B = xsimd::batch<float, Arch>;
  static constexpr std::size_t W = B::size;
  static constexpr std::size_t NR = 2 * W;
  static constexpr std::size_t MR = W >= 16 ? 8 : W == 8 ? 6 : 4;
  static constexpr std::size_t KC = 256;
  static constexpr std::size_t MC = 128;
  // Dot products longer than this are summed in segments (micro_k): one
  // running sum over hundreds of products loses the accuracy the tests ask
  // for (d = 200 attention scores); segments of 64 cost ~5% on K = 768.
  static constexpr std::size_t kSegment = 64;

  // ---- packing -----------------------------------------------------------
  // panel[p][c] = op(B)[p][j0 + c] for p < K, c < n; zero for c >= n.
  static void pack_panel(Transpose tb, std::size_t n, std::size_t K, const float* Bp, std::size_t ldb,
                         float* panel) {
    if (tb == Transpose::kNo) {
      if (n == NR) {
        for (std::size_t p = 0; p < K; ++p) {
          B::load_unaligned(Bp + p * ldb).store_unaligned(panel + p * NR);
          B::load_unaligned(Bp + p * ldb + W).store_unaligned(panel + p * NR + W);
        }
      } else {
        for (std::size_t p = 0; p < K; ++p) {
          for (std::size_t c = 0; c < n; ++c) panel[p * NR + c] = Bp[p * ldb + c];
          for (std::size_t c = n; c < NR; ++c) panel[p * NR + c] = 0.f;
        }
      }
      return;
    }
    // B^T: rows j0 + c of B become columns; W x W blocks transposed in registers.
    std::size_t p = 0;
    if (n == NR) {
      for (; p + W <= K; p += W)
        for (std::size_t g = 0; g < NR; g += W) {
          B blk[W];
          for (std::size_t c = 0; c < W; ++c) blk[c] = B::load_unaligned(Bp + (g + c) * ldb + p);
          xsimd::transpose(blk, blk + W);
          for (std::size_t t = 0; t < W; ++t) blk[t].store_unaligned(panel + (p + t) * NR + g);
        }
    }
    for (; p < K; ++p) {
      for (std::size_t c = 0; c < n; ++c) panel[p * NR + c] = Bp[c * ldb + p];
      for (std::size_t c = n; c < NR; ++c) panel[p * NR + c] = 0.f;
    }
  }

  // ---- the micro-kernel --------------------------------------------------
  // Rows [0, m) of A [., K] as one MR-row block: apack[p][r] = A[r][p], rows
  // past m zero.
  // MR x MR blocks go through registers as a transpose, in batches of MR
  // lanes (the native width under wasm/SSE, AVX2 halves under AVX-512).
  using BM = xsimd::make_sized_batch_t<float, MR>;
  static void pack_a(std::size_t m, std::size_t K, const float* A, std::size_t lda, float* apack) {
    std::size_t p = 0;
    if constexpr (!std::is_void<BM>::value) {
      if (m == MR)
        for (; p + MR <= K; p += MR) {
          BM blk[MR];
          for (std::size_t r = 0; r < MR; ++r) blk[r] = BM::load_unaligned(A + r * lda + p);
          xsimd::transpose(blk, blk + MR);
          for (std::size_t t = 0; t < MR; ++t) blk[t].store_unaligned(apack + (p + t) * MR);
        }
    }
    for (; p < K; ++p) {
      for (std::size_t r = 0; r < m; ++r) apack[p * MR + r] = A[r * lda + p];
      for (std::size_t r = m; r < MR; ++r) apack[p * MR + r] = 0.f;
    }
  }

  // C[m, n] (m <= MR, n <= NR) = alpha * Apack[K][MR] · panel[K][NR] + beta * C.
  static void micro(std::size_t K, const float* ap, const float* pb, float alpha, float beta, float* C,
                    std::size_t ldc, std::size_t m, std::size_t n) {
    B c0[MR], c1[MR];
    for (std::size_t r = 0; r < MR; ++r) c0[r] = c1[r] = B(0.f);
    // Ended by a pointer, not a counter: under wasm SIMD128 the loop is bound
    // by instructions issued, not by the multiplies (V8 gives 27 per step for
    // 16 of them), and a counter is one more add per step: 2-4% on every
    // packed product (relaxed SIMD's fused steps are not issue-bound: same).
    for (const float* const end = pb + K * NR; pb != end; ap += MR, pb += NR) {
      const B b0 = B::load_unaligned(pb), b1 = B::load_unaligned(pb + W);
      for (std::size_t r = 0; r < MR; ++r) {
        const B ar(ap[r]);
        c0[r] = madd(ar, b0, c0[r]);
        c1[r] = madd(ar, b1, c1[r]);
      }
    }
    const B va(alpha);
    if (n == NR && m == MR) {
      for (std::size_t r = 0; r < MR; ++r) {
        float* out = C + r * ldc;
        B x0 = c0[r] * va, x1 = c1[r] * va;
        if (beta != 0.f) {
          x0 = madd(B(beta), B::load_unaligned(out), x0);
          x1 = madd(B(beta), B::load_unaligned(out + W), x1);
        }
        x0.store_unaligned(out);
        x1.store_unaligned(out + W);
      }
      return;
    }
    // Edge tiles. The row loop runs to the constant MR (so it is unrolled)
    // and no accumulator is indexed by a runtime row count: one that is keeps
    // c0/c1 in memory (the wasm stack) for every tile, full ones too: zeroed
    // there, loaded before the K loop, stored after it and read back here
    // (2-3% of the product in the relaxed build under V8).
    alignas(64) float tile[NR];
    for (std::size_t r = 0; r < MR; ++r)
      if (r < m) {
        (c0[r] * va).store_aligned(tile);
        (c1[r] * va).store_aligned(tile + W);
        float* out = C + r * ldc;
        for (std::size_t c = 0; c < n; ++c) out[c] = tile[c] + (beta != 0.f ? beta * out[c] : 0.f);
      }
  }

  // micro() over K in segments of kSegment, each added into C: long dot
  // products keep the rounding error of kSegment-long ones (the packed
  // operands are not touched again, only the C tile).
  static void micro_k(std::size_t K, const float* ap, const float* pb, float alpha, float beta, float* C,
                      std::size_t ldc, std::size_t m, std::size_t n) {
    for (std::size_t s = 0; s < K; s += kSegment)
      micro(std::min(kSegment, K - s), ap + s * MR, pb + s * NR, alpha, s == 0 ? beta : 1.f, C, ldc, m, n);
  }

  // The blocked product: K in chunks of KC, rows in blocks of MC. Each block
  // of A is packed (MR rows interleaved, in L2) once per chunk;
  // panel(j, n, k0, kc) gives the [kc][NR] panel of op(B) for columns
  // [j, j + n) (packed on the fly into L1, or a slice of a pre-packed B),
  // which every row block of the A block then multiplies.
  template <class Panel>
  static void blocked(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                      std::size_t lda, float beta, float* C, std::size_t ldc, float* abuf, Panel&& panel) {
    for (std::size_t k0 = 0; k0 < K; k0 += KC) {
      const std::size_t kc = std::min(KC, K - k0);
      const float b = k0 == 0 ? beta : 1.f;
      for (std::size_t i0 = 0; i0 < M; i0 += MC) {
        const std::size_t mc = std::min(MC, M - i0);
        for (std::size_t r = 0; r < mc; r += MR)
          pack_a(std::min(MR, mc - r), kc, A + (i0 + r) * lda + k0, lda, abuf + r * kc);
        for (std::size_t j = 0; j < N; j += NR) {
          const std::size_t n = std::min(NR, N - j);
          const float* pb = panel(j, n, k0, kc);
          for (std::size_t r = 0; r < mc; r += MR)
            micro_k(kc, abuf + r * kc, pb, alpha, b, C + (i0 + r) * ldc + j, ldc, std::min(MR, mc - r), n);
        }
      }
    }
  }

  // ---- fewer rows than the micro-kernel: no packing -----------------------
  // NN: stream B row by row once per row of A, accumulating the whole C row.
  // The arithmetic per output is the micro-kernel's (products added in order
  // of p, in segments of kSegment, each segment scaled and added into C), so
  // a row gives the same bits whether it came with 1 row or with 64: a
  // KV-cached forward pass equals a fresh one.
  static void gemv_nn(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                      std::size_t lda, const float* Bp, std::size_t ldb, float beta, float* C,
                      std::size_t ldc, float* acc) {
    const std::size_t Nv = N - N % W;
    const B va(alpha);
    for (std::size_t i = 0; i < M; ++i) {
      const float* a = A + i * lda;
      float* c = C + i * ldc;
      for (std::size_t s0 = 0; s0 < K; s0 += kSegment) {
        const std::size_t s1 = std::min(K, s0 + kSegment);
        std::fill(acc, acc + N, 0.f);
        std::size_t p = s0;
        for (; p + 4 <= s1; p += 4) {
          const B a0(a[p]), a1(a[p + 1]), a2(a[p + 2]), a3(a[p + 3]);
          const float *b0 = Bp + p * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
          for (std::size_t j = 0; j < Nv; j += W) {
            B x = B::load_aligned(acc + j);
            x = madd(a0, B::load_unaligned(b0 + j), x);
            x = madd(a1, B::load_unaligned(b1 + j), x);
            x = madd(a2, B::load_unaligned(b2 + j), x);
            x = madd(a3, B::load_unaligned(b3 + j), x);
            x.store_aligned(acc + j);
          }
        }
        for (; p < s1; ++p) {
          const B ap(a[p]);
          const float* b = Bp + p * ldb;
          for (std::size_t j = 0; j < Nv; j += W)
            madd(ap, B::load_unaligned(b + j), B::load_aligned(acc + j)).store_aligned(acc + j);
        }
        for (std::size_t j = Nv; j < N; ++j)
          for (std::size_t q = s0; q < s1; ++q) acc[j] = acc[j] + a[q] * Bp[q * ldb + j];
        const float bb = s0 == 0 ? beta : 1.f;
        for (std::size_t j = 0; j < Nv; j += W) {
          B x = B::load_aligned(acc + j) * va;
          if (bb != 0.f) x = madd(B(bb), B::load_unaligned(c + j), x);
          x.store_unaligned(c + j);
        }
        for (std::size_t j = Nv; j < N; ++j) {
          const float t = acc[j] * alpha;
          c[j] = t + (bb != 0.f ? bb * c[j] : 0.f);
        }
      }
    }
  }

  // NT: each output is a dot product; an MA x NB tile of them accumulates in
  // vectors (MA + NB loads for MA * NB mul+add), reduced once at the end.
  template <int MA, int NB>
  static void dots(std::size_t K, const float* A, std::size_t lda, const float* Bp, std::size_t ldb,
                   float alpha, float beta, float* C, std::size_t ldc) {
    B acc[MA][NB];
    for (int r = 0; r < MA; ++r)
      for (int t = 0; t < NB; ++t) acc[r][t] = B(0.f);
    std::size_t p = 0;
    for (; p + W <= K; p += W) {
      B a[MA];
      for (int r = 0; r < MA; ++r) a[r] = B::load_unaligned(A + r * lda + p);
      for (int t = 0; t < NB; ++t) {
        const B b = B::load_unaligned(Bp + t * ldb + p);
        for (int r = 0; r < MA; ++r) acc[r][t] = madd(a[r], b, acc[r][t]);
      }
    }
    for (int r = 0; r < MA; ++r)
      for (int t = 0; t < NB; ++t) {
        float sum = xsimd::reduce_add(acc[r][t]);
        for (std::size_t q = p; q < K; ++q) sum += A[r * lda + q] * Bp[t * ldb + q];
        float& c = C[r * ldc + t];
        c = alpha * sum + (beta != 0.f ? beta * c : 0.f);
      }
  }
  // Four rows of B (kept in L1) against every row of A, so B is read once.
  template <int NB>
  static void dot_cols(std::size_t M, std::size_t K, const float* A, std::size_t lda, const float* Bp,
                       std::size_t ldb, float alpha, float beta, float* C, std::size_t ldc) {
    std::size_t i = 0;
    for (; i + 2 <= M; i += 2) dots<2, NB>(K, A + i * lda, lda, Bp, ldb, alpha, beta, C + i * ldc, ldc);
    if (i < M) dots<1, NB>(K, A + i * lda, lda, Bp, ldb, alpha, beta, C + i * ldc, ldc);
  }
  static void gemv_nt(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
                      std::size_t lda, const float* Bp, std::size_t ldb, float beta, float* C,
                      std::size_t ldc) {
    std::size_t j = 0;
    for (; j + 4 <= N; j += 4) dot_cols<4>(M, K, A, lda, Bp + j * ldb, ldb, alpha, beta, C + j, ldc);
    for (; j < N; ++j) dot_cols<1>(M, K, A, lda, Bp + j * ldb, ldb, alpha, beta, C + j, ldc);
  }
};

using K = Kernels<arch>;

// Packing scratch: one fixed block per thread, sized for the largest packed
// chunk of B and block of A, so no call allocates (and the heap the JS tests
// watch never moves). The engine is single-threaded per module.
constexpr std::size_t kGemvChunk = 2048;  // columns of C per pass of gemv_nn
// Below this many rows, transposing B^T into panels costs more than the
// packed micro-kernel gains over dot products under wasm SIMD128 / SSE
// (measured at M = 16, K = 768); with AVX-512 packing already pays at M = 16.
constexpr std::size_t kNtPackRows = K::W == 4 ? 32 : K::MR;
constexpr std::size_t kScratchFloats =
    std::max(K::NR * K::KC + (K::MC + K::MR) * K::KC, kGemvChunk + K::W) + 64 / sizeof(float);

// C = beta * C (beta == 0: zeros, C not read): a product over K = 0.
void scale(std::size_t M, std::size_t N, float beta, float* C, std::size_t ldc) {
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] = beta != 0.f ? beta * C[i * ldc + j] : 0.f;
}
float* scratch() {
  alignas(64) static thread_local float buf[kScratchFloats];
  return buf;
}

}  // namespace

std::size_t packed_panel_width() {
  return K::NR;
}

std::size_t packed_size(std::size_t N, std::size_t Kd) {
  return (N + K::NR - 1) / K::NR * K::NR * Kd;
}

void pack_b(Transpose tb, std::size_t N, std::size_t Kd, const float* B, std::size_t ldb, float* packed) {
  for (std::size_t j = 0; j < N; j += K::NR)
    K::pack_panel(tb, std::min(K::NR, N - j), Kd, tb == Transpose::kNo ? B + j : B + j * ldb, ldb,
                  packed + (j / K::NR) * K::NR * Kd);
}

void gemm_packed(std::size_t M, std::size_t N, std::size_t Kd, float alpha, const float* A, std::size_t lda,
                 const float* packed, std::size_t packed_k, float beta, float* C, std::size_t ldc) {
  if (M == 0 || N == 0) return;
  if (Kd == 0) {
    scale(M, N, beta, C, ldc);
    return;
  }
  K::blocked(M, N, Kd, alpha, A, lda, beta, C, ldc, scratch(),
             [&](std::size_t j, std::size_t, std::size_t k0, std::size_t) {
               return packed + (j / K::NR) * K::NR * packed_k + k0 * K::NR;
             });
}

void gemm(Transpose tb, std::size_t M, std::size_t N, std::size_t Kd, float alpha, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc) {
  if (M == 0 || N == 0) return;
  if (Kd == 0) {
    scale(M, N, beta, C, ldc);
    return;
  }
  if (M < K::MR || (tb == Transpose::kYes && M < kNtPackRows)) {
    if (tb == Transpose::kNo)
      for (std::size_t j = 0; j < N; j += kGemvChunk)
        K::gemv_nn(M, std::min(kGemvChunk, N - j), Kd, alpha, A, lda, B + j, ldb, beta, C + j, ldc,
                   scratch());
    else
      K::gemv_nt(M, N, Kd, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  float* panel = scratch();
  K::blocked(M, N, Kd, alpha, A, lda, beta, C, ldc, panel + K::NR * K::KC,
             [&](std::size_t j, std::size_t n, std::size_t k0, std::size_t kc) {
               K::pack_panel(tb, n, kc, tb == Transpose::kNo ? B + k0 * ldb + j : B + j * ldb + k0, ldb,
                             panel);
               return static_cast<const float*>(panel);
             });
}

const char* arch_name() {
#ifdef __wasm_relaxed_simd__
  return "wasm+relaxed";
#else
  return arch::name();
#endif
}

}  // namespace attnscope::kernels
