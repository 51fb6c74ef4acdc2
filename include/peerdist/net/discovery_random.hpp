// The random delays of MS-PCCRD: a responder's backoff before it answers (1 ms..APP_MAX_DELAY,
// spec digest §2.5) and a prober's repeat of each probe (A34). Injected into the endpoints so
// that tests can make them deterministic.
#pragma once

#include <chrono>
#include <functional>

namespace peerdist::net {

// A delay in [min, max] (both included; min <= max).
using DelayPicker = std::function<std::chrono::milliseconds(std::chrono::milliseconds min,
                                                            std::chrono::milliseconds max)>;

// Uniformly distributed, from a generator seeded from the OpenSSL DRBG (the delays need no
// secrecy, only independence between hosts, so that their replies spread out).
[[nodiscard]] DelayPicker uniform_delay_picker();

}  // namespace peerdist::net
