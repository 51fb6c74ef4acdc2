// What the pccrr_decode fuzzer checks, in one place: the libFuzzer entry point
// (pccrr_decode_fuzz.cpp) aborts on a failure, and the normal build replays the corpus through
// the same function as a unit test (tests/wire/pccrr/fuzz_replay_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// Feeds `data` to the MS-PCCRR decoders as a request (decode_request, decode_header) and as a
// response body (decode_response, strict and lenient), and checks, returning what failed
// (nullopt when all held):
//  - a rejected input gets an error naming a field at an offset inside the input;
//  - whatever decodes re-encodes without throwing, to the input itself or to a canonical form
//    of the same size (pads zeroed; +4 bytes for a SEGLIST in the 2012 layout) that decodes to
//    the same message and re-encodes to itself;
//  - decode_header agrees with decode_request; strict acceptance implies lenient acceptance of
//    the same message;
//  - a decoded MSG_BLK goes through decrypt_block without crashing.
std::optional<std::string> peerdist_fuzz_pccrr_decode(const std::uint8_t* data, std::size_t size);
