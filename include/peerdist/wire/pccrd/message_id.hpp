// WS-Addressing message IDs and endpoint addresses: "urn:uuid:" and a random (version 4) UUID.
#pragma once

#include <string>
#include <string_view>

namespace peerdist::wire::pccrd {

inline constexpr std::string_view kUuidUrnPrefix = "urn:uuid:";

// A fresh "urn:uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (lower-case hex, RFC 4122 §4.4) from
// the OpenSSL DRBG. Used for each Probe, each ProbeMatch, and a peer's endpoint address.
[[nodiscard]] std::string new_message_id();

// What the decoders accept as a URI value (MessageID, RelatesTo, Address): 1..kMaxUriLength
// printable ASCII characters, no whitespace. Windows and iPXE send urn:uuid; other schemes pass,
// since only equality with our own IDs matters.
[[nodiscard]] bool valid_uri_value(std::string_view text) noexcept;

}  // namespace peerdist::wire::pccrd
