// What a peerdist::PublicationBuffer owns: ring slots (zero copy) or, without a ring, memory of
// its own. Shared with the AddOperation it is given to, which keeps it until the daemon has
// answered every piece that points into it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "peerdist/peerdist.hpp"

#include "core/ring.hpp"

namespace peerdist {

struct PublicationBuffer::Storage {
  std::optional<api::RingLease> lease;
  std::vector<std::uint8_t> memory;
  std::span<std::uint8_t> bytes;
};

}  // namespace peerdist
