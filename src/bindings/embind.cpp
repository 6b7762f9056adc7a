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
#include "bindings/model_handle.hpp"
#include "kernels/arch.hpp"

namespace attnscope::bindings {
namespace {

using limits::kMaxDim;
using limits::kMaxSequence;

// Refuses work whose buffers would not fit in the heap, instead of letting
// operator new abort the module. The freed block is reused right away.
Status reserve(std::size_t floats) {
  void* p = std::malloc(floats * sizeof(float));
  if (!p)
    return {Code::kOutOfMemory,
            "not enough memory for this request (" + std::to_string(floats * 4 >> 20) + " MiB)"};
  std::free(p);
  return Status::ok();
}

// Scoring kind, its parameters, mask and temperature shared by both ops.
struct ScoringInputs {
  std::vector<float> W, W1, W2, va, b1, b2;
  AttentionOptions options;

  // dq/dk: widths the parameters act on; heads: how many are stacked.
  Status read(const val& opts, std::size_t heads, std::size_t dq, std::size_t dk, std::size_t S) {
    const val scoring = opts["scoring"];
    if (!scoring.isString()) return {Code::kInvalidArgument, "scoring must be a string"};
    auto kind = parse_scoring(scoring.as<std::string>());
    if (!kind) return kind.status();
    options.scoring = kind.value();
    const val t = opts["temperature"];
    if (!t.isNumber()) return {Code::kInvalidArgument, "temperature must be a number"};
    options.temperature = static_cast<float>(t.as<double>());
    options.mask.causal = opts["causal"].as<bool>();
    ATTNSCOPE_RETURN_IF_ERROR(read_array(opts, "keyPadding", S, true, options.mask.key_padding));
    ScoringParams& p = options.params;
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

class Core {
 public:
  // opts: { q, k, v: Float32Array; heads, t, s, dq, dk, dv; scoring;
  //         temperature; causal; keyPadding?: Uint8Array; withScores;
  //         W? | hidden, W1, W2, va, b1?, b2? (stacked per head) }
  // q [heads, t, dq], k [heads, s, dk], v [heads, s, dv] -> weights
  // [heads, t, s], context [heads, t, dv], scores [heads, t, s] if asked.
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
    if (st) st = si.read(opts, H, dq, dk, S);
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
    if (with_scores) out.set("scores", to_js(scores.data(), scores.size()));
    out.set("weights", to_js(weights.data(), weights.size()));
    out.set("context", to_js(context.data(), context.size()));
    return out;
  }

  // opts: { query, key, value; t, s, dIn, dKeyIn, dValueIn, dModel, heads;
  //         wq, wk, wv, wo; bq?, bk?, bv?, bo?; scoring options as above,
  //         with per-head parameters stacked }
  val multiHeadAttention(const val& opts) {
    std::size_t T = 0, S = 0, dIn = 0, dKeyIn = 0, dValueIn = 0, D = 0, H = 0;
    Status st = read_size(opts, "t", kMaxSequence, T);
    if (st) st = read_size(opts, "s", kMaxSequence, S);
    if (st) st = read_size(opts, "dIn", kMaxDim, dIn);
    if (st) st = read_size(opts, "dKeyIn", kMaxDim, dKeyIn);
    if (st) st = read_size(opts, "dValueIn", kMaxDim, dValueIn);
    if (st) st = read_size(opts, "dModel", kMaxDim, D);
    if (st) st = read_size(opts, "heads", limits::kMaxHeads, H);
    if (st && (H == 0 || D % H != 0))
      st = Status(Code::kShapeMismatch,
                  std::to_string(H) + " heads do not divide the model width " + std::to_string(D));
    if (st) st = reserve(H * T * S + 8 * std::max(T, S) * D + 4 * D * D);
    Floats query, key, value, wq, wk, wv, wo, bq, bk, bv, bo;
    if (st) st = read_floats(opts, "query", T * dIn, false, query);
    if (st) st = read_floats(opts, "key", S * dKeyIn, false, key);
    if (st) st = read_floats(opts, "value", S * dValueIn, false, value);
    if (st) st = read_floats(opts, "wq", D * dIn, false, wq);
    if (st) st = read_floats(opts, "wk", D * dKeyIn, false, wk);
    if (st) st = read_floats(opts, "wv", D * dValueIn, false, wv);
    if (st) st = read_floats(opts, "wo", D * D, false, wo);
    if (st) st = read_floats(opts, "bq", D, true, bq);
    if (st) st = read_floats(opts, "bk", D, true, bk);
    if (st) st = read_floats(opts, "bv", D, true, bv);
    if (st) st = read_floats(opts, "bo", D, true, bo);
    ScoringInputs si;
    if (st) st = si.read(opts, H, D / H, D / H, S);
    if (!st) return error_value(st);
    MultiHeadParams p;
    p.heads = H;
    p.wq = MatrixRef(wq.data(), D, dIn);
    p.wk = MatrixRef(wk.data(), D, dKeyIn);
    p.wv = MatrixRef(wv.data(), D, dValueIn);
    p.wo = MatrixRef(wo.data(), D, D);
    if (!bq.empty()) p.bq = VectorRef(bq.data(), D);
    if (!bk.empty()) p.bk = VectorRef(bk.data(), D);
    if (!bv.empty()) p.bv = VectorRef(bv.data(), D);
    if (!bo.empty()) p.bo = VectorRef(bo.data(), D);
    auto r = multi_head_attention(MatrixRef(query.data(), T, dIn), MatrixRef(key.data(), S, dKeyIn),
                                  MatrixRef(value.data(), S, dValueIn), p, si.options);
    if (!r) return error_value(r.status());
    val out = ok_value();
    out.set("weights", to_js(r->weights.data(), r->weights.size()));
    out.set("output", to_js(r->output.data(), r->output.size()));
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
  emscripten::class_<Core>("Core")
      .constructor<>()
      .function("attention", &Core::attention)
      .function("multiHeadAttention", &Core::multiHeadAttention);
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
