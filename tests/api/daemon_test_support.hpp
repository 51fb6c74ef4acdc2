// What the tests against a real peerdistd share: the fixture (a daemon, an instance, a
// completion port) and publishing / reading helpers over the C API.
#pragma once

#include <peerdist_compat.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "peerdist/pccrc/types.hpp"
#include "peerdist/util/expected.hpp"

#include "api_test_support.hpp"
#include "real_daemon.hpp"
#include "support/temp_dir.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {

inline constexpr std::size_t kMiB = std::size_t{1024} * 1024;

inline PBYTE id_bytes(std::string_view id) {
  // The API takes PBYTE (non-const) for identifiers it only reads.
  return reinterpret_cast<PBYTE>(const_cast<char*>(id.data()));  // NOLINT
}
inline DWORD id_size(std::string_view id) {
  return static_cast<DWORD>(id.size());
}

// Publishes `data` under `id` through the C API: PublishStream with a completion port,
// AddToStream calls of `piece` bytes each waited for on the port, CompleteStream, Close.
// Returns the first error (synchronous or completion).
DWORD publish(PEERDIST_INSTANCE_HANDLE instance, std::string_view id,
              std::span<const std::uint8_t> data, DWORD flags = 0, std::size_t piece = kMiB);

struct ReadOptions {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::optional<PEERDIST_RETRIEVAL_OPTIONS> versions;  // Ex when set
  DWORD piece = 64 * 1024;                             // cbMaxNumberOfBytes
};
// Reads the content information of `id` through an event and PeerDistGetOverlappedResult,
// checking that each completion's Offset/OffsetHigh is where the previous piece ended, until
// the PEERDIST_ERROR_NO_MORE completion. The error of Open or of a completion otherwise.
Expected<std::vector<std::uint8_t>, DWORD> read_ci(PEERDIST_INSTANCE_HANDLE instance,
                                                   std::string_view id,
                                                   const ReadOptions& options = {});

// The encoded CI the pccrc builder makes from `data` with the daemons' secret (and slices to
// `range`), as the service should.
std::vector<std::uint8_t> expected_ci(std::span<const std::uint8_t> data, pccrc::Version version,
                                      std::optional<pccrc::ByteRange> range = std::nullopt);

// Polls GetStatus until it reports `status` (bounded); false on a timeout.
bool wait_status(PEERDIST_INSTANCE_HANDLE instance, PEERDIST_STATUS status);

class WithDaemon : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  static void start_instance(PEERDIST_INSTANCE_HANDLE& instance);

  TempDir dir_;
  RealDaemon daemon_{dir_.path()};
  SocketEnv env_{daemon_.socket()};
  PEERDIST_INSTANCE_HANDLE instance_ = nullptr;
  HANDLE port_ = nullptr;
};

}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
