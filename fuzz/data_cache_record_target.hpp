// What the data_cache_record fuzzer checks, in one place: the libFuzzer entry point
// (data_cache_record_fuzz.cpp) aborts on a failure, and the normal build replays the corpus
// through the same function (tests/store/data_cache_record_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// Feeds `data` to the decoders of what the data cache reads back from cache.sqlite
// (src/store/data_cache_record.hpp) and checks, returning what failed (nullopt when all held):
//  - decode_descriptor(data): an accepted descriptor is well formed and re-encodes to exactly
//    `data`; a rejected one names a field at an offset inside the input;
//  - decode_row() of a row whose integer columns are read from the first 25 bytes (version u8,
//    segment_length u32, block_size u32, present_count u32, bytes_present u32, times u32 x2)
//    and whose present bitmap is the rest: an accepted row has a valid geometry, a bitmap of one
//    bit per block equal to the input, and counts that agree with it.
std::optional<std::string> peerdist_fuzz_data_cache_record(const std::uint8_t* data,
                                                           std::size_t size);
