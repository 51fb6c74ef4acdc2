// A block as the data cache and the protocols name it: the segment's public ID (HoHoDk) and the
// block's index in it. Content offsets are per content handle; this is what two contents
// sharing a segment, a peer and the cache agree on.
#pragma once

#include <algorithm>
#include <compare>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/pccrc/types.hpp"

namespace peerdist::service {

// Orders digests by size, then bytes (Digest has equality only); for ordered maps.
struct DigestLess {
  bool operator()(const crypto::Digest& a, const crypto::Digest& b) const noexcept {
    if (a.size() != b.size()) return a.size() < b.size();
    const auto x = a.bytes();
    const auto y = b.bytes();
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
  }
};

struct BlockKey {
  crypto::Digest segment_id;
  pccrc::BlockIndex index;
  friend bool operator==(const BlockKey&, const BlockKey&) = default;
};

struct BlockKeyLess {
  bool operator()(const BlockKey& a, const BlockKey& b) const noexcept {
    if (a.segment_id != b.segment_id) return DigestLess{}(a.segment_id, b.segment_id);
    return a.index < b.index;
  }
};

}  // namespace peerdist::service
