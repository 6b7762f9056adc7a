#include "attention/head.hpp"

#include <cmath>
#include <cstdint>
#include <string>

#include "kernels/additive.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_packed.hpp"
#include "kernels/softmax.hpp"
#include "kernels/softmax_fused.hpp"

namespace attnscope::detail {

using kernels::gemm;
using kernels::Transpose;

void add_bias(float* X, std::size_t rows, std::size_t cols, std::size_t ld, const float* b) {
  if (!b) return;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) X[i * ld + j] += b[j];
}

namespace {

// Room for packed K^T and V: a fixed block (enough for S * (dk + dv) up to
// 2048 * 128, every model and op shape the demo uses), so calls do not
// allocate; larger heads borrow a heap buffer for the call.
constexpr std::size_t kStaticPackFloats = std::size_t(1) << 18;  // 1 MiB
float* static_pack() {
  alignas(64) static thread_local float buf[kStaticPackFloats];
  return buf;
}

Status non_finite(std::size_t i, const float* row, std::size_t n) {
  std::size_t j = 0;
  while (j < n && std::isfinite(row[j])) ++j;
  return {Code::kNonFinite, "the attention score of query " + std::to_string(i) + " and key " +
                                std::to_string(j) + " overflows float; scale the inputs down"};
}

// Rows per block of the fused pass: the block's weights ([rows, S]) stay in
// L2 between the score product, the softmax and the weighted sum. Causal
// blocks take fewer: every row of a block is scored up to the block's last
// key, and with 64 rows that waste cost ~7% at T = 512 (under wasm/Node;
// 8 rows gain 2% more, but leave AVX2's 6-row micro-kernel half idle).
std::size_t block_rows(std::size_t S, bool causal) {
  const std::size_t rows = (std::size_t(64) << 10) / std::max<std::size_t>(S, 1);
  return std::max<std::size_t>(8, std::min<std::size_t>(causal ? 16 : 64, rows & ~std::size_t(3)));
}

}  // namespace

// Score, check, softmax and weighted sum, block of query rows by block: K^T
// and V are packed once per head, the row blocks multiply against them while
// their weights are still in cache, and causal blocks stop at their last
// key. One query row (the appended token of a cached model) goes the same
// way: every row is computed with the same arithmetic however many come
// along, so a cached forward pass gives what a fresh one gives.
Status attend_head(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v, const HeadScoring& scoring,
                   const MaskPlan& mask, float inv_temperature, float* scores, float* weights, float* context,
                   std::size_t ldc, Scratch& scratch) {
  const std::size_t T = q.rows, S = k.rows, dv = v.cols;
  if (T == 0) return Status::ok();
  const bool additive = scoring.kind == Scoring::kAdditive;

  // Keys as the score product sees them: k itself, or k W^T for general.
  MatrixRef keys = k;
  float alpha = 1.f;
  if (scoring.kind == Scoring::kScaledDot) alpha = 1.f / std::sqrt(static_cast<float>(q.cols));
  if (scoring.kind == Scoring::kGeneral) {
    float* kw = scratch.get(scratch.a, S * q.cols);
    gemm(Transpose::kYes, S, q.cols, k.cols, 1.f, k.data, k.stride, scoring.general_w.data,
         scoring.general_w.stride, 0.f, kw, q.cols);
    keys = MatrixRef(kw, S, q.cols);
  }
  const float *qa = nullptr, *ka = nullptr;
  std::size_t h = 0;
  if (additive) {
    // qa [T, h] = q W1^T + b1 and ka [S, h] = k W2^T + b2.
    h = scoring.w1.rows;
    float* pa = scratch.get(scratch.a, T * h);
    float* pk = scratch.get(scratch.b, S * h);
    gemm(Transpose::kYes, T, h, q.cols, 1.f, q.data, q.stride, scoring.w1.data, scoring.w1.stride, 0.f, pa,
         h);
    gemm(Transpose::kYes, S, h, k.cols, 1.f, k.data, k.stride, scoring.w2.data, scoring.w2.stride, 0.f, pk,
         h);
    add_bias(pa, T, h, h, scoring.b1);
    add_bias(pk, S, h, h, scoring.b2);
    qa = pa;
    ka = pk;
  }

  float *kpack = nullptr, *vpack = nullptr;
  std::vector<float> big;  // only for heads past the static block
  {
    const std::size_t kn = additive ? 0 : kernels::packed_size(S, keys.cols),
                      vn = kernels::packed_size(dv, S);
    const std::size_t need = kn + vn + 32;
    if (need <= kStaticPackFloats) {
      kpack = static_pack();
    } else {
      big.resize(need);
      kpack = big.data() + (16 - reinterpret_cast<std::uintptr_t>(big.data()) / sizeof(float) % 16) % 16;
    }
    vpack = kpack + ((kn + 15) & ~std::size_t(15));
    if (!additive) kernels::pack_b(Transpose::kYes, S, keys.cols, keys.data, keys.stride, kpack);
    kernels::pack_b(Transpose::kNo, dv, S, v.data, v.stride, vpack);
  }

  const std::size_t rows = block_rows(S, mask.causal);
  Status status = Status::ok();
  for (std::size_t i0 = 0; i0 < T && status; i0 += rows) {
    const std::size_t mb = std::min(rows, T - i0);
    // Keys any row of the block may see (causal limits grow with the row).
    const std::size_t n = mask.limit(i0 + mb - 1, S);
    float* w = weights + i0 * S;
    if (additive) {
      for (std::size_t i = i0; i < i0 + mb; ++i)
        kernels::additive_scores(qa + i * h, ka, h, scoring.v, h, mask.limit(i, S), weights + i * S);
    } else {
      kernels::gemm_packed(mb, n, keys.cols, alpha, q.row(i0), q.stride, kpack, keys.cols, 0.f, w, S);
    }
    for (std::size_t i = i0; i < i0 + mb; ++i) {
      float* row = weights + i * S;
      const std::size_t limit = mask.limit(i, S);
      // (The scores are copied out by the check's pass; on failure the
      // outputs are discarded.)
      if (!kernels::softmax_row_finite(row, S, limit, mask.bias, inv_temperature,
                                       scores ? scores + i * S : nullptr)) {
        status = non_finite(i, row, limit);
        break;
      }
    }
    if (!status) break;
    kernels::gemm_packed(mb, dv, n, 1.f, w, S, vpack, S, 0.f, context + i0 * ldc, ldc);
  }
  return status;
}

}  // namespace attnscope::detail
