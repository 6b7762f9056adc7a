// embind surface of the wasm module. The TypeScript layer (src/js) is the
// public API; this file only converts. Each JS engine owns one `Core`; there
// is no global state.
#include <emscripten/bind.h>
#include <emscripten/heap.h>

#include <malloc.h>
#include <cstdlib>

#include "attention/attention.hpp"
#include "attention/validate.hpp"
#include "bindings/buffer.hpp"
#include "bindings/convert.hpp"
#include "bindings/layer_handle.hpp"
#include "bindings/model_handle.hpp"
#include "bindings/scoring_inputs.hpp"
#include "kernels/arch.hpp"

namespace attnscope::bindings {
namespace {

using limits::kMaxDim;
using limits::kMaxSequence;

class Core {
 public:
  // opts: { q, k, v: Float32Array; heads, t, s, dq, dk, dv; scoring;
  //         temperature; causal; keyPadding?: Uint8Array; withScores;
  //         W? | hidden, W1, W2, va, b1?, b2? (stacked per head);
  //         outScores?, outWeights?, outContext?: Float32Array }
  // q [heads, t, dq], k [heads, s, dk], v [heads, s, dv] -> weights
  // [heads, t, s], context [heads, t, dv], scores [heads, t, s] if asked,
  // each in its out* array when given.
  val attention(const val& opts) {
    std::size_t H = 0, T = 0, S = 0, dq = 0, dk = 0, dv = 0;
    Status st = read_size(opts, "heads", limits::kMaxHeads, H);
    if (st && H == 0) st = Status(Code::kInvalidArgument, "heads must be at least 1");
    if (st) st = read_size(opts, "t", kMaxSequence, T);
    if (st) st = read_size(opts, "s", kMaxSequence, S);
    if (st) st = read_size(opts, "dq", kMaxDim, dq);
    if (st) st = read_size(opts, "dk", kMaxDim, dk);
    if (st) st = read_size(opts, "dv", kMaxDim, dv);
    if (st && (T == 0 || S == 0 || dq == 0 || dk == 0 || dv == 0))
      st = Status(Code::kInvalidArgument, "t, s, dq, dk and dv must be at least 1");
    if (st) st = validate::elements(H, T, S, "the weights");
    if (st) st = validate::elements(H, std::max(T, S), std::max({dq, dk, dv}), "the inputs");
    const bool with_scores = st && opts["withScores"].as<bool>();
    if (st) st = reserve((with_scores ? 2 : 1) * H * T * S + H * T * dv + (T + S) * std::max(dq, dk) * 2);
    Floats q, k, v;
    if (st) st = read_floats(opts, "q", H * T * dq, false, q);
    if (st) st = read_floats(opts, "k", H * S * dk, false, k);
    if (st) st = read_floats(opts, "v", H * S * dv, false, v);
    ScoringInputs si;
    if (st) st = si.read_scoring(opts, H, dq, dk);
    if (st) st = read_mask_and_temperature(opts, S, si.options);
    if (st) st = check_out(opts, "outScores", with_scores ? H * T * S : 0);
    if (st) st = check_out(opts, "outWeights", H * T * S);
    if (st) st = check_out(opts, "outContext", H * T * dv);
    Floats scores, weights, context;
    if (st) {
      scores = Floats(with_scores ? H * T * S : 0);
      weights = Floats(H * T * S);
      context = Floats(H * T * dv);
      if (weights.empty() || context.empty() || (with_scores && scores.empty()))
        st = Status(Code::kOutOfMemory, "not enough memory for the attention weights");
    }
    if (st)
      st = attention_heads(H, MatrixRef(q.data(), H * T, dq), MatrixRef(k.data(), H * S, dk),
                           MatrixRef(v.data(), H * S, dv), si.options, with_scores ? scores.data() : nullptr,
                           weights.data(), context.data());
    if (!st) return error_value(st);
    val out = ok_value();
    if (with_scores) out.set("scores", result_array(opts, "outScores", scores.data(), scores.size()));
    out.set("weights", result_array(opts, "outWeights", weights.data(), weights.size()));
    out.set("context", result_array(opts, "outContext", context.data(), context.size()));
    return out;
  }
};

// Bytes malloc has handed out and not taken back: the leak tests' measure.
double heap_used() {
  return static_cast<double>(mallinfo().uordblks);
}
double heap_size() {
  return static_cast<double>(emscripten_get_heap_size());
}
std::string arch() {
  return kernels::arch_name();
}

}  // namespace
}  // namespace attnscope::bindings

EMSCRIPTEN_BINDINGS(attnscope) {
  using namespace attnscope::bindings;
  emscripten::class_<Core>("Core").constructor<>().function("attention", &Core::attention);
  emscripten::class_<LayerHandle>("Layer")
      .constructor<>()
      .function("load", &LayerHandle::load)
      .function("run", &LayerHandle::run);
  emscripten::class_<Buffer>("Buffer")
      .constructor<double>()
      .function("ok", &Buffer::ok)
      .function("size", &Buffer::size)
      .function("write", &Buffer::write)
      .function("release", &Buffer::release);
  emscripten::class_<ModelHandle>("Model")
      .constructor<>()
      .function("load", &ModelHandle::load)
      .function("run", &ModelHandle::run)
      .function("runIds", &ModelHandle::runIds)
      .function("info", &ModelHandle::info)
      .function("clearCache", &ModelHandle::clearCache);
  emscripten::function("heapUsed", &heap_used);
  emscripten::function("heapSize", &heap_size);
  emscripten::function("simdArch", &arch);
}
