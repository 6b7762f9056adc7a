// libFuzzer target: SafeTensors::parse, then read_f32 / read_f32_finite of
// every tensor it accepts. Each input is tried twice: as a whole file (the
// length field as given), and split at its first NUL into header text and data
// section with a correct length field, so mutations that grow or shrink the
// header still reach the validation past it. Also replayed by
// tests/cpp/fuzz_regressions_test.cpp.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "io/safetensors.hpp"

namespace {

using attnscope::io::SafeTensors;
using attnscope::io::TensorInfo;

void check(const std::uint8_t* data, std::size_t size) {
  const attnscope::Result<SafeTensors> st = SafeTensors::parse(data, size);
  if (!st.is_ok()) return;
  const std::vector<TensorInfo>& all = st->tensors();
  // No two tensors share a byte (checked pairwise here, by a sort in parse()).
  for (std::size_t i = 0; i < all.size(); ++i)
    for (std::size_t j = i + 1; j < all.size(); ++j)
      if (std::max(all[i].begin, all[j].begin) < std::min(all[i].end, all[j].end)) __builtin_trap();
  std::vector<float> out;
  for (const TensorInfo& t : all) {
    // parse() promised these; a violation is a bug even if nothing crashes.
    if (t.begin > t.end || t.end > st->data_size() || t.end - t.begin != t.elements * dtype_size(t.dtype))
      __builtin_trap();
    if (st->find(t.name) != &t) __builtin_trap();
    out.assign(t.elements, 0.f);
    st->read_f32(t, out.data());
    (void)st->read_f32_finite(t, out.data());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(data, size);  // libFuzzer's buffer is exactly `size` bytes: ASan sees overreads

  const void* nul = size ? std::memchr(data, 0, size) : nullptr;
  const std::size_t header =
      nul ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - data) : size;
  std::vector<std::uint8_t> file(8);
  for (int i = 0; i < 8; ++i)
    file[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(header) >> (8 * i));
  file.insert(file.end(), data, data + size);
  if (nul) file.erase(file.begin() + 8 + static_cast<std::ptrdiff_t>(header));  // drop the separator
  check(file.data(), file.size());
  return 0;
}
