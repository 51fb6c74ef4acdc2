// Fixed strings, numbers and caps of MS-PCCRD (spec digest §2.1, §2.2, §2.5, A22, A34).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace peerdist::wire::pccrd {

// --- Namespaces (§2.2). Decoders match by these URIs, whatever prefixes a sender chose; the
// encoders always bind exactly the prefixes below, because iPXE and the Types values depend on
// the literal text (see encode.hpp).
inline constexpr std::string_view kSoapNamespace = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kWsaNamespace =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing";
inline constexpr std::string_view kWsdNamespace = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
inline constexpr std::string_view kPeerDistNamespace =
    "http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery";
// WS-Discovery 1.1 (OASIS): other devices on port 3702 speak it; never PeerDist.
inline constexpr std::string_view kWsd11Namespace =
    "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01";

inline constexpr std::string_view kSoapPrefix = "soap";
inline constexpr std::string_view kWsaPrefix = "wsa";
inline constexpr std::string_view kWsdPrefix = "wsd";
inline constexpr std::string_view kPeerDistPrefix = "PeerDist";

// --- Addressing of the two messages.
inline constexpr std::string_view kProbeTo = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";
inline constexpr std::string_view kProbeAction =
    "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe";
inline constexpr std::string_view kProbeMatchTo =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
inline constexpr std::string_view kProbeMatchesAction =
    "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";

// --- Types (local names in the PeerDist namespace) and scope matching rules, per version.
inline constexpr std::string_view kV1TypeName = "PeerDistData";
inline constexpr std::string_view kV2TypeName = "PeerDistDataV2";
inline constexpr std::string_view kV1MatchBy =
    "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0";
inline constexpr std::string_view kV2MatchBy =
    "http://schemas.microsoft.com/p2p/2010/05/PeerDistV2MatchingRule";
inline constexpr std::uint32_t kV1MetadataVersion = 1;
inline constexpr std::uint32_t kV2MetadataVersion = 2;

// Custom ProbeMatch content: the wrapper (current name; the 2012 draft named the v2 wrapper
// PeerDistDataV2, A16) and its two children.
inline constexpr std::string_view kPeerDistDataElement = "PeerDistData";
inline constexpr std::string_view kPeerDistDataV2Element = "PeerDistDataV2";
inline constexpr std::string_view kBlockCountElement = "BlockCount";
inline constexpr std::string_view kSegmentAgesElement = "SegmentAges";

// --- Transport (§2.1).
inline constexpr std::uint16_t kUdpPort = 3702;
inline constexpr std::string_view kMulticastIpv4 = "239.255.255.250";
inline constexpr std::string_view kMulticastIpv6 = "ff02::c";
// Largest UDP payload over IPv4 (65,535 - 20 - 8): SOAP-over-UDP puts a whole envelope in one
// datagram, so nothing longer is a message. Decoders check it before parsing anything.
inline constexpr std::size_t kMaxDatagramSize = 65507;

// --- Timers (§2.5, A34).
// A responder waits a random 1 ms..APP_MAX_DELAY before answering (PeerDist's value, not the
// 500 ms of plain WS-Discovery): spreads the unicast replies of many peers.
inline constexpr std::chrono::milliseconds kAppMaxDelay{65};
// How long a prober collects ProbeMatches after its last send (Windows 7: 300 ms; the spec wants
// 200-500 ms and never less than kAppMaxDelay). Late matches are ignored.
inline constexpr std::chrono::milliseconds kClientWait{300};
// Each probe is sent twice (UDP loses multicast); the repeat goes out after a random delay in
// this window (A34: between SOAP-over-UDP's 50-250 ms and iPXE's 1 s, and well inside the wait).
inline constexpr std::chrono::milliseconds kProbeRepeatMinDelay{100};
inline constexpr std::chrono::milliseconds kProbeRepeatMaxDelay{250};

// --- Per-probe caps (A22).
// Keep each probe within one Ethernet frame's payload: a multicast datagram that fragments is
// lost when any fragment is, and many switches and Wi-Fi links drop fragments. ~1,400 bytes
// leaves room for IPv6 (40) + UDP (8) headers and tunnels below 1,500. With 32-byte IDs this
// fits 10 v1 IDs or 14 v2 IDs per probe (split_into_probes() computes it exactly).
inline constexpr std::size_t kMaxProbeSize = 1400;
// SegmentHashCount of a v2 scope is one byte.
inline constexpr std::size_t kMaxV2SegmentsPerProbe = 255;
// Segment IDs are hashes: 32 bytes in practice (Windows' PCCRR only takes 32), up to 64 for
// SHA-512 v1 content (A35). Decoders accept 1..64 bytes, encoders emit what they are given.
inline constexpr std::size_t kMaxSegmentIdSize = 64;

// --- Decoder limits on untrusted XML (not from the spec: bounds on work per datagram).
// Our messages have ~20 elements and are 6 deep; anything far past that is not a PeerDist
// message, and the caps keep hostile input (deep nesting, element floods) cheap to refuse.
inline constexpr std::size_t kMaxMarkup = 512;   // '<' characters in a datagram, checked first
inline constexpr std::size_t kMaxXmlDepth = 32;  // element nesting
// Longest URI we keep (MessageID, RelatesTo, endpoint Address): a urn:uuid is 45 characters.
inline constexpr std::size_t kMaxUriLength = 1024;

}  // namespace peerdist::wire::pccrd
