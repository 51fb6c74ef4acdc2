// What the pccrd_decode fuzzer checks, in one place: the libFuzzer entry point
// (pccrd_decode_fuzz.cpp) aborts on a failure, and the normal build replays the corpus through
// the same function as a unit test (tests/wire/pccrd/fuzz_replay_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// Feeds `data` to every MS-PCCRD decoder and checks, returning what failed (nullopt when all
// held):
//  - decode_probe / decode_probe_match / decode_segment_ages: a refusal names a field at an
//    offset inside the input; whatever decodes re-encodes without throwing and decodes to an
//    equal value (a Probe also stays within its own probe_size());
//  - base64_decode and parse_xaddr on the input as text: what decodes re-encodes to a fixed
//    point.
std::optional<std::string> peerdist_fuzz_pccrd_decode(const std::uint8_t* data, std::size_t size);
