// The libFuzzer entry points of tests/fuzz/fuzz_*.cpp, compiled into the test
// suite under other names (see tests/fuzz/replay.cmake).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace attnscope::test {

struct FuzzTarget {
  const char* name;  // "fuzz_json": its inputs are in tests/fuzz/{corpus,regressions}/fuzz_json/
  int (*run)(const std::uint8_t* data, std::size_t size);
};

const std::vector<FuzzTarget>& fuzz_targets();

}  // namespace attnscope::test
