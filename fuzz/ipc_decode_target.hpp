// What the ipc_decode fuzzer checks, in one place: the libFuzzer entry point
// (ipc_decode_fuzz.cpp) aborts on a failure, and the normal build replays the corpus through the
// same function as a unit test (tests/ipc/fuzz_replay_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// Treats `data` as a byte stream from a peer: cuts it into frames with a FrameAssembler and
// decodes each frame's message. Checks, returning what failed (nullopt when all held):
//  - feeding the stream whole and in pieces (sizes picked from the input's bytes) yields the
//    same frames and the same error at the same stream offset, and an error is sticky;
//  - every frame's header and payload re-encode to exactly the bytes they came from;
//  - a message that decodes re-encodes to exactly its payload, with its frame's type;
//  - a rejected message or header gets an error naming a field at an offset inside it.
std::optional<std::string> peerdist_fuzz_ipc_decode(const std::uint8_t* data, std::size_t size);
