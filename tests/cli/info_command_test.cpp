// `peerdist info` end to end: decodes the Windows-captured vectors to the values they list.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/vector_file.hpp"

namespace peerdist::test {
namespace {

const std::string kCli = PEERDIST_CLI;

std::string as_string(const std::vector<std::uint8_t>& b) { return {b.begin(), b.end()}; }

TEST(InfoCommand, JsonOfTheWindowsV1VectorListsEveryValue) {
  const auto v = VectorFile::load("ipxe-iis85-v1.txt");
  TempDir dir;
  const auto path = dir.write("iis85.ci", v.bytes("ci_hex"));
  const auto r = run_process({kCli, "info", "--json", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"], "1.0");
  EXPECT_EQ(j["size"], v.number("ci.length"));
  EXPECT_EQ(j["header"]["dwHashAlgo"], v.number("ci.dwHashAlgo"));
  EXPECT_EQ(j["header"]["dwOffsetInFirstSegment"], v.number("ci.dwOffsetInFirstSegment"));
  EXPECT_EQ(j["header"]["dwReadBytesInLastSegment"], v.number("ci.dwReadBytesInLastSegment"));
  EXPECT_EQ(j["header"]["cSegments"], v.number("ci.cSegments"));
  EXPECT_EQ(j["range"]["start"], v.number("expected.range.start"));
  EXPECT_EQ(j["range"]["end"], v.number("expected.range.end"));
  const auto& seg = j["segments"].at(0);
  EXPECT_EQ(seg["offset"], v.number("segment.0.ullOffsetInContent"));
  EXPECT_EQ(seg["length"], v.number("segment.0.cbSegment"));
  EXPECT_EQ(seg["hod"], v.text("segment.0.hod_hex"));
  EXPECT_EQ(seg["kp"], v.text("segment.0.kp_hex"));
  EXPECT_EQ(seg["segment_id"], v.text("segment.0.hohodk_hex"));
  ASSERT_EQ(seg["blocks"].size(), v.number("segment.0.cBlocks_listed"));
  for (std::size_t b = 0; b < seg["blocks"].size(); ++b) {
    const std::string key = "segment.0.block." + std::to_string(b) + ".";
    const auto& block = seg["blocks"].at(b);
    EXPECT_EQ(block["offset"], v.number(key + "start"));
    EXPECT_EQ(block["offset"].get<std::uint64_t>() + block["length"].get<std::uint64_t>(), v.number(key + "end"));
    EXPECT_EQ(block["hash"], v.text(key + "hash_hex"));
  }
}

TEST(InfoCommand, JsonOfTheWindowsV2VectorListsEveryValue) {
  const auto v = VectorFile::load("ipxe-iis85-v2.txt");
  const auto r = run_process({kCli, "info", "--json", "-"}, as_string(v.bytes("ci_hex")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"], "2.0");
  EXPECT_EQ(j["header"]["bHashAlgo"], v.number("ci.bHashAlgo"));
  EXPECT_EQ(j["header"]["ullStartInContent"], v.number("ci.ullStartInContent"));
  EXPECT_EQ(j["header"]["ullLengthOfRange"], v.number("ci.ullLengthOfRange"));
  EXPECT_EQ(j["header"]["chunks"].at(0)["dwChunkDataLength"], v.number("chunk.0.dwChunkDataLength"));
  ASSERT_EQ(j["segments"].size(), 2U);
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string key = "segment." + std::to_string(i) + ".";
    const auto& seg = j["segments"].at(i);
    EXPECT_EQ(seg["index"], v.number(key + "index_in_content"));
    EXPECT_EQ(seg["offset"], v.number(key + "start"));
    EXPECT_EQ(seg["length"], v.number(key + "cbSegment"));
    EXPECT_EQ(seg["hod"], v.text(key + "hod_hex"));
    EXPECT_EQ(seg["kp"], v.text(key + "kp_hex"));
    EXPECT_EQ(seg["segment_id"], v.text(key + "hohodk_hex"));
  }
}

TEST(InfoCommand, TextNamesTheFieldsAndHashes) {
  const auto v = VectorFile::load("ipxe-iis85-v1.txt");
  const auto r = run_process({kCli, "info", "-"}, as_string(v.bytes("ci_hex")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& expected :
       {std::string("Content information 1.0, SHA-256, 166 bytes"), std::string("dwHashAlgo"),
        std::string("0x0000800C"), std::string("Version                    0x0100"), std::string("Range: bytes 0-99709 (99710 bytes)"),
        v.text("segment.0.hohodk_hex"), v.text("segment.0.block.1.hash_hex")}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << "missing: " << expected << "\n" << r.out;
  }
}

TEST(InfoCommand, InvalidContentInformationIsOneLineAndNonZero) {
  const auto v = VectorFile::load("ipxe-iis85-v1.txt");
  auto bytes = v.bytes("ci_hex");
  bytes[2] = 0x01;  // dwHashAlgo := 0x00008001
  const std::vector<std::string> bad = {as_string(bytes), as_string(v.bytes("ci_hex")).substr(0, 100),
                                        as_string(v.bytes("ci_hex")) + "x", std::string()};
  for (const auto& input : bad) {
    const auto r = run_process({kCli, "info", "-"}, input);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(r.out.empty());
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
    EXPECT_NE(r.err.find("invalid content information"), std::string::npos) << r.err;
  }
  const auto wrong_algo = run_process({kCli, "info", "-"}, bad[0]);
  EXPECT_NE(wrong_algo.err.find("dwHashAlgo"), std::string::npos) << wrong_algo.err;
  EXPECT_NE(wrong_algo.err.find("offset 2"), std::string::npos) << wrong_algo.err;
}

TEST(InfoCommand, HashOutputRoundTripsThroughInfo) {
  TempDir dir;
  std::vector<std::uint8_t> content(200000);
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<std::uint8_t>(i * 7 + (i >> 9));
  const auto input = dir.write("content", content);
  for (const char* version : {"1", "2"}) {
    const auto ci = run_process({kCli, "hash", input, "--ci-version", version, "--passphrase", "x", "-o", "-"});
    ASSERT_EQ(ci.exit_code, 0) << ci.err;
    const auto r = run_process({kCli, "info", "--json", "-"}, ci.out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["range"]["end"], content.size());
    std::uint64_t covered = 0;
    for (const auto& seg : j["segments"]) covered += seg["length"].get<std::uint64_t>();
    EXPECT_EQ(covered, content.size());
  }
}

}  // namespace
}  // namespace peerdist::test
