// Options and results of the attention ops.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "core/tensor.hpp"

namespace attnscope {

// How a query q_i and a key k_j are scored, before the softmax.
enum class Scoring : unsigned char {
  kDot,        // e_ij = q_i · k_j
  kScaledDot,  // e_ij = q_i · k_j / sqrt(d)
  kGeneral,    // e_ij = q_i^T W k_j                     (Luong)
  kAdditive,   // e_ij = v^T tanh(W1 q_i + b1 + W2 k_j + b2)  (Bahdanau)
};

const char* scoring_name(Scoring s);  // "dot", "scaled_dot", "general", "additive"
Result<Scoring> parse_scoring(std::string_view name);

// Learned parameters of the general and additive scorings; the others need
// none. For multi-head attention each parameter stacks the heads along its
// rows: general_w [H*dh, dh], additive_w1/w2 [H*h, dh], additive_v/b1/b2 [H*h].
struct ScoringParams {
  MatrixRef general_w;    // W  [dq, dk]
  MatrixRef additive_w1;  // W1 [h, dq]
  MatrixRef additive_w2;  // W2 [h, dk]
  VectorRef additive_v;   // v  [h]
  VectorRef additive_b1;  // optional [h]
  VectorRef additive_b2;  // optional [h]
};

// Masks combine: a key is attended only if every mask allows it.
struct Mask {
  // Query i sees keys j <= i + (S - T): the usual lower triangle when T == S,
  // and the last T positions of a longer key sequence (a key/value cache).
  bool causal = false;
  // Empty, or one flag per key; nonzero means the key is padding and ignored
  // (the convention of torch's key_padding_mask).
  std::vector<std::uint8_t> key_padding;
};

struct AttentionOptions {
  Scoring scoring = Scoring::kScaledDot;
  ScoringParams params;
  Mask mask;
  // softmax(e / temperature): < 1 sharpens, > 1 flattens. Within
  // [limits::kMinTemperature, limits::kMaxTemperature].
  float temperature = 1.f;
};

// A query row whose keys are all masked has all-zero weights (and a zero
// context), never NaN.
struct AttentionResult {
  Matrix scores;   // e_ij after scoring and scaling, -inf where masked [T, S]
  Matrix weights;  // alpha = softmax(e / temperature)                 [T, S]
  Matrix context;  // c_i = sum_j alpha_ij v_j                         [T, dv]
};

// Linear layers use torch's layout: W [out, in], y = x W^T + b.
struct MultiHeadParams {
  std::size_t heads = 1;
  MatrixRef wq, wk, wv;  // [D, Dq], [D, Dk], [D, Dv]
  VectorRef bq, bk, bv;  // optional [D]
  MatrixRef wo;          // [D, D]
  VectorRef bo;          // optional [D]
};

struct MultiHeadResult {
  Tensor3 weights;  // per head [H, T, S]
  Matrix output;    // [T, D]
};

}  // namespace attnscope
