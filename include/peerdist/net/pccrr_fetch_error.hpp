// Why one MS-PCCRR exchange with a peer gave no block (net::PccrrClient). What the caller does
// next depends on it: not_held asks the next peer; timed_out and connection_failed say the peer
// is unreachable for now; bad_data says the peer answered with bytes that are not the block
// (stop trusting it for this content); malformed and version_mismatch say it speaks no PCCRR we
// understand.
#pragma once

#include <cstdint>
#include <string_view>

namespace peerdist::net {

enum class FetchError : std::uint8_t {
  not_held,           // MSG_BLK with SizeOfBlock 0: the peer lacks the block, or is busy
  timed_out,          // the request timer or the caller's deadline expired first
  connection_failed,  // no TCP connection, or it broke before a whole response came
  bad_data,           // decrypted bytes fail their hash (A1's both readings), or the reply
                      // does not match the request (another segment or block, ranges outside
                      // those asked for)
  malformed,          // not HTTP 200 with one well-formed PCCRR response of the expected type
  version_mismatch,   // the peer answered MSG_NEGO_RESP: no common major version
};

// "not_held"
[[nodiscard]] std::string_view to_string(FetchError error) noexcept;

}  // namespace peerdist::net
