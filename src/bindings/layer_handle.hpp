// A multi-head attention layer as the JS layer sees it: projection weights
// and scoring parameters copied onto the heap once (load), then any number of
// runs that copy only their inputs in and their results out.
#pragma once

#include <emscripten/val.h>

#include "bindings/convert.hpp"
#include "bindings/scoring_inputs.hpp"

namespace attnscope::bindings {

class LayerHandle {
 public:
  // spec: { dIn, dKeyIn, dValueIn, dModel, heads; wq, wk, wv, wo; bq?, bk?,
  //         bv?, bo?; scoring; params stacked per head (see ScoringInputs) }
  // Returns { ok } or an error value; on error the handle stays empty.
  val load(const val& spec);
  // opts: { t, s; query; key?, value? (absent: the query, resp. the key);
  //         temperature; causal; keyPadding? } -> { weights [heads, t, s],
  //         output [t, dModel] }
  val run(const val& opts) const;

 private:
  MultiHeadParams params() const;  // views of the weights below

  bool loaded_ = false;
  std::size_t d_in_ = 0, d_key_in_ = 0, d_value_in_ = 0, d_model_ = 0, heads_ = 0;
  Floats wq_, wk_, wv_, wo_, bq_, bk_, bv_, bo_;
  ScoringInputs scoring_;
};

}  // namespace attnscope::bindings
