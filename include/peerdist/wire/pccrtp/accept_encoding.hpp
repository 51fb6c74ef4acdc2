// Does a request's Accept-Encoding allow the peerdist content coding (spec digest §2)?
#pragma once

#include <string_view>

namespace peerdist::wire::pccrtp {

// True when the value lists the token "peerdist" (any case) with no q-value or a q-value above
// zero: "gzip, deflate, peerdist", "PeerDist;q=0.5". "peerdist;q=0" refuses it, and "*" does not
// count: a peerdist body is not the resource's bytes, so only a client that names the coding
// (and sends X-P2P-PeerDist) gets it. Malformed elements are skipped, never an error.
[[nodiscard]] bool accepts_peerdist(std::string_view accept_encoding) noexcept;

}  // namespace peerdist::wire::pccrtp
