// libFuzzer entry point for the data cache's row decoders; the checks are in
// data_cache_record_target.cpp.
#include <cstdio>
#include <cstdlib>

#include "data_cache_record_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto failure = peerdist_fuzz_data_cache_record(data, size)) {
    std::fprintf(stderr, "data_cache_record_fuzz: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
