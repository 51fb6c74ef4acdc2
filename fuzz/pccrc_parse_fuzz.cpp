// libFuzzer entry point for pccrc::parse(); the checks are in pccrc_parse_target.cpp.
#include <cstdio>
#include <cstdlib>

#include "pccrc_parse_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto failure = peerdist_fuzz_pccrc_parse(data, size)) {
    std::fprintf(stderr, "pccrc_parse_fuzz: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
