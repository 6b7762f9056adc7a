// The softmax pass of fused attention: softmax_row's result, with the
// finiteness check of the raw scores folded into its first pass (attention
// refuses scores that overflowed rather than show NaN).
#pragma once

#include <cstddef>

namespace attnscope::kernels {

// If x[j] is finite for every j < min(limit, n): does what softmax_row(x, n,
// limit, bias, inv_temperature) does and returns true. Otherwise returns false
// and leaves x unchanged; the caller reports the error. If raw is not null it
// also receives the raw scores as read (attention's scores output, in the
// same pass): x[j], or -inf where bias[j] masks or from the limit to n.
bool softmax_row_finite(float* x, std::size_t n, std::size_t limit, const float* bias, float inv_temperature,
                        float* raw = nullptr);

}  // namespace attnscope::kernels
