#include "peerdist/net/peer_finder.hpp"

#include <algorithm>

namespace peerdist::net {

bool SegmentIdLess::operator()(const crypto::Digest& a, const crypto::Digest& b) const noexcept {
  if (a.size() != b.size()) return a.size() < b.size();
  const auto x = a.bytes();
  const auto y = b.bytes();
  return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
}

}  // namespace peerdist::net
