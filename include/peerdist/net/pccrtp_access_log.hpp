// One access-log line per response of the PeerDist origin (docs/pccrtp.md, "Access log").
// The format is stable: tests and benchmarks count the origin's bytes from it.
//
//   <time> <client> <method> <target> <status> <body-bytes> <mode>
//   2026-11-22T05:40:01.123Z 127.0.0.1 GET /big.iso 200 262 peerdist-v1
//
// time: UTC, ISO 8601 with milliseconds; client: the peer's IP address; target: as received
// (it has no spaces: HTTP forbids them); body-bytes: bytes of the body actually sent (not the
// header; less than Content-Length if the client went away); mode: peerdist-v1, peerdist-v2
// (the body is content information), plain, or plain+MakeHashRequest.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace peerdist::net {

inline constexpr std::string_view kAccessModePeerDistV1 = "peerdist-v1";
inline constexpr std::string_view kAccessModePeerDistV2 = "peerdist-v2";
inline constexpr std::string_view kAccessModePlain = "plain";
inline constexpr std::string_view kAccessModeMakeHashRequest = "plain+MakeHashRequest";

struct PccrtpAccessLogEntry {
  std::chrono::system_clock::time_point time;
  std::string client;  // IP address
  std::string method;
  std::string target;
  unsigned status = 0;
  std::uint64_t body_bytes = 0;
  std::string_view mode = kAccessModePlain;
};

// The line, without the newline. A method or target with control characters or spaces (which a
// parser that accepted the request could not have let through) is written with them escaped as
// \xNN, so that one entry is always one line of seven fields.
[[nodiscard]] std::string format_access_log_line(const PccrtpAccessLogEntry& entry);

}  // namespace peerdist::net
