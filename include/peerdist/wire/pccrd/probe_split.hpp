// Cutting a list of wanted segments into probes that respect the per-probe caps (A22): each
// probe's XML at most kMaxProbeSize bytes, a v2 probe at most 255 IDs of one size.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/wire/pccrd/messages.hpp"

namespace peerdist::wire::pccrd {

// Length of encode_probe() for a probe of these IDs under this message ID, computed without
// encoding the IDs. The values must be encodable (see encode.hpp).
[[nodiscard]] std::size_t probe_size(Version version, std::span<const crypto::Digest> ids,
                                     std::string_view message_id);

// Probes, each with a fresh message ID (new_message_id()), that together ask for every ID in
// `ids`, in order, each ID once, in as few probes as the caps allow (greedy: each probe takes
// as many of the next IDs as fit). A v2 probe also ends where the ID size changes. Empty for no
// IDs. Throws std::invalid_argument for an ID of 0 or more than 64 bytes.
[[nodiscard]] std::vector<Probe> split_into_probes(Version version,
                                                   std::span<const crypto::Digest> ids);

}  // namespace peerdist::wire::pccrd
