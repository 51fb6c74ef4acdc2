// The MS-PCCRTP fields of a response (docs/pccrtp.md, "The decision"), set in one place for
// the origin (`peerdist serve DIR`) and the reverse proxy (`--upstream`), so that both answer
// a BranchCache client with exactly the same headers.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <cstdint>
#include <string_view>

#include "peerdist/pccrc/types.hpp"
#include "peerdist/wire/pccrtp/decision.hpp"

namespace peerdist::net {

// The CI version a negotiation asks for.
[[nodiscard]] pccrc::Version ci_version_of(const wire::pccrtp::Negotiation& negotiation) noexcept;

// A peerdist answer: "Content-Encoding: peerdist" and "X-P2P-PeerDist: Version=<the client's>,
// ContentLength=<size of the whole entity>" (the body, the CI, is set by the caller).
void set_peerdist_fields(boost::beast::http::fields& fields,
                         const wire::pccrtp::Negotiation& negotiation, std::uint64_t entity_size);

// Plain content while the CI is not ready: "X-P2P-PeerDist: Version=<the client's>" and
// "X-P2P-PeerDistEx: MakeHashRequest=true".
void set_make_hash_fields(boost::beast::http::fields& fields,
                          const wire::pccrtp::Negotiation& negotiation);

// The access-log mode of a peerdist answer with a CI of that version.
[[nodiscard]] std::string_view peerdist_access_mode(pccrc::Version version) noexcept;

}  // namespace peerdist::net
