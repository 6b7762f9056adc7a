#include "bindings/staged.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace attnscope::bindings {

Status Staged::open(std::size_t& bytes) const {
  bytes = 0;
  for (std::size_t i = 0; i < layout_.array_count; ++i) {
    std::size_t off_i = 0, end_i = 0;
    ATTNSCOPE_RETURN_IF_ERROR(extent(i, off_i, end_i));
    if (end_i == off_i) continue;
    for (std::size_t j = 0; j < i; ++j) {
      std::size_t off_j = 0, end_j = 0;
      ATTNSCOPE_RETURN_IF_ERROR(extent(j, off_j, end_j));
      if (off_j < end_i && off_i < end_j)
        return {Code::kInvalidArgument,
                std::string("staged arrays ") + layout_.arrays[j] + " and " + layout_.arrays[i] + " overlap"};
    }
    bytes = std::max(bytes, end_i);
  }
  return Status::ok();
}

Status Staged::size(std::size_t slot, std::size_t max, std::size_t& out) const {
  const double d = scalar(slot);
  if (!(d >= 0 && d <= static_cast<double>(max)) || d != std::floor(d))
    return {Code::kTooLarge, std::string(layout_.scalars[slot]) + " must be an integer within [0, " +
                                 std::to_string(max) + "]"};
  out = static_cast<std::size_t>(d);
  return Status::ok();
}

Status Staged::expect(std::size_t slot, std::size_t expected, bool optional) const {
  const double n = length(slot);
  if (n == 0 && (optional || expected == 0)) return Status::ok();
  if (n == 0) return {Code::kInvalidArgument, std::string(layout_.arrays[slot]) + " is required"};
  if (n != static_cast<double>(expected))
    return {Code::kShapeMismatch, std::string(layout_.arrays[slot]) + " has " +
                                      std::to_string(static_cast<long long>(n)) +
                                      " elements, its shape says " + std::to_string(expected)};
  return Status::ok();
}

Status Staged::extent(std::size_t i, std::size_t& off, std::size_t& end) const {
  const double o = header_[layout_.scalar_count + 2 * i], n = length(i);
  off = end = 0;
  if (n == 0) return Status::ok();
  // (Block sizes stay below 2^31: offsets and ends fit size_t under wasm32.)
  constexpr double kMaxBlock = 2147483647.0;
  if (!(o >= 0 && n >= 0 && o == std::floor(o) && n == std::floor(n) &&
        o + n * static_cast<double>(layout_.element_bytes[i]) <= kMaxBlock))
    return {Code::kTooLarge, std::string(layout_.arrays[i]) + " does not fit in wasm memory"};
  off = static_cast<std::size_t>(o);
  end = off + static_cast<std::size_t>(n) * layout_.element_bytes[i];
  if (off % kStageAlign != 0)
    return {Code::kInvalidArgument, std::string("staged array ") + layout_.arrays[i] + " is misaligned"};
  return Status::ok();
}

}  // namespace attnscope::bindings
