// The attention ops of attnscope's core. Inputs are xtensor containers or
// no-copy views (see MatrixRef); outputs are xtensor containers. Every op
// returns both the attention weights and the result, or a Status saying why
// not (shapes that do not agree, non-finite values, sizes over core/limits.hpp).
#pragma once

#include "attention/types.hpp"

namespace attnscope {

// Single-head attention of queries q [T, dq] over keys k [S, dk] and values
// v [S, dv]. dot and scaled_dot need dq == dk; general and additive take
// their parameters from options.params.
Result<AttentionResult> attention(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v,
                                  const AttentionOptions& options = {});

// attention() for `heads` independent heads in one call, writing into the
// caller's buffers (the bindings' batched op; no per-head allocation): head
// h's queries are rows [h*T, (h+1)*T) of q [heads*T, dq], its keys and values
// rows [h*S, (h+1)*S) of k and v; general and additive parameters stack per
// head as in multi_head_attention. Writes weights [heads, T, S], context
// [heads, T, dv] and, if `scores` is not null, scores [heads, T, S].
Status attention_heads(std::size_t heads, const MatrixRef& q, const MatrixRef& k, const MatrixRef& v,
                       const AttentionOptions& options, float* scores, float* weights, float* context);

// Multi-head attention with input and output projections, like
// torch.nn.MultiheadAttention: query [T, Dq], key [S, Dk], value [S, Dv]
// (self-attention passes the same tensor three times). D = wq.rows is split
// into params.heads heads of D / heads features. options.scoring applies per
// head (scaled_dot scales by sqrt(D / heads)); options.params stacks per-head
// parameters along rows (see ScoringParams).
Result<MultiHeadResult> multi_head_attention(const MatrixRef& query, const MatrixRef& key,
                                             const MatrixRef& value, const MultiHeadParams& params,
                                             const AttentionOptions& options = {});

// multi_head_attention in two steps, for a layer that runs many inputs through
// one set of weights: check_multi_head validates the parameters and the
// scoring parameters once (query/key/value widths d_query, d_key, d_value);
// run_multi_head then validates only the inputs, mask and temperature.
// `params` must have passed check_multi_head, unchanged since.
Status check_multi_head(const MultiHeadParams& params, std::size_t d_query, std::size_t d_key,
                        std::size_t d_value, const AttentionOptions& options);
Result<MultiHeadResult> run_multi_head(const MatrixRef& query, const MatrixRef& key, const MatrixRef& value,
                                       const MultiHeadParams& params, const AttentionOptions& options);

}  // namespace attnscope
