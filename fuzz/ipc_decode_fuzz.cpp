// libFuzzer entry point for the IPC frame assembler and message codec; the checks are in
// ipc_decode_target.cpp.
#include <cstdio>
#include <cstdlib>

#include "ipc_decode_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto failure = peerdist_fuzz_ipc_decode(data, size)) {
    std::fprintf(stderr, "ipc_decode_fuzz: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
