// The attention op as the JS layer calls it: staged in wasm memory (see
// staged.hpp), not read from an options object. Each JS engine owns one
// CoreHandle; there is no global state.
#pragma once

#include <emscripten/val.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "attention/types.hpp"
#include "bindings/staged.hpp"
#include "core/status.hpp"

namespace attnscope::bindings {

using emscripten::val;

class CoreHandle {
 public:
  // The attention call's header slots, in order: "scalars|arrays", each a
  // space-separated list, an array as name:bytes per element.
  static std::string attention_layout();

  // Address of this handle's header (fixed for its lifetime): scalars heads,
  // t, s, dq, dk, dv, scoring (the attnscope::Scoring value), hidden,
  // temperature, causal, withScores; arrays q [heads, t, dq], k [heads, s,
  // dk], v [heads, s, dv], keyPadding? (uint8 [s]), W | W1, W2, va, b1?, b2?
  // (stacked per head), and the results weights [heads, t, s], context
  // [heads, t, dv], scores [heads, t, s] (only with withScores).
  double header() const { return static_cast<double>(reinterpret_cast<std::uintptr_t>(header_)); }
  // Checks the header's sizes and array lengths, then allocates the block
  // its arrays need: the block's address, or 0 (see lastError()).
  double stage();
  // Runs the staged attention; false on error (see lastError()).
  bool attention();
  // { ok: false, code, message } of the last failed call.
  val last_error() const;
  // Frees the block (after the results are copied out).
  void release() { block_.release(); }

  // Slots of the header (named in core_handle.cpp).
  static constexpr std::size_t kScalarSlots = 11, kArraySlots = 13;

 private:
  Status check();
  Status run();

  alignas(16) double header_[kScalarSlots + 2 * kArraySlots] = {};
  // The call stage() checked (the header may change after it; this may not).
  struct Call {
    std::size_t heads = 0, t = 0, s = 0, dq = 0, dk = 0, dv = 0, hidden = 0;
    Scoring scoring = Scoring::kScaledDot;
    float temperature = 1.f;
    bool causal = false, with_scores = false;
    std::ptrdiff_t offset[kArraySlots] = {};  // -1: absent
  } call_;
  bool staged_ = false;
  StageBlock block_;
  Status error_;
};

}  // namespace attnscope::bindings
