// libFuzzer entry point for `peerdist get`'s URL and Location parsing; the checks are in
// http_url_target.cpp.
#include <cstdio>
#include <cstdlib>

#include "http_url_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto failure = peerdist_fuzz_http_url(data, size)) {
    std::fprintf(stderr, "http_url_fuzz: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
