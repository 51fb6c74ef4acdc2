// MESSAGE_HEADER (spec digest §1.4): the 16 bytes every MS-PCCRR message starts with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "peerdist/wire/pccrr/protocol_version.hpp"

namespace peerdist::wire::pccrr {

// MESSAGE_HEADER.MsgType. 6 and 7 are missing from the 2012 spec's table but are what Windows
// 8+ and Microsoft's own test suite use (A9).
enum class MessageType : std::uint32_t {
  nego_req = 0,    // MSG_NEGO_REQ
  nego_resp = 1,   // MSG_NEGO_RESP
  getblklist = 2,  // MSG_GETBLKLIST
  getblks = 3,     // MSG_GETBLKS
  blklist = 4,     // MSG_BLKLIST
  blk = 5,         // MSG_BLK
  getseglist = 6,  // MSG_GETSEGLIST
  seglist = 7,     // MSG_SEGLIST
};
inline constexpr std::uint32_t kMaxMessageType = 7;

// "MSG_GETBLKS"
[[nodiscard]] std::string_view to_string(MessageType type) noexcept;

// Whether a client sends this type (requests travel without a transport header).
[[nodiscard]] constexpr bool is_request(MessageType type) noexcept {
  return type == MessageType::nego_req || type == MessageType::getblklist ||
         type == MessageType::getblks || type == MessageType::getseglist;
}

// MESSAGE_HEADER.CryptoAlgoId: the cipher of MSG_BLK's Block field (spec digest §1.8). In a
// request its meaning is undefined; clients send aes128 there (A4).
enum class CryptoAlgorithm : std::uint32_t {
  none = 0,    // plaintext, no IV
  aes128 = 1,  // AES-128-CBC, key = first 16 bytes of Kp (A1); Windows' default
  aes192 = 2,  // AES-192-CBC, first 24 bytes of Kp
  aes256 = 3,  // AES-256-CBC, first 32 bytes of Kp
};
inline constexpr std::uint32_t kMaxCryptoAlgorithm = 3;

// "AES-128"
[[nodiscard]] std::string_view to_string(CryptoAlgorithm algorithm) noexcept;

// Bytes of AES key the algorithm takes from Kp: 16, 24 or 32; 0 for none.
[[nodiscard]] constexpr std::size_t key_size(CryptoAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case CryptoAlgorithm::aes128: return 16;
    case CryptoAlgorithm::aes192: return 24;
    case CryptoAlgorithm::aes256: return 32;
    case CryptoAlgorithm::none: break;
  }
  return 0;
}

// The four fields, as decode_header() returns them.
struct MessageHeader {
  ProtocolVersion version;                         // ProtVer
  MessageType type = MessageType::nego_req;        // MsgType
  std::uint32_t size = 0;                          // MsgSize: header + body, in bytes
  CryptoAlgorithm crypto = CryptoAlgorithm::none;  // CryptoAlgoId
  friend constexpr bool operator==(const MessageHeader&, const MessageHeader&) = default;
};

}  // namespace peerdist::wire::pccrr
