// Prints which SIMD arch the kernels were compiled for, so a run's log shows
// whether the wasm path (or AVX2/AVX-512) was exercised.
#include <gtest/gtest.h>

#include <iostream>

#include "kernels/arch.hpp"

namespace {
class ArchEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::cout << "[ attnscope ] xsimd arch: " << attnscope::kernels::arch_name() << " ("
              << attnscope::kernels::kLanes << " float lanes)" << std::endl;
  }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new ArchEnvironment);
}  // namespace
