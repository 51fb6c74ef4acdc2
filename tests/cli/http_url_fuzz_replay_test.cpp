// Replays the http_url fuzzer's corpus (seeds and every crash found so far) through the fuzzer's
// own checks, so that the normal gcc build guards against regressions without libFuzzer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "http_url_target.hpp"

namespace peerdist::cli {
namespace {

TEST(FuzzReplay, HttpUrlCorpus) {
  const std::filesystem::path dir = PEERDIST_FUZZ_CORPUS_DIR "/http_url";
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    ++files;
    const auto failure =
        peerdist_fuzz_http_url(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    EXPECT_FALSE(failure.has_value()) << entry.path().filename() << ": " << failure.value_or("");
  }
  EXPECT_GT(files, 0U) << "empty corpus " << dir;
}

}  // namespace
}  // namespace peerdist::cli
