// Documented size limits. Inputs beyond them are refused with Code::kTooLarge
// before anything is allocated, so no request can exhaust the wasm heap
// (at most 2 GiB, see CMakeLists.txt) and abort the module.
#pragma once

#include <cstddef>

namespace attnscope::limits {

// Query or key/value sequence length.
inline constexpr std::size_t kMaxSequence = 8192;
// Feature width of q, k, v, a model's hidden size or an additive hidden size.
inline constexpr std::size_t kMaxDim = 8192;
inline constexpr std::size_t kMaxHeads = 256;
// Elements of any one tensor an op allocates (weights [heads, T, S] included):
// 2^26 floats = 256 MiB.
inline constexpr std::size_t kMaxElements = std::size_t{1} << 26;
// Softmax temperature range; outside it 1/temperature loses meaning in float.
inline constexpr float kMinTemperature = 1e-6f;
inline constexpr float kMaxTemperature = 1e6f;

}  // namespace attnscope::limits
