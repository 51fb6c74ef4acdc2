// Replays the pccrr_decode fuzzer's corpus (seeds and every crash found so far) through the
// fuzzer's own checks, so that the normal gcc build guards against regressions without
// libFuzzer; and checks that the seeds hold a valid message of every type. The seeds were
// written by make_seeds.py from the spec digest's layouts, not by our encoder, so they also
// check the encoder: a seed must re-encode to itself byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include "peerdist/wire/pccrr/codec.hpp"

#include "pccrr_decode_target.hpp"

namespace peerdist::wire::pccrr {
namespace {

std::vector<std::uint8_t> read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(FuzzReplay, PccrrDecodeCorpus) {
  const std::filesystem::path dir = PEERDIST_FUZZ_CORPUS_DIR "/pccrr_decode";
  std::size_t files = 0;
  std::set<MessageType> seeded;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const auto bytes = read(entry.path());
    const auto name = entry.path().filename().string();
    ++files;
    const auto failure = peerdist_fuzz_pccrr_decode(bytes.data(), bytes.size());
    EXPECT_FALSE(failure.has_value()) << name << ": " << failure.value_or("");
    if (!name.starts_with("seed-")) continue;
    // A seed is one valid request or response (crash inputs need not be).
    if (auto request = decode_request(bytes)) {
      seeded.insert(type_of(*request));
      EXPECT_EQ(encode_request(*request), bytes) << name;
    } else if (auto response = decode_response(bytes)) {
      seeded.insert(type_of(*response));
      if (!name.starts_with("seed-seglist-2012")) {
        EXPECT_EQ(encode_response(*response), bytes) << name;
      }
    } else {
      ADD_FAILURE() << name << " decodes neither as a request (" << request.error().message()
                    << ") nor as a response (" << response.error().message() << ")";
    }
  }
  EXPECT_GT(files, 0U) << "empty corpus " << dir;
  EXPECT_EQ(seeded.size(), kMaxMessageType + 1) << "a message type has no seed";
}

}  // namespace
}  // namespace peerdist::wire::pccrr
