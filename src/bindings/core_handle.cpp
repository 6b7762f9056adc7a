#include "bindings/core_handle.hpp"

#include <algorithm>
#include <iterator>
#include <string>

#include "attention/attention.hpp"
#include "attention/validate.hpp"
#include "bindings/convert.hpp"

namespace attnscope::bindings {
namespace {

using limits::kMaxDim;
using limits::kMaxSequence;

// Header slots of the attention call; the names are what JS stages by.
enum Scalar : std::size_t {
  kHeads,
  kT,
  kS,
  kDq,
  kDk,
  kDv,
  kScoring,
  kHidden,
  kTemperature,
  kCausal,
  kWithScores
};
constexpr const char* kScalars[] = {"heads",   "t",      "s",           "dq",     "dk",        "dv",
                                    "scoring", "hidden", "temperature", "causal", "withScores"};
enum Array : std::size_t {
  kQ,
  kK,
  kV,
  kKeyPadding,
  kW,
  kW1,
  kW2,
  kVa,
  kB1,
  kB2,
  kScores,
  kWeights,
  kContext
};
constexpr const char* kArrays[] = {"q",  "k",  "v",  "keyPadding", "W",       "W1",     "W2",
                                   "va", "b1", "b2", "scores",     "weights", "context"};
constexpr std::size_t kElementBytes[] = {4, 4, 4, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4};
constexpr Layout kAttention{kScalars, std::size(kScalars), kArrays, std::size(kArrays), kElementBytes};

}  // namespace

static_assert(std::size(kScalars) == CoreHandle::kScalarSlots &&
              std::size(kArrays) == CoreHandle::kArraySlots &&
              std::size(kElementBytes) == CoreHandle::kArraySlots);

std::string CoreHandle::attention_layout() {
  std::string out;
  for (const char* name : kScalars) out += std::string(out.empty() ? "" : " ") + name;
  out += '|';
  for (std::size_t i = 0; i < std::size(kArrays); ++i)
    out += std::string(i ? " " : "") + kArrays[i] + ':' + std::to_string(kElementBytes[i]);
  return out;
}

double CoreHandle::stage() {
  block_.release();
  staged_ = false;
  error_ = check();
  if (!error_) return 0;
  staged_ = true;
  return static_cast<double>(reinterpret_cast<std::uintptr_t>(block_.data()));
}

bool CoreHandle::attention() {
  error_ = staged_ ? run() : Status(Code::kInvalidArgument, "no attention call is staged");
  staged_ = false;
  return static_cast<bool>(error_);
}

val CoreHandle::last_error() const {
  return error_value(error_ ? Status(Code::kInternal, "the last call did not fail") : error_);
}

Status CoreHandle::check() {
  const Staged in(kAttention, header_);
  Call c;
  ATTNSCOPE_RETURN_IF_ERROR(in.size(kHeads, limits::kMaxHeads, c.heads));
  if (c.heads == 0) return {Code::kInvalidArgument, "heads must be at least 1"};
  ATTNSCOPE_RETURN_IF_ERROR(in.size(kT, kMaxSequence, c.t));
  ATTNSCOPE_RETURN_IF_ERROR(in.size(kS, kMaxSequence, c.s));
  ATTNSCOPE_RETURN_IF_ERROR(in.size(kDq, kMaxDim, c.dq));
  ATTNSCOPE_RETURN_IF_ERROR(in.size(kDk, kMaxDim, c.dk));
  ATTNSCOPE_RETURN_IF_ERROR(in.size(kDv, kMaxDim, c.dv));
  const std::size_t H = c.heads, T = c.t, S = c.s, dq = c.dq, dk = c.dk, dv = c.dv;
  if (T == 0 || S == 0 || dq == 0 || dk == 0 || dv == 0)
    return {Code::kInvalidArgument, "t, s, dq, dk and dv must be at least 1"};
  ATTNSCOPE_RETURN_IF_ERROR(validate::elements(H, T, S, "the weights"));
  ATTNSCOPE_RETURN_IF_ERROR(validate::elements(H, std::max(T, S), std::max({dq, dk, dv}), "the inputs"));
  std::size_t scoring = 0;
  ATTNSCOPE_RETURN_IF_ERROR(in.size(kScoring, static_cast<std::size_t>(Scoring::kAdditive), scoring));
  c.scoring = static_cast<Scoring>(scoring);
  c.temperature = static_cast<float>(in.scalar(kTemperature));
  c.causal = in.scalar(kCausal) != 0;
  c.with_scores = in.scalar(kWithScores) != 0;

  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kQ, H * T * dq, false));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kK, H * S * dk, false));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kV, H * S * dv, false));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kKeyPadding, S, true));
  const bool general = c.scoring == Scoring::kGeneral, additive = c.scoring == Scoring::kAdditive;
  if (general) ATTNSCOPE_RETURN_IF_ERROR(validate::elements(H, dq, dk, "the general weights"));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kW, general ? H * dq * dk : 0, false));
  if (additive) {
    ATTNSCOPE_RETURN_IF_ERROR(in.size(kHidden, kMaxDim, c.hidden));
    if (c.hidden == 0) return {Code::kInvalidArgument, "additive scoring needs a hidden size of at least 1"};
    ATTNSCOPE_RETURN_IF_ERROR(validate::elements(H, c.hidden, std::max(dq, dk), "the additive parameters"));
  }
  const std::size_t h = c.hidden;
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kW1, H * h * dq, false));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kW2, H * h * dk, false));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kVa, H * h, false));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kB1, H * h, true));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kB2, H * h, true));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kScores, c.with_scores ? H * T * S : 0, false));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kWeights, H * T * S, false));
  ATTNSCOPE_RETURN_IF_ERROR(in.expect(kContext, H * T * dv, false));

  std::size_t bytes = 0;
  ATTNSCOPE_RETURN_IF_ERROR(in.open(bytes));
  for (std::size_t i = 0; i < kArraySlots; ++i) c.offset[i] = in.offset(i);
  if (!block_.allocate(bytes))
    return {Code::kOutOfMemory,
            "not enough memory for this request (" + std::to_string(bytes >> 20) + " MiB)"};
  call_ = c;
  return Status::ok();
}

Status CoreHandle::run() {
  const Call& c = call_;
  std::uint8_t* block = block_.data();
  const auto floats = [&](Array a) {
    return c.offset[a] < 0 ? nullptr : reinterpret_cast<float*>(block + c.offset[a]);
  };
  const std::size_t H = c.heads, T = c.t, S = c.s, h = c.hidden;
  AttentionOptions options;
  options.scoring = c.scoring;
  options.temperature = c.temperature;
  options.mask.causal = c.causal;
  if (c.offset[kKeyPadding] >= 0) {
    const std::uint8_t* pad = block + c.offset[kKeyPadding];
    options.mask.key_padding.assign(pad, pad + S);
  }
  ScoringParams& p = options.params;
  if (c.scoring == Scoring::kGeneral) p.general_w = MatrixRef(floats(kW), H * c.dq, c.dk);
  if (c.scoring == Scoring::kAdditive) {
    p.additive_w1 = MatrixRef(floats(kW1), H * h, c.dq);
    p.additive_w2 = MatrixRef(floats(kW2), H * h, c.dk);
    p.additive_v = VectorRef(floats(kVa), H * h);
    if (const float* b1 = floats(kB1)) p.additive_b1 = VectorRef(b1, H * h);
    if (const float* b2 = floats(kB2)) p.additive_b2 = VectorRef(b2, H * h);
  }
  return attention_heads(H, MatrixRef(floats(kQ), H * T, c.dq), MatrixRef(floats(kK), H * S, c.dk),
                         MatrixRef(floats(kV), H * S, c.dv), options, floats(kScores), floats(kWeights),
                         floats(kContext));
}

}  // namespace attnscope::bindings
