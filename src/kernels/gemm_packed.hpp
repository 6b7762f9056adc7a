// GEMM against a pre-packed right-hand side, for products that reuse one B
// many times (attention packs K^T and V once per head and multiplies every
// block of query rows against them). kernels::gemm packs internally; this is
// the same register-blocked micro-kernel with the packing exposed.
//
// Packed layout: column panels of kPanel = 2 SIMD widths, each [K][kPanel]
// contiguous (row p of panel q holds op(B)[p][q*kPanel .. +kPanel], zero
// padded past N), panels one after another: ceil(N / kPanel) * K floats each
// kPanel wide.
#pragma once

#include <cstddef>

#include "kernels/gemm.hpp"

namespace attnscope::kernels {

// Columns per packed panel (8 under wasm SIMD128, 16 with AVX2, 32 with AVX-512).
std::size_t packed_panel_width();

// Floats needed to pack an op(B) of K rows and N columns.
std::size_t packed_size(std::size_t N, std::size_t K);

// Packs op(B) [K, N] (tb as in gemm: kNo reads B [K, N], kYes reads B [N, K]).
void pack_b(Transpose tb, std::size_t N, std::size_t K, const float* B, std::size_t ldb, float* packed);

// C[M, N] = alpha * A[M, K] · op(B)[0:K, 0:N] + beta * C, where `packed` holds
// op(B) packed with `packed_k` >= K rows (only the first K are used) and at
// least N columns. beta == 0: C is not read. (64-byte alignment of `packed`
// helps speed, not correctness.)
void gemm_packed(std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A, std::size_t lda,
                 const float* packed, std::size_t packed_k, float beta, float* C, std::size_t ldc);

}  // namespace attnscope::kernels
