// Input checks shared by the ops: shapes, limits and finiteness, each failing
// with a Status that names the tensor.
#pragma once

#include <string>

#include "core/status.hpp"
#include "core/tensor.hpp"

namespace attnscope::validate {

// rows and cols in [1, limit], data present, every value finite.
Status matrix(const MatrixRef& m, const char* name, std::size_t max_rows, std::size_t max_cols);
Status vector(const VectorRef& v, const char* name, std::size_t expected_size);
Status cols(const MatrixRef& m, const char* name, std::size_t expected);
Status rows(const MatrixRef& m, const char* name, std::size_t expected);
Status finite(const float* data, std::size_t n, const char* name);
Status elements(std::size_t a, std::size_t b, std::size_t c, const char* what);

}  // namespace attnscope::validate
