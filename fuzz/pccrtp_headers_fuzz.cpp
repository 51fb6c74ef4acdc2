// libFuzzer entry point for the MS-PCCRTP header parsers; the checks are in
// pccrtp_headers_target.cpp.
#include <cstdio>
#include <cstdlib>

#include "pccrtp_headers_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto failure = peerdist_fuzz_pccrtp_headers(data, size)) {
    std::fprintf(stderr, "pccrtp_headers_fuzz: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
