#include "daemon_test_support.hpp"

#include <sys/stat.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/keys.hpp"
#include "peerdist/pccrc/range.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {

DWORD publish(PEERDIST_INSTANCE_HANDLE instance, std::string_view id,
              std::span<const std::uint8_t> data, DWORD flags, std::size_t piece) {
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  const PEERDIST_PUBLICATION_OPTIONS options{PEERDIST_PUBLICATION_OPTIONS_VERSION, flags};
  DWORD error = PeerDistServerPublishStream(instance, id_size(id), id_bytes(id), data.size(),
                                            &options, port, 1, &stream);
  const auto wait = [&](OVERLAPPED& ov) -> DWORD {
    const auto packet = dequeue(port);
    if (!packet) return WAIT_TIMEOUT;
    if (packet->overlapped != &ov) return ERROR_INVALID_DATA;
    return packet->error;
  };
  for (std::size_t done = 0; error == ERROR_SUCCESS && done < data.size(); done += piece) {
    const std::size_t n = std::min(piece, data.size() - done);
    OVERLAPPED ov{};
    error = PeerDistServerPublishAddToStream(instance, stream, static_cast<DWORD>(n),
                                             const_cast<BYTE*>(data.data() + done), &ov);
    if (error == ERROR_IO_PENDING) error = wait(ov);
  }
  if (error == ERROR_SUCCESS) {
    OVERLAPPED ov{};
    error = PeerDistServerPublishCompleteStream(instance, stream, &ov);
    if (error == ERROR_IO_PENDING) error = wait(ov);
  }
  if (stream != nullptr) PeerDistServerCloseStreamHandle(instance, stream);
  CloseHandle(port);
  return error;
}

Expected<std::vector<std::uint8_t>, DWORD> read_ci(PEERDIST_INSTANCE_HANDLE instance,
                                                   std::string_view id,
                                                   const ReadOptions& options) {
  PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
  DWORD error = ERROR_SUCCESS;
  if (options.versions) {
    PEERDIST_RETRIEVAL_OPTIONS versions = *options.versions;
    error =
        PeerDistServerOpenContentInformationEx(instance, id_size(id), id_bytes(id), options.offset,
                                               options.length, &versions, nullptr, 0, &ci);
  } else {
    error = PeerDistServerOpenContentInformation(instance, id_size(id), id_bytes(id),
                                                 options.offset, options.length, nullptr, 0, &ci);
  }
  if (error != ERROR_SUCCESS) return Unexpected(error);
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  std::vector<std::uint8_t> all;
  std::vector<std::uint8_t> buffer(options.piece);
  for (;;) {
    OVERLAPPED ov{};
    ov.hEvent = event;
    error =
        PeerDistServerRetrieveContentInformation(instance, ci, options.piece, buffer.data(), &ov);
    if (error != ERROR_IO_PENDING) break;
    if (WaitForSingleObject(event, kPatienceMs) != WAIT_OBJECT_0) {
      error = WAIT_TIMEOUT;
      break;
    }
    DWORD bytes = 0;
    if (!PeerDistGetOverlappedResult(&ov, &bytes, FALSE)) {
      error = GetLastError();
      if (error == PEERDIST_ERROR_NO_MORE) error = ERROR_SUCCESS;
      break;
    }
    if (offset_of(ov) != all.size() || bytes == 0 || bytes > options.piece) {
      error = ERROR_INVALID_DATA;
      break;
    }
    all.insert(all.end(), buffer.begin(), buffer.begin() + bytes);
  }
  CloseHandle(event);
  PeerDistServerCloseContentInformation(instance, ci);
  if (error != ERROR_SUCCESS) return Unexpected(error);
  return all;
}

std::vector<std::uint8_t> expected_ci(std::span<const std::uint8_t> data, pccrc::Version version,
                                      std::optional<pccrc::ByteRange> range) {
  pccrc::BuildOptions options;
  options.scheme = version == pccrc::Version::v2 ? pccrc::HashScheme::v2() : pccrc::HashScheme{};
  pccrc::ContentInformationBuilder builder(pccrc::ServerSecret(server_key()), options);
  builder.add(data);
  auto ci = builder.finish();
  EXPECT_TRUE(ci);
  if (!ci) return {};
  if (range) {
    auto sliced = pccrc::slice(*ci, *range);
    EXPECT_TRUE(sliced);
    if (!sliced) return {};
    return pccrc::encode(*sliced);
  }
  return pccrc::encode(*ci);
}

bool wait_status(PEERDIST_INSTANCE_HANDLE instance, PEERDIST_STATUS status) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kPatienceMs);
  while (std::chrono::steady_clock::now() < deadline) {
    PEERDIST_STATUS now{};
    if (PeerDistGetStatus(instance, &now) == ERROR_SUCCESS && now == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void WithDaemon::SetUp() {
  // The second user's test runs a helper as nobody, which must reach the socket.
  ::chmod(dir_.path().c_str(), 0755);
  ASSERT_TRUE(daemon_.start()) << daemon_.log();
  start_instance(instance_);
  port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
  ASSERT_NE(port_, nullptr);
}

void WithDaemon::start_instance(PEERDIST_INSTANCE_HANDLE& instance) {
  DWORD supported = 0;
  ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance, &supported), ERROR_SUCCESS);
  ASSERT_EQ(supported, PEERDIST_VERSION);
}

void WithDaemon::TearDown() {
  if (instance_ != nullptr) {
    EXPECT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
  }
  if (port_ != nullptr) CloseHandle(port_);
  if (daemon_.running()) {
    EXPECT_TRUE(daemon_.stop()) << daemon_.log();
  }
  if (HasFailure()) std::cerr << "---- peerdistd log ----\n" << daemon_.log();
}

}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
