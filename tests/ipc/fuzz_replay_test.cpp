// Replays the ipc_decode fuzzer's corpus (seeds and every crash found so far) through the
// fuzzer's own checks, so that the normal gcc build guards against regressions without
// libFuzzer; and checks that the seeds still hold one valid frame of every message type.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <span>
#include <vector>

#include "peerdist/ipc/frame.hpp"
#include "peerdist/ipc/messages.hpp"

#include "ipc_decode_target.hpp"

namespace peerdist::ipc {
namespace {

std::vector<std::uint8_t> read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(FuzzReplay, IpcDecodeCorpus) {
  const std::filesystem::path dir = PEERDIST_FUZZ_CORPUS_DIR "/ipc_decode";
  std::size_t files = 0;
  std::set<MessageType> seeded;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const auto bytes = read(entry.path());
    ++files;
    const auto failure = peerdist_fuzz_ipc_decode(bytes.data(), bytes.size());
    EXPECT_FALSE(failure.has_value()) << entry.path().filename() << ": " << failure.value_or("");
    if (!entry.path().filename().string().starts_with("seed-")) continue;
    // A seed is whole, valid frames (crash inputs need not be).
    FrameAssembler assembler;
    std::span<const std::uint8_t> in(bytes);
    for (std::size_t guard = 0; guard < bytes.size() && !in.empty(); ++guard) {
      auto frame = assembler.next(in);
      ASSERT_TRUE(frame.has_value()) << entry.path().filename() << ": " << frame.error().message();
      ASSERT_TRUE(frame->has_value()) << entry.path().filename() << ": ends mid-frame";
      auto message = decode(**frame);
      ASSERT_TRUE(message.has_value())
          << entry.path().filename() << ": " << message.error().message();
      seeded.insert(type_of(*message));
    }
  }
  EXPECT_GT(files, 0U) << "empty corpus " << dir;
  EXPECT_EQ(seeded, std::set<MessageType>(kAllMessageTypes.begin(), kAllMessageTypes.end()))
      << "a message type has no seed";
}

}  // namespace
}  // namespace peerdist::ipc
