// Replays the pccrd_decode fuzzer's corpus (seeds and every crash found so far) through the
// fuzzer's own checks, so that the normal gcc build guards against regressions without libFuzzer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "peerdist/wire/pccrd/decode.hpp"

#include "pccrd_decode_target.hpp"

namespace peerdist::wire::pccrd {
namespace {

TEST(FuzzReplay, PccrdDecodeCorpus) {
  const std::filesystem::path dir = PEERDIST_FUZZ_CORPUS_DIR "/pccrd_decode";
  std::size_t files = 0;
  std::size_t probes = 0;
  std::size_t matches = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                          std::istreambuf_iterator<char>()};
    ++files;
    const auto probe = decode_probe(bytes);
    const bool is_probe = probe.has_value() && std::holds_alternative<Probe>(*probe);
    const bool is_match = decode_probe_match(bytes).has_value();
    probes += is_probe ? 1U : 0U;
    matches += is_match ? 1U : 0U;
    // Seeds named seed-probe-* / seed-match-* are valid messages of that kind, so the re-encode
    // checks run on them; other inputs (crashes, odd cases) need not decode.
    const std::string name = entry.path().filename().string();
    if (name.starts_with("seed-probe-")) {
      EXPECT_TRUE(is_probe) << name;
    }
    if (name.starts_with("seed-match-")) {
      EXPECT_TRUE(is_match) << name;
    }
    const auto failure = peerdist_fuzz_pccrd_decode(bytes.data(), bytes.size());
    EXPECT_FALSE(failure.has_value()) << name << ": " << failure.value_or("");
  }
  EXPECT_GT(files, 0U) << "empty corpus " << dir;
  EXPECT_GT(probes, 0U);
  EXPECT_GT(matches, 0U);
}

}  // namespace
}  // namespace peerdist::wire::pccrd
