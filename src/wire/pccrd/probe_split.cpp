#include "peerdist/wire/pccrd/probe_split.hpp"

#include <stdexcept>
#include <string>

#include "peerdist/util/checked.hpp"
#include "peerdist/wire/pccrd/constants.hpp"
#include "peerdist/wire/pccrd/encode.hpp"
#include "peerdist/wire/pccrd/message_id.hpp"

namespace peerdist::wire::pccrd {
namespace {

constexpr std::size_t kV2ScopeHeaderSize = 3;

// Characters of the Scopes text for n IDs of `id_size` bytes (v2: all the same size).
std::size_t scopes_length(Version version, std::size_t n, std::size_t total_id_bytes) {
  if (n == 0) return 0;
  if (version == Version::v1) return 2 * total_id_bytes + (n - 1);
  return 4 * util::ceil_div<std::size_t>(kV2ScopeHeaderSize + total_id_bytes, 3);
}

// Everything of a probe but its Scopes text: encode a probe of one ID and take that ID's text
// away. Exact (escaping in the message ID included), and stays right whatever the encoder's
// skeleton becomes.
std::size_t probe_overhead(Version version, const crypto::Digest& one_id,
                           std::string_view message_id) {
  Probe probe;
  probe.message_id = std::string(message_id);
  probe.version = version;
  probe.segment_ids = {one_id};
  return encode_probe(probe).size() - scopes_length(version, 1, one_id.size());
}

void check_id(const crypto::Digest& id) {
  if (id.empty() || id.size() > kMaxSegmentIdSize) {
    throw std::invalid_argument("PCCRD: a segment ID has 1..64 bytes");
  }
}

}  // namespace

std::size_t probe_size(Version version, std::span<const crypto::Digest> ids,
                       std::string_view message_id) {
  if (ids.empty()) throw std::invalid_argument("PCCRD: a probe needs at least one segment ID");
  std::size_t total = 0;
  for (const crypto::Digest& id : ids) {
    check_id(id);
    total += id.size();
  }
  return probe_overhead(version, ids.front(), message_id) +
         scopes_length(version, ids.size(), total);
}

std::vector<Probe> split_into_probes(Version version, std::span<const crypto::Digest> ids) {
  std::vector<Probe> probes;
  std::size_t i = 0;
  while (i < ids.size()) {
    check_id(ids[i]);
    Probe probe;
    probe.message_id = new_message_id();
    probe.version = version;
    const std::size_t overhead = probe_overhead(version, ids[i], probe.message_id);
    std::size_t n = 1;
    std::size_t bytes = ids[i].size();
    while (i + n < ids.size()) {
      const crypto::Digest& next = ids[i + n];
      check_id(next);
      if (version == Version::v2 && (n == kMaxV2SegmentsPerProbe || next.size() != ids[i].size())) {
        break;
      }
      if (overhead + scopes_length(version, n + 1, bytes + next.size()) > kMaxProbeSize) break;
      ++n;
      bytes += next.size();
    }
    probe.segment_ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(i),
                             ids.begin() + static_cast<std::ptrdiff_t>(i + n));
    probes.push_back(std::move(probe));
    i += n;
  }
  return probes;
}

}  // namespace peerdist::wire::pccrd
