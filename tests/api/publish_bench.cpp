// api_publish_bench: publication throughput through libpeerdist against a running peerdistd
// (PEERDIST_SOCKET), and the client's CPU time per GiB, for the three data paths:
//   copy   - PeerDistServerPublishAddToStream with the caller's buffer (copied into the ring)
//   file   - peerdist::Instance::publish_file (read straight into ring buffers, zero copy)
//   pieces - the C API fed in 256 KiB calls (one call in flight: no pipelining across calls)
// Not a test: a measuring tool. Usage: api_publish_bench [MiB] [FILE]
#include <peerdist_compat.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "peerdist/peerdist.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace {

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

DWORD wait(HANDLE port) {
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED done = nullptr;
  if (GetQueuedCompletionStatus(port, &bytes, &key, &done, 600000)) return 0;
  return done == nullptr ? WAIT_TIMEOUT : GetLastError();
}

DWORD publish_c(PEERDIST_INSTANCE_HANDLE instance, const std::string& id,
                const std::vector<BYTE>& data, std::size_t call) {
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  DWORD error = PeerDistServerPublishStream(instance, static_cast<DWORD>(id.size()),
                                            reinterpret_cast<PBYTE>(const_cast<char*>(id.data())),
                                            data.size(), nullptr, port, 0, &stream);
  for (std::size_t done = 0; error == 0 && done < data.size(); done += call) {
    OVERLAPPED ov{};
    const auto n = static_cast<DWORD>(std::min(call, data.size() - done));
    error = PeerDistServerPublishAddToStream(instance, stream, n,
                                             const_cast<BYTE*>(data.data() + done), &ov);
    if (error == ERROR_IO_PENDING) error = wait(port);
  }
  OVERLAPPED ov{};
  if (error == 0) error = PeerDistServerPublishCompleteStream(instance, stream, &ov);
  if (error == ERROR_IO_PENDING) error = wait(port);
  PeerDistServerCloseStreamHandle(instance, stream);
  PeerDistServerUnpublish(instance, static_cast<DWORD>(id.size()),
                          reinterpret_cast<PBYTE>(const_cast<char*>(id.data())));
  CloseHandle(port);
  return error;
}

template <typename Run>
void measure(const char* name, std::size_t bytes, Run&& run) {
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const long error = static_cast<long>(run());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const double gib = static_cast<double>(bytes) / (1024.0 * 1024 * 1024);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): a measuring tool's report
  std::printf("%-7s %8.1f MiB/s   client CPU %6.3f s/GiB   %s\n", name,
              static_cast<double>(bytes) / (1024.0 * 1024) / wall, cpu / gib,
              error == 0 ? "ok" : ("error " + std::to_string(error)).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1024;
  const std::string file = argc > 2 ? argv[2] : "/tmp/peerdist-bench.bin";
  std::vector<BYTE> data(mib * 1024 * 1024);
  std::uint64_t x = 88172645463325252ULL;
  for (auto& b : data) {
    x ^= x << 13U;
    x ^= x >> 7U;
    x ^= x << 17U;
    b = static_cast<BYTE>(x);
  }
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
  }
  PEERDIST_INSTANCE_HANDLE instance = nullptr;
  if (PeerDistStartup(PEERDIST_VERSION, &instance, nullptr) != 0) return 1;
  measure("copy", data.size(),
          [&] { return publish_c(instance, "bench-copy", data, data.size()); });
  measure("pieces", data.size(),
          [&] { return publish_c(instance, "bench-pieces", data, std::size_t{256} * 1024); });
  auto cxx = peerdist::Instance::start();
  if (!cxx) return 1;
  measure("file", data.size(), [&] {
    const auto ec = cxx->publish_file(file, peerdist::as_bytes("bench-file"));
    static_cast<void>(cxx->unpublish(peerdist::as_bytes("bench-file")));
    return ec.value();
  });
  PeerDistShutdown(instance);
  static_cast<void>(std::remove(file.c_str()));
  return 0;
}

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
