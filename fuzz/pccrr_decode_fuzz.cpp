// libFuzzer entry point for the MS-PCCRR decoders; the checks are in pccrr_decode_target.cpp.
#include <cstdio>
#include <cstdlib>

#include "pccrr_decode_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto failure = peerdist_fuzz_pccrr_decode(data, size)) {
    std::fprintf(stderr, "pccrr_decode_fuzz: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
