// attention(): every scoring against the double reference across lengths,
// the softmax/mask properties at op level, and every error path.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "attention/attention.hpp"
#include "attention/validate.hpp"
#include "core/limits.hpp"
#include "reference.hpp"
#include "test_util.hpp"

namespace attnscope {
namespace {

struct Inputs {
  std::vector<float> q, k, v, W, W1, W2, va, b1, b2;
  std::size_t T, S, dq, dk, dv, h;
  MatrixRef Q() const { return {q.data(), T, dq}; }
  MatrixRef K() const { return {k.data(), S, dk}; }
  MatrixRef V() const { return {v.data(), S, dv}; }
};

Inputs make_inputs(std::size_t T, std::size_t S, std::size_t dq, std::size_t dk, std::size_t dv,
                   std::size_t h, unsigned seed, float lo = -1.f, float hi = 1.f) {
  Inputs in{test::random_vector(T * dq, seed, lo, hi),
            test::random_vector(S * dk, seed + 1, lo, hi),
            test::random_vector(S * dv, seed + 2, lo, hi),
            test::random_vector(dq * dk, seed + 3),
            test::random_vector(h * dq, seed + 4),
            test::random_vector(h * dk, seed + 5),
            test::random_vector(h, seed + 6),
            test::random_vector(h, seed + 7),
            test::random_vector(h, seed + 8),
            T,
            S,
            dq,
            dk,
            dv,
            h};
  // Scale W like a trained layer's (Xavier), so e_ij stays O(1) as d grows
  // and the 1e-5 tolerance measures the kernels, not float's conditioning.
  for (float& w : in.W) w /= std::sqrt(static_cast<float>(dq + dk));
  return in;
}

AttentionOptions options_for(Scoring s, const Inputs& in) {
  AttentionOptions o;
  o.scoring = s;
  o.params.general_w = MatrixRef(in.W.data(), in.dq, in.dk);
  o.params.additive_w1 = MatrixRef(in.W1.data(), in.h, in.dq);
  o.params.additive_w2 = MatrixRef(in.W2.data(), in.h, in.dk);
  o.params.additive_v = VectorRef(in.va.data(), in.h);
  o.params.additive_b1 = VectorRef(in.b1.data(), in.h);
  o.params.additive_b2 = VectorRef(in.b2.data(), in.h);
  return o;
}

void expect_matches_reference(const Inputs& in, const AttentionOptions& o) {
  auto r = attention(in.Q(), in.K(), in.V(), o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const auto ref = test::ref_attention(in.Q(), in.K(), in.V(), o);
  ASSERT_EQ(r->weights.shape()[0], in.T);
  ASSERT_EQ(r->weights.shape()[1], in.S);
  ASSERT_EQ(r->context.shape()[1], in.dv);
  for (std::size_t i = 0; i < ref.weights.size(); ++i)
    ASSERT_TRUE(test::near_rel(r->weights.data()[i], ref.weights[i],
                               std::max(std::fabs(ref.weights[i]), 1e-3), 1e-5, "weights", i));
  for (std::size_t i = 0; i < ref.context.size(); ++i)
    ASSERT_TRUE(test::near_rel(r->context.data()[i], ref.context[i], 1.0, 1e-5, "context", i));
}

const Scoring kAllScorings[] = {Scoring::kDot, Scoring::kScaledDot, Scoring::kGeneral, Scoring::kAdditive};

class AttentionLengths : public ::testing::TestWithParam<std::size_t> {};

TEST_P(AttentionLengths, EveryScoringMatchesTheReference) {
  const std::size_t n = GetParam();
  // (T, S, d) straddling the SIMD width in each position in turn.
  const std::size_t shapes[][3] = {{n, n, n}, {n, 17, 5}, {3, n, 16}, {5, 4, n}, {1, n, 65}};
  unsigned seed = static_cast<unsigned>(n) * 100;
  for (const auto& s : shapes)
    for (Scoring sc : kAllScorings) {
      const std::size_t dk = sc == Scoring::kGeneral || sc == Scoring::kAdditive ? s[2] + 1 : s[2];
      const Inputs in = make_inputs(s[0], s[1], s[2], dk, s[2] + 2, std::min<std::size_t>(n, 24), seed++);
      SCOPED_TRACE(::testing::Message()
                   << scoring_name(sc) << " T=" << s[0] << " S=" << s[1] << " d=" << s[2]);
      AttentionOptions o = options_for(sc, in);
      expect_matches_reference(in, o);
      o.mask.causal = true;
      o.temperature = 0.7f;
      expect_matches_reference(in, o);
      o.mask.key_padding.assign(in.S, 0);
      for (std::size_t j = 1; j < in.S; j += 3) o.mask.key_padding[j] = 1;
      expect_matches_reference(in, o);
    }
}

INSTANTIATE_TEST_SUITE_P(Lengths, AttentionLengths, ::testing::ValuesIn(test::kLengths));

TEST(Attention, WeightRowsSumToOneAndContextIsTheWeightedSum) {
  const Inputs in = make_inputs(9, 13, 8, 8, 6, 4, 1);
  for (Scoring sc : kAllScorings) {
    auto r = attention(in.Q(), in.K(), in.V(), options_for(sc, in));
    ASSERT_TRUE(r.is_ok());
    for (std::size_t i = 0; i < in.T; ++i) {
      double sum = 0;
      for (std::size_t j = 0; j < in.S; ++j) sum += r->weights(i, j);
      EXPECT_NEAR(sum, 1.0, 1e-6);
    }
  }
}

TEST(Attention, ScoresAreTheScaledLogitsWithMaskedEntriesMinusInfinity) {
  const Inputs in = make_inputs(4, 4, 8, 8, 8, 4, 2);
  AttentionOptions o;
  o.mask.causal = true;
  auto r = attention(in.Q(), in.K(), in.V(), o);
  ASSERT_TRUE(r.is_ok());
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 4; ++j) {
      if (j > i) {
        EXPECT_EQ(r->scores(i, j), -std::numeric_limits<float>::infinity());
        continue;
      }
      double dot = 0;
      for (std::size_t a = 0; a < 8; ++a) dot += in.q[i * 8 + a] * in.k[j * 8 + a];
      EXPECT_NEAR(r->scores(i, j), dot / std::sqrt(8.0), 1e-6);
    }
}

TEST(Attention, CausalWeightsAboveTheDiagonalAreExactlyZero) {
  for (Scoring sc : kAllScorings)
    for (std::size_t n : {std::size_t{5}, std::size_t{17}, std::size_t{64}}) {
      const Inputs in = make_inputs(n, n, 7, 7, 3, 5, static_cast<unsigned>(n));
      AttentionOptions o = options_for(sc, in);
      o.mask.causal = true;
      auto r = attention(in.Q(), in.K(), in.V(), o);
      ASSERT_TRUE(r.is_ok());
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) ASSERT_EQ(r->weights(i, j), 0.f) << i << "," << j;
    }
}

TEST(Attention, CausalWithACacheSeesTheLastPositions) {
  // T = 2 new queries over S = 5 keys: query 0 is position 3, query 1 position 4.
  const Inputs in = make_inputs(2, 5, 4, 4, 4, 4, 3);
  AttentionOptions o;
  o.mask.causal = true;
  auto r = attention(in.Q(), in.K(), in.V(), o);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->weights(0, 4), 0.f);
  EXPECT_GT(r->weights(0, 3), 0.f);
  EXPECT_GT(r->weights(1, 4), 0.f);
}

TEST(Attention, PermutingKeysPermutesWeights) {
  const Inputs in = make_inputs(6, 11, 8, 8, 5, 6, 4);
  std::vector<std::size_t> perm(in.S);
  std::iota(perm.begin(), perm.end(), 0);
  std::reverse(perm.begin(), perm.end());
  std::swap(perm[0], perm[5]);
  Inputs shuffled = in;
  for (std::size_t j = 0; j < in.S; ++j) {
    std::copy_n(&in.k[perm[j] * in.dk], in.dk, &shuffled.k[j * in.dk]);
    std::copy_n(&in.v[perm[j] * in.dv], in.dv, &shuffled.v[j * in.dv]);
  }
  for (Scoring sc : kAllScorings) {
    auto a = attention(in.Q(), in.K(), in.V(), options_for(sc, in));
    auto b = attention(shuffled.Q(), shuffled.K(), shuffled.V(), options_for(sc, shuffled));
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    for (std::size_t i = 0; i < in.T; ++i) {
      for (std::size_t j = 0; j < in.S; ++j) EXPECT_NEAR(b->weights(i, j), a->weights(i, perm[j]), 1e-6);
      for (std::size_t c = 0; c < in.dv; ++c) EXPECT_NEAR(b->context(i, c), a->context(i, c), 1e-5);
    }
  }
}

TEST(Attention, KeyPaddingZeroesPaddedKeysAndFullyMaskedRowsAreZero) {
  const Inputs in = make_inputs(3, 6, 4, 4, 4, 4, 5);
  AttentionOptions o;
  o.mask.key_padding = {0, 1, 0, 1, 1, 0};
  auto r = attention(in.Q(), in.K(), in.V(), o);
  ASSERT_TRUE(r.is_ok());
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j : {1, 3, 4}) EXPECT_EQ(r->weights(i, j), 0.f);
  // Causal + padding of key 0 leaves query 0 with nothing: zeros, not NaN.
  o.mask.causal = true;
  o.mask.key_padding = {1, 0, 0, 0, 0, 0};
  const Inputs sq = make_inputs(6, 6, 4, 4, 4, 4, 6);
  r = attention(sq.Q(), sq.K(), sq.V(), o);
  ASSERT_TRUE(r.is_ok());
  for (std::size_t j = 0; j < 6; ++j) EXPECT_EQ(r->weights(0, j), 0.f);
  for (std::size_t c = 0; c < 4; ++c) EXPECT_EQ(r->context(0, c), 0.f);
  EXPECT_NEAR(r->weights(1, 1), 1.f, 1e-7);
}

TEST(Attention, TemperatureTowardsZeroApproachesArgmax) {
  const Inputs in = make_inputs(4, 9, 8, 8, 8, 4, 7);
  AttentionOptions o;
  o.scoring = Scoring::kDot;
  o.temperature = 1e-5f;
  auto r = attention(in.Q(), in.K(), in.V(), o);
  ASSERT_TRUE(r.is_ok());
  for (std::size_t i = 0; i < in.T; ++i) {
    std::size_t best = 0;
    for (std::size_t j = 1; j < in.S; ++j)
      if (r->scores(i, j) > r->scores(i, best)) best = j;
    EXPECT_NEAR(r->weights(i, best), 1.f, 1e-3);
  }
}

TEST(Attention, LargeInputsGiveNoInfOrNan) {
  // Inputs in [90, 100]: dot scores near 1e4 * d, exp(score) would overflow.
  for (Scoring sc : kAllScorings) {
    const Inputs in = make_inputs(7, 9, 4, 4, 3, 4, 8, 90.f, 100.f);
    auto r = attention(in.Q(), in.K(), in.V(), options_for(sc, in));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    for (float w : r->weights) ASSERT_TRUE(std::isfinite(w));
    for (float c : r->context) ASSERT_TRUE(std::isfinite(c));
  }
}

// --- errors: values, never aborts ---------------------------------------

Status status_of(const Result<AttentionResult>& r) {
  return r.status();
}

TEST(AttentionErrors, ShapeMismatchesAreReported) {
  const Inputs in = make_inputs(3, 4, 5, 6, 2, 3, 9);
  auto r = attention(in.Q(), in.K(), in.V());  // scaled_dot needs dq == dk
  EXPECT_EQ(r.status().code(), Code::kShapeMismatch);
  EXPECT_NE(r.status().message().find("one width"), std::string::npos) << r.status().message();
  r = attention(in.Q(), in.Q(), in.V());  // v has 4 rows, keys 3
  EXPECT_EQ(r.status().code(), Code::kShapeMismatch);
  AttentionOptions o;
  o.mask.key_padding = {0, 1};
  r = attention(in.Q(), in.Q(), MatrixRef(in.v.data(), 3, 2), o);
  EXPECT_EQ(r.status().code(), Code::kShapeMismatch);
  o = options_for(Scoring::kGeneral, in);
  o.params.general_w = MatrixRef(in.W.data(), 6, 5);  // transposed
  EXPECT_EQ(attention(in.Q(), in.K(), in.V(), o).status().code(), Code::kShapeMismatch);
  o = options_for(Scoring::kAdditive, in);
  o.params.additive_v = VectorRef(in.va.data(), 2);
  EXPECT_EQ(attention(in.Q(), in.K(), in.V(), o).status().code(), Code::kShapeMismatch);
  o.params = {};
  EXPECT_EQ(attention(in.Q(), in.K(), in.V(), o).status().code(), Code::kInvalidArgument);
}

TEST(AttentionErrors, EmptyNonFiniteTooLargeAndBadTemperature) {
  Inputs in = make_inputs(3, 3, 4, 4, 4, 4, 10);
  EXPECT_EQ(attention(MatrixRef(in.q.data(), 0, 4), in.K(), in.V()).status().code(), Code::kShapeMismatch);
  in.k[5] = std::nanf("");
  auto r = attention(in.Q(), in.K(), in.V());
  EXPECT_EQ(r.status().code(), Code::kNonFinite);
  EXPECT_NE(r.status().message().find("k"), std::string::npos);
  in.k[5] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(attention(in.Q(), in.K(), in.V()).status().code(), Code::kNonFinite);
  in.k[5] = 0.f;
  // Sizes are checked before any data is read: a huge claimed shape is refused.
  EXPECT_EQ(attention(MatrixRef(in.q.data(), limits::kMaxSequence + 1, 4), in.K(), in.V()).status().code(),
            Code::kTooLarge);
  for (float t : {0.f, -1.f, std::nanf(""), 1e-9f, 1e9f}) {
    AttentionOptions o;
    o.temperature = t;
    EXPECT_EQ(attention(in.Q(), in.K(), in.V(), o).status().code(), Code::kInvalidArgument) << t;
  }
  EXPECT_EQ(parse_scoring("bilinear").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(parse_scoring("additive").value(), Scoring::kAdditive);
}

// heads * t * s at the per-dimension limits is 2^34: it must be refused in
// wasm32 too, where a 32-bit size_t product wraps to 0 and passes.
TEST(AttentionErrors, ElementCountsAtTheLimitsAreTooLargeNotWrapped) {
  const Status st =
      validate::elements(limits::kMaxHeads, limits::kMaxSequence, limits::kMaxSequence, "weights");
  EXPECT_EQ(st.code(), Code::kTooLarge);
  EXPECT_NE(st.message().find("17179869184"), std::string::npos) << st.message();
  EXPECT_TRUE(validate::elements(1, 1, limits::kMaxElements, "weights").is_ok());
  EXPECT_EQ(validate::elements(1, 2, limits::kMaxElements, "weights").code(), Code::kTooLarge);
}

TEST(AttentionErrors, OverflowingScoresAreRefusedNotNan) {
  std::vector<float> big(8, 3e19f);
  const MatrixRef m(big.data(), 2, 4);
  AttentionOptions o;
  o.scoring = Scoring::kDot;
  auto r = attention(m, m, m, o);
  EXPECT_EQ(r.status().code(), Code::kNonFinite);
  // The error leaves nothing behind: the next call works.
  const Inputs in = make_inputs(2, 2, 4, 4, 4, 4, 11);
  EXPECT_TRUE(attention(in.Q(), in.K(), in.V(), o).is_ok());
}

TEST(Attention, AcceptsXtensorContainersAndAdaptedBuffers) {
  Matrix q = {{1.f, 0.f}, {0.f, 1.f}};
  const std::vector<float> kv = {1.f, 0.f, 0.f, 1.f, 1.f, 1.f};
  const auto k = adapt_matrix(kv.data(), 3, 2);
  auto r = attention(q, k, k);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->weights.shape()[1], 3u);
  EXPECT_GT(r->weights(0, 0), r->weights(0, 1));
}

}  // namespace
}  // namespace attnscope
