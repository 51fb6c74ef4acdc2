// The two MS-PCCRD messages as plain values (spec digest §2.3, §2.4): a Probe multicast by a
// client looking for segments, and the ProbeMatch a peer holding some of them sends back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/wire/pccrd/segment_ages.hpp"

namespace peerdist::wire::pccrd {

// v1 (Windows 7): hex scopes, block counts. v2 (Windows 8+): base64 scopes, presence bits and
// segment ages. The version is told by the Types value.
enum class Version : std::uint8_t { v1 = 1, v2 = 2 };

struct Probe {
  std::string message_id;  // wsa:MessageID, "urn:uuid:..." (new_message_id())
  Version version = Version::v1;
  // The segments looked for: HoHoDk. v2 probes carry IDs of one size (SegmentHashSize), at most
  // kMaxV2SegmentsPerProbe of them.
  std::vector<crypto::Digest> segment_ids;
  friend bool operator==(const Probe&, const Probe&) = default;
};

// wsd:AppSequence (xs:unsignedInt both): InstanceId grows with every restart of the responder,
// MessageNumber with every message it sends in that instance, so a receiver can order them.
struct AppSequence {
  std::uint32_t instance_id = 0;
  std::uint32_t message_number = 0;
  friend bool operator==(const AppSequence&, const AppSequence&) = default;
};

// v1: one matched segment (a scope) and the number of its blocks the peer holds.
struct BlockCount {
  crypto::Digest segment_id;
  std::uint32_t block_count = 0;
  friend bool operator==(const BlockCount&, const BlockCount&) = default;
};

// v2: two bits per probed segment, in probe order (A17: packed MSB first, segment 0 in bits 7-6
// of byte 0). The high bit: the peer has the segment, at least partly; the low bit: all of it.
struct SegmentPresence {
  bool has_some = false;
  bool has_all = false;
  friend bool operator==(const SegmentPresence&, const SegmentPresence&) = default;
};

struct ProbeMatchV1 {
  std::vector<BlockCount> segments;  // the probe's segments the peer holds, at least one
  friend bool operator==(const ProbeMatchV1&, const ProbeMatchV1&) = default;
};

struct ProbeMatchV2 {
  // One entry per probed segment. The bit array is whole bytes, so a decoded match has 4 per
  // byte (the probe's count rounded up to a multiple of 4, the padding entries all false): only
  // the probe knows the count (match.hpp's held_segments() checks and trims).
  std::vector<SegmentPresence> segments;
  // The ages the peer sent (indices are positions in the probe); nullopt when it sent none, or
  // sent a blob of an unknown version or inconsistent size (spec §1.7: ignore the blob).
  std::optional<SegmentAges> ages;
  friend bool operator==(const ProbeMatchV2&, const ProbeMatchV2&) = default;
};

struct ProbeMatch {
  std::string message_id;  // wsa:MessageID of this reply
  std::string relates_to;  // wsa:RelatesTo: the Probe's message_id
  AppSequence app_sequence;
  // wsa:EndpointReference/wsa:Address: "urn:uuid:..." naming the responding peer (Windows: a
  // new one per service start).
  std::string endpoint_address;
  // wsd:XAddrs: where the peer serves MS-PCCRR, "a.b.c.d:port" or "[v6]:port" (xaddr.hpp). At
  // least one.
  std::vector<std::string> xaddrs;
  std::variant<ProbeMatchV1, ProbeMatchV2> held;

  [[nodiscard]] Version version() const noexcept {
    return std::holds_alternative<ProbeMatchV1>(held) ? Version::v1 : Version::v2;
  }
  friend bool operator==(const ProbeMatch&, const ProbeMatch&) = default;
};

}  // namespace peerdist::wire::pccrd
