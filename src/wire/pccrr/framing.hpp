// Internal to the codec: which way a message travels. Requests are bare messages (capped at
// kMaxRequestSize); responses carry TRANSPORT_RESPONSE_HEADER in front (capped at
// kMaxResponseSize).
#pragma once

#include <cstdint>

namespace peerdist::wire::pccrr::detail {

enum class Framing : std::uint8_t { request, response };

}  // namespace peerdist::wire::pccrr::detail
