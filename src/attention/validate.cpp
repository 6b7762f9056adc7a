#include "attention/validate.hpp"

#include <cmath>
#include <cstdint>

#include "core/limits.hpp"
#include "kernels/convert.hpp"

namespace attnscope::validate {

Status finite(const float* data, std::size_t n, const char* name) {
  if (kernels::all_finite(data, n)) return Status::ok();  // (SIMD; the loop below finds where)
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(data[i]))
      return {Code::kNonFinite, std::string(name) + " has a non-finite value (" + std::to_string(data[i]) +
                                    ") at element " + std::to_string(i)};
  return Status::ok();
}

Status matrix(const MatrixRef& m, const char* name, std::size_t max_rows, std::size_t max_cols) {
  if (m.rows == 0 || m.cols == 0)
    return {Code::kShapeMismatch, std::string(name) + " is empty (" + std::to_string(m.rows) + " x " +
                                      std::to_string(m.cols) + ")"};
  if (m.rows > max_rows || m.cols > max_cols)
    return {Code::kTooLarge, std::string(name) + " is " + std::to_string(m.rows) + " x " +
                                 std::to_string(m.cols) + ", above the limit of " + std::to_string(max_rows) +
                                 " x " + std::to_string(max_cols)};
  if (m.data == nullptr) return {Code::kInvalidArgument, std::string(name) + " has no data"};
  if (m.stride < m.cols)
    return {Code::kInvalidArgument, std::string(name) + " has a row stride below its width"};
  // (SIMD, over the whole matrix at once when its rows are contiguous: row
  // by row, a [12 * 16, 64] input spent half its scan per call; the loop
  // below finds where.)
  if (m.stride == m.cols && kernels::all_finite(m.data, m.rows * m.cols)) return Status::ok();
  for (std::size_t i = 0; i < m.rows; ++i) {
    if (kernels::all_finite(m.row(i), m.cols)) continue;
    for (std::size_t j = 0; j < m.cols; ++j)
      if (!std::isfinite(m.row(i)[j]))
        return {Code::kNonFinite, std::string(name) + " has a non-finite value (" +
                                      std::to_string(m.row(i)[j]) + ") at [" + std::to_string(i) + ", " +
                                      std::to_string(j) + "]"};
  }
  return Status::ok();
}

Status vector(const VectorRef& v, const char* name, std::size_t expected_size) {
  if (v.size != expected_size)
    return {Code::kShapeMismatch, std::string(name) + " has " + std::to_string(v.size) +
                                      " elements, expected " + std::to_string(expected_size)};
  if (v.data == nullptr) return {Code::kInvalidArgument, std::string(name) + " has no data"};
  return finite(v.data, v.size, name);
}

Status cols(const MatrixRef& m, const char* name, std::size_t expected) {
  if (m.cols != expected)
    return {Code::kShapeMismatch, std::string(name) + " has " + std::to_string(m.cols) +
                                      " columns, expected " + std::to_string(expected)};
  return Status::ok();
}

Status rows(const MatrixRef& m, const char* name, std::size_t expected) {
  if (m.rows != expected)
    return {Code::kShapeMismatch, std::string(name) + " has " + std::to_string(m.rows) + " rows, expected " +
                                      std::to_string(expected)};
  return Status::ok();
}

Status elements(std::size_t a, std::size_t b, std::size_t c, const char* what) {
  // In 64 bits: size_t is 32 under wasm32, where heads * t * s alone can
  // reach 2^34 (and wrap to a small number that passes).
  const std::uint64_t n = std::uint64_t{a} * b * c;
  if (n > limits::kMaxElements)
    return {Code::kTooLarge, std::string(what) + " would hold " + std::to_string(n) +
                                 " values, above the limit of " + std::to_string(limits::kMaxElements)};
  return Status::ok();
}

}  // namespace attnscope::validate
