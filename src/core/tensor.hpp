// Tensor types at the API: xtensor containers, and no-copy views of caller
// buffers. Kernels below this layer see raw row-major pointers.
#pragma once

#include <cstddef>
#include <type_traits>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

namespace attnscope {

using Vector = xt::xtensor<float, 1>;
using Matrix = xt::xtensor<float, 2>;   // row-major [rows, cols]
using Tensor3 = xt::xtensor<float, 3>;  // row-major [a, rows, cols]

// Read-only row-major matrix: a pointer, a shape and a row stride (in floats).
// Made from xtensor containers, xt::adapt views of caller memory, or raw
// buffers, without copying.
struct MatrixRef {
  const float* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t stride = 0;  // distance between rows; >= cols

  MatrixRef() = default;
  MatrixRef(const float* d, std::size_t r, std::size_t c) : data(d), rows(r), cols(c), stride(c) {}
  MatrixRef(const float* d, std::size_t r, std::size_t c, std::size_t s)
      : data(d), rows(r), cols(c), stride(s) {}
  // Any contiguous row-major rank-2 xtensor container or adaptor.
  template <class E, class = decltype(std::declval<const E&>().data()),
            class = std::enable_if_t<std::decay_t<E>::static_layout == xt::layout_type::row_major>>
  MatrixRef(const E& e)  // NOLINT: implicit, so xtensors pass straight in
      : data(e.data()), rows(e.shape()[0]), cols(e.dimension() > 1 ? e.shape()[1] : 1), stride(cols) {}

  const float* row(std::size_t i) const { return data + i * stride; }
  bool empty() const { return data == nullptr; }
};

// Read-only vector (biases, additive v, key padding flags use their own type).
struct VectorRef {
  const float* data = nullptr;
  std::size_t size = 0;
  VectorRef() = default;
  VectorRef(const float* d, std::size_t n) : data(d), size(n) {}
  template <class E, class = decltype(std::declval<const E&>().data())>
  VectorRef(const E& e) : data(e.data()), size(e.size()) {}  // NOLINT
  bool empty() const { return data == nullptr; }
};

// No-copy xtensor view of a caller's row-major buffer.
inline auto adapt_matrix(const float* data, std::size_t rows, std::size_t cols) {
  return xt::adapt(data, rows * cols, xt::no_ownership(), std::array<std::size_t, 2>{rows, cols});
}

}  // namespace attnscope
