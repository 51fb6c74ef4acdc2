// How MS-PCCRR messages travel (spec digest §1.1): one request per HTTP POST to a fixed path,
// answered 200 with TRANSPORT_RESPONSE_HEADER + one response message.
#pragma once

#include <cstdint>
#include <string_view>

namespace peerdist::wire::pccrr {

// The request target we send (A7): brace-less, this mixed case, slashes at both ends.
inline constexpr std::string_view kRetrievalPath = "/116B50EB-ECE2-41ac-8429-9F9E963361B7/";

// The spec fixes no port; Windows listens on 80 (A8). The port actually used for a peer is the
// one it advertises (PCCRD XAddrs, PCHC CONNECTION_INFORMATION).
inline constexpr std::uint16_t kDefaultPort = 80;

// Whether an HTTP request target names the retrieval endpoint (A7): any case, with or without
// the trailing slash, with or without the braces of the 2012 text. A query string is not part
// of it (no peer sends one).
[[nodiscard]] bool is_retrieval_path(std::string_view target) noexcept;

}  // namespace peerdist::wire::pccrr
