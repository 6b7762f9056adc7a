// Replays every fuzz target on its seed corpus and on the crashers
// scripts/fuzz.sh saved, through the target's own entry point: a crasher that
// crashes again fails the suite (loudly under ASan). Directories are listed at
// run time, so a new crasher needs no rebuild.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_targets.hpp"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;  // a missing directory holds no inputs
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name[0] != '.' && name != "README.md") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::size_t replay(const test::FuzzTarget& target, const fs::path& dir) {
  const std::vector<fs::path> files = inputs(dir);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file, std::ios::binary);
    EXPECT_TRUE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    const std::string bytes = text.str();
    // An exact-size heap copy, as libFuzzer passes it: ASan sees any overread.
    const std::unique_ptr<std::uint8_t[]> data(new std::uint8_t[bytes.size()]);
    std::memcpy(data.get(), bytes.data(), bytes.size());
    EXPECT_EQ(target.run(data.get(), bytes.size()), 0);
  }
  return files.size();
}

TEST(FuzzRegressions, ReplayCorpusAndCrashers) {
  const fs::path root = ATTNSCOPE_FUZZ_DIR;
  ASSERT_GE(test::fuzz_targets().size(), 2u);  // fuzz_json, fuzz_safetensors at least
  for (const test::FuzzTarget& t : test::fuzz_targets()) {
    SCOPED_TRACE(t.name);
    // Every target ships a seed corpus: replaying none would mean the listing broke.
    EXPECT_GT(replay(t, root / "corpus" / t.name), 0u);
    const std::size_t crashers = replay(t, root / "regressions" / t.name);
    std::cout << "[ fuzz ] " << t.name << ": corpus replayed, " << crashers << " saved crasher(s) replayed\n";
  }
}

}  // namespace
}  // namespace attnscope
