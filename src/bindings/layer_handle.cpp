#include "bindings/layer_handle.hpp"

#include <algorithm>

namespace attnscope::bindings {

using limits::kMaxDim;
using limits::kMaxSequence;

val LayerHandle::load(const val& spec) {
  loaded_ = false;
  std::size_t dIn = 0, dKeyIn = 0, dValueIn = 0, D = 0, H = 0;
  Status st = read_size(spec, "dIn", kMaxDim, dIn);
  if (st) st = read_size(spec, "dKeyIn", kMaxDim, dKeyIn);
  if (st) st = read_size(spec, "dValueIn", kMaxDim, dValueIn);
  if (st) st = read_size(spec, "dModel", kMaxDim, D);
  if (st) st = read_size(spec, "heads", limits::kMaxHeads, H);
  if (st && (dIn == 0 || dKeyIn == 0 || dValueIn == 0 || D == 0))
    st = Status(Code::kInvalidArgument, "dIn, dKeyIn, dValueIn and dModel must be at least 1");
  if (st && (H == 0 || D % H != 0))
    st = Status(Code::kShapeMismatch,
                std::to_string(H) + " heads do not divide the model width " + std::to_string(D));
  if (st) st = read_floats(spec, "wq", D * dIn, false, wq_);
  if (st) st = read_floats(spec, "wk", D * dKeyIn, false, wk_);
  if (st) st = read_floats(spec, "wv", D * dValueIn, false, wv_);
  if (st) st = read_floats(spec, "wo", D * D, false, wo_);
  if (st) st = read_floats(spec, "bq", D, true, bq_);
  if (st) st = read_floats(spec, "bk", D, true, bk_);
  if (st) st = read_floats(spec, "bv", D, true, bv_);
  if (st) st = read_floats(spec, "bo", D, true, bo_);
  if (st) st = scoring_.read_scoring(spec, H, D / H, D / H);
  if (!st) return error_value(st);
  d_in_ = dIn, d_key_in_ = dKeyIn, d_value_in_ = dValueIn, d_model_ = D, heads_ = H;
  // The weights are validated once here, not on every run.
  st = check_multi_head(params(), dIn, dKeyIn, dValueIn, scoring_.options);
  if (!st) return error_value(st);
  loaded_ = true;
  return ok_value();
}

MultiHeadParams LayerHandle::params() const {
  const std::size_t D = d_model_;
  MultiHeadParams p;
  p.heads = heads_;
  p.wq = MatrixRef(wq_.data(), D, d_in_);
  p.wk = MatrixRef(wk_.data(), D, d_key_in_);
  p.wv = MatrixRef(wv_.data(), D, d_value_in_);
  p.wo = MatrixRef(wo_.data(), D, D);
  if (!bq_.empty()) p.bq = VectorRef(bq_.data(), D);
  if (!bk_.empty()) p.bk = VectorRef(bk_.data(), D);
  if (!bv_.empty()) p.bv = VectorRef(bv_.data(), D);
  if (!bo_.empty()) p.bo = VectorRef(bo_.data(), D);
  return p;
}

val LayerHandle::run(const val& opts) const {
  if (!loaded_) return error_value({Code::kInvalidArgument, "this layer holds no weights"});
  const std::size_t D = d_model_, H = heads_;
  std::size_t T = 0, S = 0;
  Status st = read_size(opts, "t", kMaxSequence, T);
  if (st) st = read_size(opts, "s", kMaxSequence, S);
  if (st && (T == 0 || S == 0)) st = Status(Code::kInvalidArgument, "t and s must be at least 1");
  if (st) st = reserve(H * T * S + 8 * std::max(T, S) * D);
  // Self-attention passes one array: key and value default to the query.
  const bool own_key = st && !opts["key"].isUndefined(), own_value = st && !opts["value"].isUndefined();
  if (st && !own_key && (S != T || d_key_in_ != d_in_))
    st = Status(Code::kInvalidArgument, "key is required unless it has the shape of the query");
  if (st && !own_value && d_value_in_ != d_key_in_)
    st = Status(Code::kInvalidArgument, "value is required unless it has the shape of the key");
  Floats query, key, value;
  if (st) st = read_floats(opts, "query", T * d_in_, false, query);
  if (st && own_key) st = read_floats(opts, "key", S * d_key_in_, false, key);
  if (st && own_value) st = read_floats(opts, "value", S * d_value_in_, false, value);
  AttentionOptions options = scoring_.options;
  if (st) st = read_mask_and_temperature(opts, S, options);
  if (st) st = check_out(opts, "outWeights", H * T * S);
  if (st) st = check_out(opts, "outOutput", T * D);
  if (!st) return error_value(st);
  const float* k = own_key ? key.data() : query.data();
  const float* v = own_value ? value.data() : k;
  auto r = run_multi_head(MatrixRef(query.data(), T, d_in_), MatrixRef(k, S, d_key_in_),
                          MatrixRef(v, S, d_value_in_), params(), options);
  if (!r) return error_value(r.status());
  val out = ok_value();
  out.set("weights", result_array(opts, "outWeights", r->weights.data(), r->weights.size()));
  out.set("output", result_array(opts, "outOutput", r->output.data(), r->output.size()));
  return out;
}

}  // namespace attnscope::bindings
