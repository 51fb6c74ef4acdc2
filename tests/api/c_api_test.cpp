// The C API without a daemon: every synchronous check of docs/api.md that needs no service,
// and what the calls do while none answers (Startup succeeds; the service calls return
// PEERDIST_ERROR_SERVICE_UNAVAILABLE; GetStatus reports UNAVAILABLE; a status notification
// fires with UNAVAILABLE). Links the shared library, as applications do.
#include <peerdist_compat.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "api_test_support.hpp"
#include "support/temp_dir.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): the API takes PBYTE
BYTE test_id[] = {'i', 'd'};

class NoDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance_, nullptr), ERROR_SUCCESS);
  }
  void TearDown() override {
    if (instance_ != nullptr) {
      EXPECT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
    }
  }

  TempDir dir_;
  SocketEnv env_{dir_.file("no-daemon.sock")};
  PEERDIST_INSTANCE_HANDLE instance_ = nullptr;
};

TEST(Startup, RefusesNullHandlePointer) {
  DWORD supported = 0;
  EXPECT_EQ(PeerDistStartup(PEERDIST_VERSION, nullptr, &supported), ERROR_INVALID_PARAMETER);
}

TEST(Startup, VersionsAbovePeerDistVersionAreUnsupported) {
  const TempDir dir;
  const SocketEnv env(dir.file("none.sock"));
  for (const DWORD version : {DWORD{MAKEWORD(3, 0)}, DWORD{MAKEWORD(2, 1)}, DWORD{0x10002}}) {
    PEERDIST_INSTANCE_HANDLE instance = nullptr;
    DWORD supported = 0;
    EXPECT_EQ(PeerDistStartup(version, &instance, &supported), PEERDIST_ERROR_VERSION_UNSUPPORTED)
        << std::hex << version;
    EXPECT_EQ(supported, PEERDIST_VERSION);
    EXPECT_EQ(instance, nullptr);
  }
}

TEST(Startup, SucceedsWithoutDaemonForSupportedVersions) {
  const TempDir dir;
  const SocketEnv env(dir.file("none.sock"));
  for (const DWORD version : {DWORD{MAKEWORD(1, 0)}, DWORD{PEERDIST_VERSION}}) {
    PEERDIST_INSTANCE_HANDLE instance = nullptr;
    DWORD supported = 0;
    ASSERT_EQ(PeerDistStartup(version, &instance, &supported), ERROR_SUCCESS);
    EXPECT_NE(instance, nullptr);
    EXPECT_EQ(supported, PEERDIST_VERSION);  // the library's own without a daemon
    EXPECT_EQ(PeerDistShutdown(instance), ERROR_SUCCESS);
  }
  PEERDIST_INSTANCE_HANDLE instance = nullptr;
  ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance, nullptr), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistShutdown(instance), ERROR_SUCCESS);
}

TEST_F(NoDaemon, ShutdownTwiceIsInvalidHandle) {
  EXPECT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistShutdown(instance_), ERROR_INVALID_HANDLE);
  PEERDIST_STATUS status{};
  EXPECT_EQ(PeerDistGetStatus(instance_, &status), ERROR_INVALID_HANDLE);
  instance_ = nullptr;
}

TEST_F(NoDaemon, UnknownAndForeignHandlesAreInvalid) {
  EXPECT_EQ(PeerDistShutdown(nullptr), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistShutdown(INVALID_HANDLE_VALUE), ERROR_INVALID_HANDLE);
  // A completion port or an event is a handle, but not an instance (typed lookups).
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  PEERDIST_STATUS status{};
  EXPECT_EQ(PeerDistGetStatus(port, &status), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistShutdown(event), ERROR_INVALID_HANDLE);
  // The instance as a stream, a content-info handle, a port.
  OVERLAPPED ov{};
  BYTE data[4] = {};
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, instance_, 4, data, &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, port, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, event), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, instance_, 4, data, &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, nullptr), ERROR_INVALID_HANDLE);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  EXPECT_EQ(PeerDistServerPublishStream(instance_, sizeof test_id, test_id, 0, nullptr, event, 0,
                                        &stream),
            ERROR_INVALID_HANDLE);  // an event passed as the completion port
  EXPECT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, event, 0, &ov, &status),
            ERROR_INVALID_HANDLE);
  EXPECT_TRUE(CloseHandle(port));
  EXPECT_TRUE(CloseHandle(event));
}

TEST_F(NoDaemon, CloseHandleRefusesAnInstance) {
  SetLastError(0);
  EXPECT_FALSE(CloseHandle(instance_));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  PEERDIST_STATUS status{};
  EXPECT_EQ(PeerDistGetStatus(instance_, &status), ERROR_SUCCESS);  // still open
}

TEST_F(NoDaemon, GetStatusReportsUnavailable) {
  PEERDIST_STATUS status = PEERDIST_STATUS_AVAILABLE;
  EXPECT_EQ(PeerDistGetStatus(instance_, &status), ERROR_SUCCESS);
  EXPECT_EQ(status, PEERDIST_STATUS_UNAVAILABLE);
  EXPECT_EQ(PeerDistGetStatus(instance_, nullptr), ERROR_INVALID_PARAMETER);

  PEERDIST_STATUS_INFO info{};
  info.cbSize = sizeof info;
  EXPECT_EQ(PeerDistGetStatusEx(instance_, &info), ERROR_SUCCESS);
  EXPECT_EQ(info.status, PEERDIST_STATUS_UNAVAILABLE);
  EXPECT_EQ(info.dwMinVer, 1U);  // the default configuration's versions
  EXPECT_EQ(info.dwMaxVer, 2U);
  info.cbSize = sizeof info - 1;  // spec Q15
  EXPECT_EQ(PeerDistGetStatusEx(instance_, &info), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistGetStatusEx(instance_, nullptr), ERROR_INVALID_PARAMETER);
}

TEST_F(NoDaemon, ServiceCallsAreUnavailable) {
  PEERDIST_STREAM_HANDLE stream = nullptr;
  EXPECT_EQ(PeerDistServerPublishStream(instance_, sizeof test_id, test_id, 0, nullptr, nullptr, 0,
                                        &stream),
            PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(PeerDistServerUnpublish(instance_, sizeof test_id, test_id),
            PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
  EXPECT_EQ(PeerDistServerOpenContentInformation(instance_, sizeof test_id, test_id, 0, 0, nullptr,
                                                 0, &ci),
            PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  PEERDIST_RETRIEVAL_OPTIONS options{sizeof options, 1, 2, 0};
  EXPECT_EQ(PeerDistServerOpenContentInformationEx(instance_, sizeof test_id, test_id, 0, 0,
                                                   &options, nullptr, 0, &ci),
            PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  // Nothing is pending, so nothing can be cancelled.
  OVERLAPPED ov{};
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, sizeof test_id, test_id, &ov),
            PEERDIST_ERROR_OPERATION_NOTFOUND);
}

TEST_F(NoDaemon, PublishStreamParameterChecks) {
  PEERDIST_STREAM_HANDLE stream = nullptr;
  std::vector<BYTE> too_long(65537, 'x');
  std::vector<BYTE> longest(65536, 'x');
  EXPECT_EQ(PeerDistServerPublishStream(instance_, 0, test_id, 0, nullptr, nullptr, 0, &stream),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerPublishStream(instance_, 2, nullptr, 0, nullptr, nullptr, 0, &stream),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerPublishStream(instance_, static_cast<DWORD>(too_long.size()),
                                        too_long.data(), 0, nullptr, nullptr, 0, &stream),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerPublishStream(instance_, sizeof test_id, test_id, 0, nullptr, nullptr, 0,
                                        nullptr),
            ERROR_INVALID_PARAMETER);
  for (const DWORD version : {0U, 3U}) {
    const PEERDIST_PUBLICATION_OPTIONS options{version, 0};
    EXPECT_EQ(PeerDistServerPublishStream(instance_, sizeof test_id, test_id, 0, &options, nullptr,
                                          0, &stream),
              ERROR_INVALID_PARAMETER);
  }
  const PEERDIST_PUBLICATION_OPTIONS reserved_flag{PEERDIST_PUBLICATION_OPTIONS_VERSION, 1};
  EXPECT_EQ(PeerDistServerPublishStream(instance_, sizeof test_id, test_id, 0, &reserved_flag,
                                        nullptr, 0, &stream),
            ERROR_INVALID_PARAMETER);
  // Valid parameters get as far as the (missing) service.
  const PEERDIST_PUBLICATION_OPTIONS persistent{PEERDIST_PUBLICATION_OPTIONS_VERSION_1,
                                                PEERDIST_PUBLICATION_FLAG_PERSISTENT};
  EXPECT_EQ(PeerDistServerPublishStream(instance_, static_cast<DWORD>(longest.size()),
                                        longest.data(), 0, &persistent, nullptr, 0, &stream),
            PEERDIST_ERROR_SERVICE_UNAVAILABLE);
}

TEST_F(NoDaemon, AsyncCallParameterChecks) {
  OVERLAPPED ov{};
  BYTE data[8] = {};
  // The OVERLAPPED and buffers are checked before the handle they go to.
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, nullptr, 8, data, nullptr),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, nullptr, 8, nullptr, &ov),
            ERROR_INVALID_PARAMETER);
  ov.Offset = 1;  // reserved, must be 0 (spec §1.3)
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, nullptr, 8, data, &ov),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, nullptr, &ov), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, nullptr, 8, data, &ov),
            ERROR_INVALID_PARAMETER);
  ov.Offset = 0;
  ov.OffsetHigh = 1;
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, nullptr, 8, data, &ov),
            ERROR_INVALID_PARAMETER);
  ov.OffsetHigh = 0;
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, nullptr, nullptr),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, nullptr, 0, data, &ov),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, nullptr, 8, nullptr, &ov),
            ERROR_INVALID_PARAMETER);
  // Well-formed calls on a handle that does not exist.
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, nullptr, 8, data, &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, nullptr, 0, nullptr, &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, nullptr, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, nullptr, 8, data, &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, nullptr), ERROR_INVALID_HANDLE);
}

TEST_F(NoDaemon, ContentInformationParameterChecks) {
  PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
  EXPECT_EQ(PeerDistServerOpenContentInformation(instance_, 0, test_id, 0, 0, nullptr, 0, &ci),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerOpenContentInformation(instance_, sizeof test_id, test_id, 0, 0, nullptr,
                                                 0, nullptr),
            ERROR_INVALID_PARAMETER);
  // A range that wraps past 2^64.
  EXPECT_EQ(PeerDistServerOpenContentInformation(instance_, sizeof test_id, test_id, ~0ULL, 2,
                                                 nullptr, 0, &ci),
            ERROR_INVALID_PARAMETER);
  PEERDIST_RETRIEVAL_OPTIONS options{sizeof options, 2, 1, 0};  // min > max
  EXPECT_EQ(PeerDistServerOpenContentInformationEx(instance_, sizeof test_id, test_id, 0, 0,
                                                   &options, nullptr, 0, &ci),
            ERROR_INVALID_PARAMETER);
  options = {sizeof options - 1, 1, 2, 0};  // cbSize < 16
  EXPECT_EQ(PeerDistServerOpenContentInformationEx(instance_, sizeof test_id, test_id, 0, 0,
                                                   &options, nullptr, 0, &ci),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerOpenContentInformationEx(instance_, sizeof test_id, test_id, 0, 0,
                                                   nullptr, nullptr, 0, &ci),
            ERROR_INVALID_PARAMETER);
}

TEST_F(NoDaemon, UnpublishAndCancelParameterChecks) {
  EXPECT_EQ(PeerDistServerUnpublish(instance_, 0, test_id), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerUnpublish(instance_, sizeof test_id, nullptr), ERROR_INVALID_PARAMETER);
  OVERLAPPED ov{};
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, sizeof test_id, test_id, nullptr),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, 0, test_id, &ov),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(nullptr, sizeof test_id, test_id, &ov),
            ERROR_INVALID_HANDLE);
}

TEST_F(NoDaemon, StatusNotificationFiresUnavailableThenWaits) {
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
  OVERLAPPED ov{};
  PEERDIST_STATUS status = PEERDIST_STATUS_AVAILABLE;
  EXPECT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, nullptr, 0, nullptr, &status),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, nullptr, 0, &ov, nullptr),
            ERROR_INVALID_PARAMETER);
  // The baseline is DISABLED (spec Q12); no service is UNAVAILABLE, which differs: it fires.
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, port, 7, &ov, &status),
            ERROR_IO_PENDING);
  auto packet = dequeue(port);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->key, 7U);
  EXPECT_EQ(packet->overlapped, &ov);
  EXPECT_EQ(status, PEERDIST_STATUS_UNAVAILABLE);

  // Now the last status reported is UNAVAILABLE: nothing to report until a daemon answers.
  PEERDIST_STATUS_INFO info{};
  info.cbSize = sizeof info - 1;
  EXPECT_EQ(PeerDistRegisterForStatusChangeNotificationEx(instance_, port, 8, &ov, &info),
            ERROR_INVALID_PARAMETER);
  info.cbSize = sizeof info;
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotificationEx(instance_, port, 8, &ov, &info),
            ERROR_IO_PENDING);
  EXPECT_FALSE(dequeue(port, 50));
  // One registration per instance.
  OVERLAPPED second{};
  EXPECT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, port, 9, &second, &status),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistUnregisterForStatusChangeNotification(instance_), ERROR_SUCCESS);
  packet = dequeue(port);
  ASSERT_TRUE(packet);
  EXPECT_FALSE(packet->ok);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));  // spec Q13
  DWORD bytes = 1;
  EXPECT_FALSE(PeerDistGetOverlappedResult(&ov, &bytes, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  // Nothing registered any more: nothing to cancel, and that is not an error.
  EXPECT_EQ(PeerDistUnregisterForStatusChangeNotification(instance_), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistUnregisterForStatusChangeNotification(nullptr), ERROR_INVALID_HANDLE);
  EXPECT_TRUE(CloseHandle(port));
}

TEST_F(NoDaemon, ShutdownAbortsAPendingNotification) {
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  OVERLAPPED ov{};
  ov.hEvent = event;
  PEERDIST_STATUS status{};
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, nullptr, 0, &ov, &status),
            ERROR_IO_PENDING);
  ASSERT_EQ(WaitForSingleObject(event, kPatienceMs), WAIT_OBJECT_0);  // UNAVAILABLE
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, nullptr, 0, &ov, &status),
            ERROR_IO_PENDING);
  DWORD bytes = 0;
  EXPECT_FALSE(PeerDistGetOverlappedResult(&ov, &bytes, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_IO_INCOMPLETE));
  EXPECT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
  instance_ = nullptr;
  EXPECT_FALSE(PeerDistGetOverlappedResult(&ov, &bytes, TRUE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  EXPECT_TRUE(CloseHandle(event));
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
