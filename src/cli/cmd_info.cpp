// peerdist info: decode and validate content information, for people (text) or programs (JSON).
#include <nlohmann/json.hpp>

#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "io.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/constants.hpp"

namespace peerdist::cli {
namespace {

struct InfoOptions {
  std::string input;
  bool json = false;
};

std::string hash_name(const pccrc::ContentInformation& ci) {
  if (ci.version() == pccrc::Version::v2) return "SHA-512/256 (truncated SHA-512)";
  switch (ci.scheme.algorithm) {
    case crypto::HashAlgorithm::sha256: return "SHA-256";
    case crypto::HashAlgorithm::sha384: return "SHA-384";
    case crypto::HashAlgorithm::sha512: return "SHA-512";
  }
  return "?";
}

std::uint32_t v1_hash_algo(const pccrc::ContentInformation& ci) {
  switch (ci.scheme.algorithm) {
    case crypto::HashAlgorithm::sha256: return pccrc::kCalgSha256;
    case crypto::HashAlgorithm::sha384: return pccrc::kCalgSha384;
    case crypto::HashAlgorithm::sha512: return pccrc::kCalgSha512;
  }
  return 0;
}

std::vector<std::uint32_t> chunk_counts(const pccrc::ContentInformation& ci) {
  if (!ci.v2.segments_per_chunk.empty()) return ci.v2.segments_per_chunk;
  return {static_cast<std::uint32_t>(ci.segments.size())};
}

// Header fields by their spec names, as on the wire.
nlohmann::ordered_json header_json(const pccrc::ContentInformation& ci) {
  nlohmann::ordered_json h;
  if (ci.version() == pccrc::Version::v1) {
    h["Version"] = pccrc::kV1Version;
    h["dwHashAlgo"] = v1_hash_algo(ci);
    h["dwOffsetInFirstSegment"] = ci.offset_in_first_segment();
    h["dwReadBytesInLastSegment"] = ci.v1.read_bytes_in_last_segment;
    h["cSegments"] = ci.segments.size();
  } else {
    h["bMinorVersion"] = pccrc::kV2MinorVersion;
    h["bMajorVersion"] = pccrc::kV2MajorVersion;
    h["bHashAlgo"] = pccrc::kV2HashAlgoSha512Trunc;
    h["ullStartInContent"] = ci.segments.front().offset;
    h["ullIndexOfFirstSegment"] = ci.segments.front().index.value();
    h["dwOffsetInFirstSegment"] = ci.offset_in_first_segment();
    h["ullLengthOfRange"] = ci.v2.length_of_range;
    auto chunks = nlohmann::ordered_json::array();
    for (const auto count : chunk_counts(ci)) {
      chunks.push_back({{"bChunkType", pccrc::kV2ChunkType},
                        {"dwChunkDataLength", count * pccrc::kV2SegmentDescriptionSize},
                        {"segments", count}});
    }
    h["chunks"] = chunks;
  }
  return h;
}

nlohmann::ordered_json to_json(const pccrc::ContentInformation& ci, std::size_t size) {
  nlohmann::ordered_json j;
  j["version"] = std::string(pccrc::to_string(ci.version()));
  j["hash"] = hash_name(ci);
  j["size"] = size;
  j["header"] = header_json(ci);
  j["range"] = {{"start", ci.range.start}, {"end", ci.range.end}, {"length", ci.range.length()}};
  auto segments = nlohmann::ordered_json::array();
  for (const auto& s : ci.segments) {
    nlohmann::ordered_json seg;
    seg["index"] = s.index.value();
    seg["offset"] = s.offset;
    seg["length"] = s.length;
    seg["hod"] = s.hod.hex();
    seg["kp"] = s.kp.hex();
    seg["segment_id"] = ci.segment_id(s).hex();
    auto blocks = nlohmann::ordered_json::array();
    for (const auto& b : ci.blocks(s)) {
      blocks.push_back({{"index", b.index.value()},
                        {"offset", b.offset},
                        {"length", b.length},
                        {"hash", b.hash.hex()}});
    }
    seg["blocks"] = blocks;
    segments.push_back(seg);
  }
  j["segments"] = segments;
  return j;
}

void print_text(const pccrc::ContentInformation& ci, std::size_t size) {
  const auto header = header_json(ci);
  std::printf("Content information %s, %s, %zu bytes\n", std::string(pccrc::to_string(ci.version())).c_str(),
              hash_name(ci).c_str(), size);
  std::printf("Header:\n");
  for (const auto& [name, value] : header.items()) {
    if (name == "chunks") {
      std::size_t i = 0;
      for (const auto& chunk : value) {
        std::printf("  chunk[%zu]: bChunkType %u, dwChunkDataLength %u (%u segments)\n", i++,
                    chunk["bChunkType"].get<unsigned>(), chunk["dwChunkDataLength"].get<unsigned>(),
                    chunk["segments"].get<unsigned>());
      }
    } else if (name == "dwHashAlgo") {
      std::printf("  %-26s 0x%08X\n", name.c_str(), value.get<unsigned>());
    } else if (name == "Version") {
      std::printf("  %-26s 0x%04X\n", name.c_str(), value.get<unsigned>());
    } else {
      std::printf("  %-26s %s\n", name.c_str(), value.dump().c_str());
    }
  }
  std::printf("Range: bytes %" PRIu64 "-%" PRIu64 " (%" PRIu64 " bytes)\n", ci.range.start,
              ci.range.end - 1, ci.range.length());
  std::printf("Segments: %zu\n", ci.segments.size());
  for (const auto& s : ci.segments) {
    const auto blocks = ci.blocks(s);
    std::printf("Segment %" PRIu64 ": offset %" PRIu64 ", length %u, %zu block%s listed\n",
                s.index.value(), s.offset, s.length, blocks.size(), blocks.size() == 1 ? "" : "s");
    std::printf("  HoD         %s\n", s.hod.hex().c_str());
    std::printf("  Kp          %s\n", s.kp.hex().c_str());
    std::printf("  Segment ID  %s\n", ci.segment_id(s).hex().c_str());
    for (const auto& b : blocks) {
      std::printf("  block %-4u offset %-12" PRIu64 " length %-6u %s\n", b.index.value(), b.offset,
                  b.length, b.hash.hex().c_str());
    }
  }
}

int run_info(const InfoOptions& o) {
  auto bytes = read_all(o.input, pccrc::kMaxContentInformationSize);
  if (!bytes) {
    std::cerr << "peerdist info: " << bytes.error() << '\n';
    return kExitFailure;
  }
  auto ci = pccrc::parse(*bytes);
  if (!ci) {
    std::cerr << "peerdist info: invalid content information: " << ci.error().message() << '\n';
    return kExitFailure;
  }
  if (o.json) {
    std::cout << to_json(*ci, bytes->size()).dump(2) << '\n';
  } else {
    print_text(*ci, bytes->size());
  }
  return kExitOk;
}

}  // namespace

void add_info_command(CLI::App& app, Runner& chosen) {
  auto options = std::make_shared<InfoOptions>();
  auto* cmd = app.add_subcommand("info", "Decode and validate content information");
  cmd->add_option("CI_FILE", options->input, "content information file ('-' for stdin)")->required();
  cmd->add_flag("--json", options->json, "print one JSON object (hashes as hex strings)");
  cmd->callback([options, &chosen] { chosen = [options] { return run_info(*options); }; });
}

}  // namespace peerdist::cli
