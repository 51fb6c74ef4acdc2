// What the pccrc_parse fuzzer checks, in one place: the libFuzzer entry point
// (pccrc_parse_fuzz.cpp) aborts on a failure, and the normal build replays the corpus through the
// same function as a unit test (tests/pccrc/fuzz_replay_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// Feeds `data` to pccrc::parse() and checks, returning what failed (nullopt when all held):
//  - a rejected input gets an error naming a field at an offset inside the input;
//  - an accepted input re-encodes to exactly itself, and its model is consistent (non-empty range
//    inside the listed segments, blocks inside their segments);
//  - a sub-range picked from the input's bytes slices (unless the CI lacks blocks the sliced
//    lists need), and the slice's encoding parses back to the slice.
std::optional<std::string> peerdist_fuzz_pccrc_parse(const std::uint8_t* data, std::size_t size);
