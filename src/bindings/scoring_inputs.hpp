// The scoring kind and its learned parameters (read once: a layer keeps them
// across runs), and the per-call mask and temperature, as the ops read them
// from their JS option objects.
#pragma once

#include <cstdlib>
#include <vector>

#include "attention/attention.hpp"
#include "bindings/convert.hpp"

namespace attnscope::bindings {

// Refuses work whose buffers would not fit in the heap, instead of letting
// operator new abort the module. The freed block is reused right away.
inline Status reserve(std::size_t floats) {
  void* p = std::malloc(floats * sizeof(float));
  if (!p)
    return {Code::kOutOfMemory,
            "not enough memory for this request (" + std::to_string(floats * 4 >> 20) + " MiB)"};
  std::free(p);
  return Status::ok();
}

struct ScoringInputs {
  std::vector<float> W, W1, W2, va, b1, b2;
  AttentionOptions options;  // options.params points into the vectors above

  ScoringInputs() = default;
  ScoringInputs(const ScoringInputs&) = delete;  // (the views would dangle)
  ScoringInputs& operator=(const ScoringInputs&) = delete;

  // opts: { scoring; W? | hidden, W1, W2, va, b1?, b2? } for `heads` stacked
  // heads of query width dq and key width dk.
  Status read_scoring(const val& opts, std::size_t heads, std::size_t dq, std::size_t dk) {
    using limits::kMaxDim;
    const val scoring = opts["scoring"];
    if (!scoring.isString()) return {Code::kInvalidArgument, "scoring must be a string"};
    auto kind = parse_scoring(scoring.as<std::string>());
    if (!kind) return kind.status();
    options.scoring = kind.value();
    ScoringParams& p = options.params;
    p = ScoringParams();
    if (options.scoring == Scoring::kGeneral) {
      ATTNSCOPE_RETURN_IF_ERROR(read_array(opts, "W", heads * dq * dk, false, W));
      p.general_w = MatrixRef(W.data(), heads * dq, dk);
    } else if (options.scoring == Scoring::kAdditive) {
      std::size_t h = 0;
      ATTNSCOPE_RETURN_IF_ERROR(read_size(opts, "hidden", kMaxDim, h));
      if (h == 0) return {Code::kInvalidArgument, "additive scoring needs a hidden size of at least 1"};
      ATTNSCOPE_RETURN_IF_ERROR(read_array(opts, "W1", heads * h * dq, false, W1));
      ATTNSCOPE_RETURN_IF_ERROR(read_array(opts, "W2", heads * h * dk, false, W2));
      ATTNSCOPE_RETURN_IF_ERROR(read_array(opts, "va", heads * h, false, va));
      ATTNSCOPE_RETURN_IF_ERROR(read_array(opts, "b1", heads * h, true, b1));
      ATTNSCOPE_RETURN_IF_ERROR(read_array(opts, "b2", heads * h, true, b2));
      p.additive_w1 = MatrixRef(W1.data(), heads * h, dq);
      p.additive_w2 = MatrixRef(W2.data(), heads * h, dk);
      p.additive_v = VectorRef(va.data(), va.size());
      if (!b1.empty()) p.additive_b1 = VectorRef(b1.data(), b1.size());
      if (!b2.empty()) p.additive_b2 = VectorRef(b2.data(), b2.size());
    }
    return Status::ok();
  }
};

// opts: { temperature; causal; keyPadding?: Uint8Array [S] } into `options`.
inline Status read_mask_and_temperature(const val& opts, std::size_t S, AttentionOptions& options) {
  const val t = opts["temperature"];
  if (!t.isNumber()) return {Code::kInvalidArgument, "temperature must be a number"};
  options.temperature = static_cast<float>(t.as<double>());
  options.mask.causal = opts["causal"].as<bool>();
  return read_array(opts, "keyPadding", S, true, options.mask.key_padding);
}

}  // namespace attnscope::bindings
