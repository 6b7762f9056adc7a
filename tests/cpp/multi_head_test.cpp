// multi_head_attention(): projections + per-head attention + output
// projection against a double reference, masks, and error paths.
#include <gtest/gtest.h>

#include "attention/attention.hpp"
#include "reference.hpp"
#include "test_util.hpp"

namespace attnscope {
namespace {

struct Mha {
  std::size_t T, S, Din, D, H;
  std::vector<float> xq, xkv, wq, wk, wv, wo, bq, bk, bv, bo;
  MultiHeadParams params() const {
    MultiHeadParams p;
    p.heads = H;
    p.wq = MatrixRef(wq.data(), D, Din);
    p.wk = MatrixRef(wk.data(), D, Din);
    p.wv = MatrixRef(wv.data(), D, Din);
    p.wo = MatrixRef(wo.data(), D, D);
    p.bq = VectorRef(bq.data(), D);
    p.bk = VectorRef(bk.data(), D);
    p.bv = VectorRef(bv.data(), D);
    p.bo = VectorRef(bo.data(), D);
    return p;
  }
};

Mha make_mha(std::size_t T, std::size_t S, std::size_t Din, std::size_t D, std::size_t H, unsigned seed) {
  using test::random_vector;
  return {T,
          S,
          Din,
          D,
          H,
          random_vector(T * Din, seed),
          random_vector(S * Din, seed + 1),
          random_vector(D * Din, seed + 2),
          random_vector(D * Din, seed + 3),
          random_vector(D * Din, seed + 4),
          random_vector(D * D, seed + 5),
          random_vector(D, seed + 6),
          random_vector(D, seed + 7),
          random_vector(D, seed + 8),
          random_vector(D, seed + 9)};
}

// y [n, D] = x [n, Din] W^T + b, in double.
std::vector<double> linear(const float* x, std::size_t n, std::size_t din, const float* W, const float* b,
                           std::size_t dout) {
  std::vector<double> y(n * dout);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t o = 0; o < dout; ++o) {
      double s = b[o];
      for (std::size_t a = 0; a < din; ++a) s += static_cast<double>(x[i * din + a]) * W[o * din + a];
      y[i * dout + o] = s;
    }
  return y;
}

void expect_matches_reference(const Mha& m, const AttentionOptions& o) {
  auto r = multi_head_attention(MatrixRef(m.xq.data(), m.T, m.Din), MatrixRef(m.xkv.data(), m.S, m.Din),
                                MatrixRef(m.xkv.data(), m.S, m.Din), m.params(), o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const std::size_t dh = m.D / m.H;
  const auto Q = linear(m.xq.data(), m.T, m.Din, m.wq.data(), m.bq.data(), m.D);
  const auto K = linear(m.xkv.data(), m.S, m.Din, m.wk.data(), m.bk.data(), m.D);
  const auto V = linear(m.xkv.data(), m.S, m.Din, m.wv.data(), m.bv.data(), m.D);
  std::vector<float> concat(m.T * m.D);
  for (std::size_t h = 0; h < m.H; ++h) {
    // Per head in double: scores, masked softmax, weighted sum.
    for (std::size_t i = 0; i < m.T; ++i) {
      std::vector<double> e(m.S);
      double mx = -1e300;
      std::vector<bool> keep(m.S);
      for (std::size_t j = 0; j < m.S; ++j) {
        keep[j] =
            (!o.mask.causal || static_cast<long>(j) <= static_cast<long>(i + m.S) - static_cast<long>(m.T)) &&
            (o.mask.key_padding.empty() || !o.mask.key_padding[j]);
        double s = 0;
        for (std::size_t a = 0; a < dh; ++a) s += Q[i * m.D + h * dh + a] * K[j * m.D + h * dh + a];
        e[j] = s / std::sqrt(static_cast<double>(dh)) / o.temperature;
        if (keep[j]) mx = std::max(mx, e[j]);
      }
      double sum = 0;
      for (std::size_t j = 0; j < m.S; ++j) sum += keep[j] ? std::exp(e[j] - mx) : 0;
      for (std::size_t j = 0; j < m.S; ++j) {
        const double w = keep[j] ? std::exp(e[j] - mx) / sum : 0;
        ASSERT_TRUE(test::near_rel(r->weights(h, i, j), w, std::max(w, 1e-3), 1e-5, "weights",
                                   (h * m.T + i) * m.S + j));
        for (std::size_t c = 0; c < dh; ++c)
          concat[i * m.D + h * dh + c] += static_cast<float>(w * V[j * m.D + h * dh + c]);
      }
    }
  }
  const auto out = linear(concat.data(), m.T, m.D, m.wo.data(), m.bo.data(), m.D);
  for (std::size_t i = 0; i < out.size(); ++i)
    ASSERT_TRUE(
        test::near_rel(r->output.data()[i], out[i], std::max(1.0, std::fabs(out[i])), 1e-5, "output", i));
}

TEST(MultiHead, MatchesTheReferenceAcrossShapes) {
  const std::size_t shapes[][5] = {// T, S, Din, D, H
                                   {1, 1, 4, 4, 1},   {5, 5, 16, 16, 4},   {17, 17, 12, 12, 3},
                                   {3, 65, 8, 64, 4}, {64, 64, 32, 32, 2}, {15, 4, 5, 16, 16}};
  unsigned seed = 1;
  for (const auto& s : shapes) {
    SCOPED_TRACE(::testing::Message() << "T=" << s[0] << " S=" << s[1] << " D=" << s[3] << " H=" << s[4]);
    const Mha m = make_mha(s[0], s[1], s[2], s[3], s[4], seed += 10);
    AttentionOptions o;
    expect_matches_reference(m, o);
    o.mask.causal = true;
    expect_matches_reference(m, o);
    o.mask.key_padding.assign(m.S, 0);
    if (m.S > 2) o.mask.key_padding[m.S - 1] = 1;
    o.temperature = 1.7f;
    expect_matches_reference(m, o);
  }
}

TEST(MultiHead, AdditiveScoringPerHeadEqualsSingleHeadAttentionOnProjections) {
  const std::size_t T = 6, D = 16, H = 4, dh = 4, h = 5;
  const Mha m = make_mha(T, T, D, D, H, 77);
  const auto w1 = test::random_vector(H * h * dh, 1), w2 = test::random_vector(H * h * dh, 2),
             v = test::random_vector(H * h, 3);
  AttentionOptions o;
  o.scoring = Scoring::kAdditive;
  o.mask.causal = true;
  o.params.additive_w1 = MatrixRef(w1.data(), H * h, dh);
  o.params.additive_w2 = MatrixRef(w2.data(), H * h, dh);
  o.params.additive_v = VectorRef(v.data(), H * h);
  const MatrixRef x(m.xq.data(), T, D);
  auto r = multi_head_attention(x, x, x, m.params(), o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const auto Q = linear(m.xq.data(), T, D, m.wq.data(), m.bq.data(), D);
  const auto K = linear(m.xq.data(), T, D, m.wk.data(), m.bk.data(), D);
  std::vector<float> qf(Q.begin(), Q.end()), kf(K.begin(), K.end());
  for (std::size_t head = 0; head < H; ++head) {
    const auto ref = test::ref_attention(MatrixRef(qf.data() + head * dh, T, dh, D),
                                         MatrixRef(kf.data() + head * dh, T, dh, D),
                                         MatrixRef(kf.data() + head * dh, T, dh, D), o, H, head);
    for (std::size_t i = 0; i < T; ++i)
      for (std::size_t j = 0; j < T; ++j) EXPECT_NEAR(r->weights(head, i, j), ref.weights[i * T + j], 1e-5);
  }
}

TEST(MultiHeadErrors, HeadsMustDivideTheWidthAndShapesMustAgree) {
  const Mha m = make_mha(4, 4, 8, 12, 5, 3);
  const MatrixRef x(m.xq.data(), 4, 8);
  auto r = multi_head_attention(x, x, x, m.params());
  EXPECT_EQ(r.status().code(), Code::kShapeMismatch);
  EXPECT_NE(r.status().message().find("do not divide"), std::string::npos);
  MultiHeadParams p = m.params();
  p.heads = 0;
  EXPECT_EQ(multi_head_attention(x, x, x, p).status().code(), Code::kInvalidArgument);
  p.heads = 3;
  p.wo = MatrixRef(m.wo.data(), 12, 11);
  EXPECT_EQ(multi_head_attention(x, x, x, p).status().code(), Code::kShapeMismatch);
  p = m.params();
  p.heads = 3;
  p.bq = VectorRef(m.bq.data(), 11);
  EXPECT_EQ(multi_head_attention(x, x, x, p).status().code(), Code::kShapeMismatch);
  p = m.params();
  p.heads = 3;
  EXPECT_EQ(multi_head_attention(MatrixRef(m.xq.data(), 4, 7), x, x, p).status().code(),
            Code::kShapeMismatch);
  EXPECT_TRUE(multi_head_attention(x, x, x, p).is_ok());
}

}  // namespace
}  // namespace attnscope
