// What the pccrtp_headers fuzzer checks, in one place: the libFuzzer entry point
// (pccrtp_headers_fuzz.cpp) aborts on a failure, and the normal build replays the corpus through
// the same function as a unit test (tests/wire/pccrtp/fuzz_replay_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// Feeds `data` as a header value to every MS-PCCRTP parser and checks, returning what failed
// (nullopt when all held):
//  - parse_items: items lie inside the input, names non-empty;
//  - parse_peerdist_header / parse_peerdist_ex_header: a refusal names a field at an offset
//    inside the input; what parses re-formats and parses to an equal value;
//  - accepts_peerdist and decide() on the input as each header: no crash, and a peerdist
//    outcome only with a supported version.
std::optional<std::string> peerdist_fuzz_pccrtp_headers(const std::uint8_t* data, std::size_t size);
