// The error every decoder of untrusted bytes (content information, wire messages, key files)
// returns: which field was wrong, where it starts, and why. Decoders never throw.
#pragma once

#include <cstdint>
#include <string>

namespace peerdist::util {

struct DecodeError {
  std::string field;         // spec name of the field, e.g. "dwHashAlgo" or "segment[2].cbSegment"
  std::uint64_t offset = 0;  // byte offset of that field in the decoded buffer
  std::string reason;        // what is wrong with it, e.g. "must be 65536, got 4096"

  // "dwHashAlgo at offset 2: must be 0x800C, 0x800D or 0x800E, got 0x00000001"
  [[nodiscard]] std::string message() const;
};

}  // namespace peerdist::util
