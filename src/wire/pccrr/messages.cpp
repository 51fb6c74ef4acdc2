#include "peerdist/wire/pccrr/messages.hpp"

#include <algorithm>
#include <variant>

namespace peerdist::wire::pccrr {
namespace {

bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

bool operator==(const MsgBlk& a, const MsgBlk& b) noexcept {
  return a.version == b.version && a.crypto == b.crypto && a.segment_id == b.segment_id &&
         a.block_index == b.block_index && a.next_block_index == b.next_block_index &&
         same_bytes(a.block, b.block) && same_bytes(a.vrf_block, b.vrf_block) &&
         same_bytes(a.iv, b.iv);
}

MessageType type_of(const Request& request) noexcept {
  return std::visit([](const auto& m) { return m.kType; }, request);
}

MessageType type_of(const Response& response) noexcept {
  return std::visit([](const auto& m) { return m.kType; }, response);
}

MsgBlk missing_block(const SegmentId& segment_id, pccrc::BlockIndex index) {
  MsgBlk m;
  m.version = kVersion1;
  m.crypto = CryptoAlgorithm::none;
  m.segment_id = segment_id;
  m.block_index = index;
  m.next_block_index = pccrc::BlockIndex(0);
  return m;
}

}  // namespace peerdist::wire::pccrr
