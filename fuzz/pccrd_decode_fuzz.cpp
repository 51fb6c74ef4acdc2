// libFuzzer entry point for the MS-PCCRD decoders; the checks are in pccrd_decode_target.cpp.
#include <cstdio>
#include <cstdlib>

#include "pccrd_decode_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto failure = peerdist_fuzz_pccrd_decode(data, size)) {
    std::fprintf(stderr, "pccrd_decode_fuzz: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
