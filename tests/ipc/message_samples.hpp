// One sample of every message, with distinct values in every field (so a swapped or dropped
// field shows), for the round-trip, reject and fuzz-seed tests.
#pragma once

#include <vector>

#include "peerdist/ipc/messages.hpp"

namespace peerdist::ipc::test {

// At least one of each Message alternative, in the order of kAllMessageTypes; the messages
// that carry a DataRef twice (inline and shared data).
std::vector<Message> samples();

}  // namespace peerdist::ipc::test
