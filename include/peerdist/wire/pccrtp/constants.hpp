// Names, tokens and versions of MS-PCCRTP (spec digest §2, §3), and the server's policies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "peerdist/wire/pccrtp/version.hpp"

namespace peerdist::wire::pccrtp {

// --- Header fields (case-insensitive as every HTTP field name; this is Windows' spelling).
inline constexpr std::string_view kPeerDistField = "X-P2P-PeerDist";
inline constexpr std::string_view kPeerDistExField = "X-P2P-PeerDistEx";
// The content-coding token in Accept-Encoding / Content-Encoding (matched case-insensitively).
inline constexpr std::string_view kPeerDistCoding = "peerdist";

// --- Item names of the two headers (matched case-insensitively).
inline constexpr std::string_view kVersionItem = "Version";
inline constexpr std::string_view kContentLengthItem = "ContentLength";
inline constexpr std::string_view kMissingDataRequestItem = "MissingDataRequest";
inline constexpr std::string_view kMinContentInformationItem = "MinContentInformation";
inline constexpr std::string_view kMaxContentInformationItem = "MaxContentInformation";
inline constexpr std::string_view kMakeHashRequestItem = "MakeHashRequest";
inline constexpr std::string_view kHashRequestItem = "HashRequest";

// --- PeerDist protocol versions (X-P2P-PeerDist: Version). 1.0: Vista/7/2008 R2; 1.1: 8 and
// later (spec digest §3). We support exactly these two; anything else (999.999 in Microsoft's
// suite) gets the plain content.
inline constexpr Version kPeerDistVersion10{1, 0};
inline constexpr Version kPeerDistVersion11{1, 1};

// --- Content information versions (X-P2P-PeerDistEx: Min/MaxContentInformation).
inline constexpr Version kContentInformationV1{1, 0};
inline constexpr Version kContentInformationV2{2, 0};

// --- Server policy.
// Below one 64 KiB block, a peerdist answer (a CI of >= 134 bytes, then discovery and peer
// round trips for a single block) costs the client more than the bytes themselves; Windows'
// BranchCache also leaves content under 64 KB out of its caches.
inline constexpr std::uint64_t kMinimumPeerDistSize = std::uint64_t{64} * 1024;

// Longest header value the item-list parsers read. The real values are under 100 bytes; the
// HTTP server already caps the whole header block, this only keeps a parser's work bounded
// when it is called on other input (the fuzzer, a proxy's upstream headers).
inline constexpr std::size_t kMaxItemListLength = 4096;

}  // namespace peerdist::wire::pccrtp
