// Probe and ProbeMatch from a received datagram (spec digest §2.2-§2.4).
//
// Lenient in form, strict in content. Accepted: any namespace prefixes (names are resolved by
// URI), a default namespace, whitespace anywhere a list allows it, hex of either case (A14),
// BlockCount of 4 or 8 hex digits per scope (A15), both v2 wrappers (A16), XAddrs with
// "http://", IPv6 in brackets, host names, no port (A20). Refused with a DecodeError (the caller
// "silently discards" the datagram; the field names the spec element, e.g. "wsd:Scopes", the
// offset is where it starts in the datagram): a datagram over 65,507 bytes, with a NUL, too many
// tags, a DOCTYPE, nesting past the cap, or not well-formed; no SOAP 1.2 Envelope with Header and
// Body; a wrong or missing Action; a missing or malformed MessageID / RelatesTo / Address /
// AppSequence; a repeated element; no PeerDist Types (ProbeMatch) or both versions' Types;
// missing, empty or malformed Scopes (odd or non-hex digits, bad base64, an ID of 0 or more than
// 64 bytes, counts that do not match); a MatchBy of the other version; missing BlockCount, or one
// whose length is not 4 or 8 digits per scope; missing or malformed XAddrs.
//
// WS-Discovery shares UDP 3702 with printers, cameras and Windows' Function Discovery: a
// well-formed message that is simply not a PeerDist probe decodes to NotForUs, so that it is not
// counted as malformed.
#pragma once

#include <cstdint>
#include <span>
#include <variant>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrd/messages.hpp"

namespace peerdist::wire::pccrd {

struct NotForUs {
  enum class Reason : std::uint8_t {
    // Another WS-Discovery message (Hello, Bye, Resolve, a ProbeMatches, WS-Discovery 1.1...).
    other_action,
    // A Probe for other types, or for any type (no Types), or for PeerDist and other types.
    other_types,
  };
  Reason reason = Reason::other_types;
  friend bool operator==(const NotForUs&, const NotForUs&) = default;
};

using DecodedProbe = std::variant<Probe, NotForUs>;

// What arrives on the responder's port 3702.
[[nodiscard]] Expected<DecodedProbe, util::DecodeError> decode_probe(
    std::span<const std::uint8_t> datagram);

// What arrives on the prober's socket, unicast from a peer. Checks the message alone; whether it
// answers one of our probes is held_segments()'s business (match.hpp).
[[nodiscard]] Expected<ProbeMatch, util::DecodeError> decode_probe_match(
    std::span<const std::uint8_t> datagram);

}  // namespace peerdist::wire::pccrd
