// Probe and ProbeMatch as the UTF-8 text of one datagram (spec digest §2.3, §2.4).
//
// The output is one line, no whitespace between elements, with exactly the prefixes soap, wsa,
// wsd and PeerDist bound on the envelope: iPXE finds the reply's values by searching for the
// literal tags <wsd:Scopes>, <wsd:XAddrs> and <PeerDist:BlockCount> (so those three never carry
// attributes), and the Types values are QNames that only mean something with the PeerDist
// prefix bound as here.
//
//   v1 Scopes:  upper-case hex of each segment ID, space separated (A14), MatchBy strcmp0
//   v2 Scopes:  one base64 token of SegmentHashSize u16 BE | SegmentHashCount u8 | IDs
//   v1 reply:   matched IDs in Scopes; BlockCount = 8 hex digits per matched ID, same order (A15)
//   v2 reply:   Scopes = base64 of 2 bits per probed segment, MSB first (A17); segment ages in
//               PeerDist:PeerDistData/PeerDist:SegmentAges (the current wrapper name, A16)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "peerdist/wire/pccrd/messages.hpp"

namespace peerdist::wire::pccrd {

// Both throw std::invalid_argument for a value the decoders would refuse: a URI that is empty,
// too long, or has spaces or non-ASCII characters (valid_uri_value()); no segment ID, or one of
// 0 or more than 64 bytes; a v2 probe with more than 255 IDs or IDs of different sizes; a
// ProbeMatch without XAddrs or with one not in normal form (normalize_xaddr()), without
// segments, or with ages encode_segment_ages() refuses. None of these comes from the network:
// each decoded value re-encodes.
[[nodiscard]] std::string encode_probe(const Probe& probe);
[[nodiscard]] std::string encode_probe_match(const ProbeMatch& match);

// The v2 scope record and the v2 presence bits, the binary halves of the two v2 Scopes (before
// base64), for tests and tools.
[[nodiscard]] std::vector<std::uint8_t> v2_scope_record(const std::vector<crypto::Digest>& ids);
[[nodiscard]] std::vector<std::uint8_t> pack_presence(const std::vector<SegmentPresence>& segments);

}  // namespace peerdist::wire::pccrd
