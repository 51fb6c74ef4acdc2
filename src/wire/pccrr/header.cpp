// MESSAGE_HEADER (spec digest §1.4), the names of its enumerations, and the direction and
// version checks every message decoder starts with.
#include <string>

#include "peerdist/util/byte_reader.hpp"
#include "peerdist/wire/pccrr/codec.hpp"
#include "peerdist/wire/pccrr/limits.hpp"

#include "header_check.hpp"

namespace peerdist::wire::pccrr {
namespace {

constexpr std::size_t kMsgTypeOffset = 4;
constexpr std::size_t kMsgSizeOffset = 8;
constexpr std::size_t kCryptoAlgoIdOffset = 12;

util::DecodeError header_error(std::size_t offset, std::string_view field, std::string reason) {
  return util::DecodeError{"MESSAGE_HEADER." + std::string(field), offset, std::move(reason)};
}

}  // namespace

std::string ProtocolVersion::to_string() const {
  return std::to_string(major) + "." + std::to_string(minor);
}

std::string_view to_string(MessageType type) noexcept {
  switch (type) {
    case MessageType::nego_req: return "MSG_NEGO_REQ";
    case MessageType::nego_resp: return "MSG_NEGO_RESP";
    case MessageType::getblklist: return "MSG_GETBLKLIST";
    case MessageType::getblks: return "MSG_GETBLKS";
    case MessageType::blklist: return "MSG_BLKLIST";
    case MessageType::blk: return "MSG_BLK";
    case MessageType::getseglist: return "MSG_GETSEGLIST";
    case MessageType::seglist: return "MSG_SEGLIST";
  }
  return "MSG_?";
}

std::string_view to_string(CryptoAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case CryptoAlgorithm::none: return "none";
    case CryptoAlgorithm::aes128: return "AES-128";
    case CryptoAlgorithm::aes192: return "AES-192";
    case CryptoAlgorithm::aes256: return "AES-256";
  }
  return "?";
}

Expected<MessageHeader, util::DecodeError> decode_header(std::span<const std::uint8_t> message) {
  util::ByteReader r(message);
  auto prot_ver = r.u32be("MESSAGE_HEADER.ProtVer");
  if (!prot_ver) return Unexpected(prot_ver.error());
  auto msg_type = r.u32be("MESSAGE_HEADER.MsgType");
  if (!msg_type) return Unexpected(msg_type.error());
  auto msg_size = r.u32be("MESSAGE_HEADER.MsgSize");
  if (!msg_size) return Unexpected(msg_size.error());
  auto crypto_algo_id = r.u32be("MESSAGE_HEADER.CryptoAlgoId");
  if (!crypto_algo_id) return Unexpected(crypto_algo_id.error());

  if (*msg_type > kMaxMessageType) {
    return Unexpected(
        header_error(kMsgTypeOffset, "MsgType", "must be 0..7, got " + std::to_string(*msg_type)));
  }
  const auto type = static_cast<MessageType>(*msg_type);
  const std::uint32_t cap = is_request(type) ? kMaxRequestSize : kMaxResponseSize;
  if (*msg_size > cap) {
    return Unexpected(header_error(kMsgSizeOffset, "MsgSize",
                                   std::to_string(*msg_size) + " exceeds the " +
                                       std::to_string(cap) + "-byte cap of " +
                                       (is_request(type) ? "requests" : "responses")));
  }
  if (*msg_size != message.size()) {
    return Unexpected(header_error(kMsgSizeOffset, "MsgSize",
                                   "says " + std::to_string(*msg_size) +
                                       " bytes, the message has " +
                                       std::to_string(message.size())));
  }
  if (*crypto_algo_id > kMaxCryptoAlgorithm) {
    return Unexpected(header_error(kCryptoAlgoIdOffset, "CryptoAlgoId",
                                   "must be 0..3, got " + std::to_string(*crypto_algo_id)));
  }
  return MessageHeader{ProtocolVersion::from_wire(*prot_ver), type, *msg_size,
                       static_cast<CryptoAlgorithm>(*crypto_algo_id)};
}

namespace detail {

Expected<MessageHeader, util::DecodeError> decode_header_of(std::span<const std::uint8_t> message,
                                                            Framing framing) {
  auto header = decode_header(message);
  if (!header) return header;
  const bool want_request = framing == Framing::request;
  if (is_request(header->type) != want_request) {
    return Unexpected(
        header_error(kMsgTypeOffset, "MsgType",
                     std::string(to_string(header->type)) + " is a " +
                         (want_request ? "response, not a request" : "request, not a response")));
  }
  // The negotiation messages must be understood whatever version sent them: answering an
  // unknown version is their purpose.
  const bool negotiation =
      header->type == MessageType::nego_req || header->type == MessageType::nego_resp;
  if (!negotiation && !is_known_major(header->version)) {
    return Unexpected(header_error(0, "ProtVer",
                                   "version " + header->version.to_string() +
                                       " has an unknown major version (this codec knows 1 and "
                                       "2; a server answers MSG_NEGO_RESP)"));
  }
  return header;
}

}  // namespace detail
}  // namespace peerdist::wire::pccrr
