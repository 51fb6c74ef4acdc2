// Replays the pccrc_parse fuzzer's corpus (seeds and every crash found so far) through the
// fuzzer's own checks, so that the normal gcc build guards against regressions without libFuzzer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "peerdist/pccrc/codec.hpp"

#include "pccrc_parse_target.hpp"

namespace {

TEST(FuzzReplay, PccrcParseCorpus) {
  const std::filesystem::path dir = PEERDIST_FUZZ_CORPUS_DIR "/pccrc_parse";
  std::size_t files = 0;
  std::size_t valid = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                          std::istreambuf_iterator<char>()};
    ++files;
    const auto parsed = peerdist::pccrc::parse(bytes);
    if (parsed.has_value()) ++valid;
    // Seeds are valid CIs (so the re-encode and slice checks run); crash inputs need not be.
    if (entry.path().filename().string().starts_with("seed-")) {
      EXPECT_TRUE(parsed.has_value())
          << entry.path().filename() << ": " << (parsed ? "" : parsed.error().message());
    }
    const auto failure = peerdist_fuzz_pccrc_parse(bytes.data(), bytes.size());
    EXPECT_FALSE(failure.has_value()) << entry.path().filename() << ": " << failure.value_or("");
  }
  EXPECT_GT(files, 0U) << "empty corpus " << dir;
  EXPECT_GT(valid, 0U);
}

}  // namespace
