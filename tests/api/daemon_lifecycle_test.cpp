// The service's life around the library, against a real peerdistd: two users, Shutdown and
// persistence, the service disabled under open handles (SIGHUP), stopped and restarted, killed
// with SIGKILL in the middle of a publication, and status notifications following all of it.
#include <peerdist_compat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "daemon_test_support.hpp"
#include "support/process.hpp"
#include "support/test_data.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

constexpr std::size_t kSlowAdd = 96 * kMiB;
constexpr unsigned kNobody = 65534;

std::map<std::string, std::string> parse_lines(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

using Lifecycle = WithDaemon;

TEST_F(Lifecycle, TwoUsersHaveSeparatePublications) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a helper as another user";
  const auto shared = random_content(200000, 1);
  const auto mine = random_content(3000, 2);
  ASSERT_EQ(publish(instance_, "shared-id", shared), ERROR_SUCCESS);
  ASSERT_EQ(publish(instance_, "root-only", mine), ERROR_SUCCESS);

  const auto result =
      run_process({OTHER_USER_HELPER, std::to_string(kNobody), "shared-id", "root-only"}, {},
                  std::chrono::seconds(60));
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto steps = parse_lines(result.out);
  EXPECT_EQ(steps.at("uid"), std::to_string(kNobody));
  EXPECT_EQ(steps.at("startup"), "0");
  // The same identifier from another user is a separate publication: no ALREADY_EXISTS.
  EXPECT_EQ(steps.at("publish_shared"), "0");
  EXPECT_EQ(steps.at("read_shared"), "0");
  EXPECT_NE(steps.at("shared_ci_bytes"), "0");
  // Root's publication is invisible to it: not found, and its Unpublish removes nothing.
  EXPECT_EQ(steps.at("open_root_only"), std::to_string(ERROR_NOT_FOUND));
  EXPECT_EQ(steps.at("unpublish_root_only"), "0");
  EXPECT_EQ(steps.at("unpublish_shared"), "0");
  EXPECT_EQ(steps.at("shutdown"), "0");

  // Root's publications are untouched: the same content information as before.
  const auto root_shared = read_ci(instance_, "shared-id");
  ASSERT_TRUE(root_shared);
  EXPECT_EQ(*root_shared, expected_ci(shared, pccrc::Version::v2));
  const auto root_only = read_ci(instance_, "root-only");
  ASSERT_TRUE(root_only);
  EXPECT_EQ(*root_only, expected_ci(mine, pccrc::Version::v2));
}

TEST_F(Lifecycle, ShutdownRemovesTheInstancesPublicationsButNotPersistentOnes) {
  const auto content = random_content(5000, 3);
  PEERDIST_INSTANCE_HANDLE other = nullptr;
  start_instance(other);
  ASSERT_EQ(publish(other, "temporary", content), ERROR_SUCCESS);
  ASSERT_EQ(publish(other, "kept", content, PEERDIST_PUBLICATION_FLAG_PERSISTENT), ERROR_SUCCESS);
  ASSERT_EQ(publish(instance_, "mine", content), ERROR_SUCCESS);
  ASSERT_TRUE(read_ci(instance_, "temporary"));  // same user: visible from another instance
  EXPECT_EQ(PeerDistShutdown(other), ERROR_SUCCESS);
  EXPECT_EQ(read_ci(instance_, "temporary").error(), static_cast<DWORD>(ERROR_NOT_FOUND));
  EXPECT_TRUE(read_ci(instance_, "kept"));
  EXPECT_TRUE(read_ci(instance_, "mine"));
  EXPECT_EQ(PeerDistServerUnpublish(instance_, 4, id_bytes("kept")), ERROR_SUCCESS);
}

TEST_F(Lifecycle, DisablingTheServiceInvalidatesOpenHandles) {
  const auto content = random_content(kSlowAdd, 4);
  ASSERT_EQ(publish(instance_, "before", std::span(content).first(10000)), ERROR_SUCCESS);
  // A notification armed on AVAILABLE (the first one reports AVAILABLE against DISABLED).
  OVERLAPPED notify{};
  PEERDIST_STATUS_INFO info{};
  info.cbSize = sizeof info;
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotificationEx(instance_, port_, 1, &notify, &info),
            ERROR_IO_PENDING);
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  ASSERT_EQ(info.status, PEERDIST_STATUS_AVAILABLE);
  EXPECT_EQ(info.dwMinVer, 1U);
  EXPECT_EQ(info.dwMaxVer, 2U);
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotificationEx(instance_, port_, 1, &notify, &info),
            ERROR_IO_PENDING);

  PEERDIST_STREAM_HANDLE stream = nullptr;
  ASSERT_EQ(
      PeerDistServerPublishStream(instance_, 3, id_bytes("big"), 0, nullptr, port_, 2, &stream),
      ERROR_SUCCESS);
  PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
  ASSERT_EQ(
      PeerDistServerOpenContentInformation(instance_, 6, id_bytes("before"), 0, 0, port_, 3, &ci),
      ERROR_SUCCESS);
  OVERLAPPED add{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(content.size()),
                                             const_cast<BYTE*>(content.data()), &add),
            ERROR_IO_PENDING);

  daemon_.set_enabled(false);
  // Both the notification (DISABLED) and the pending AddToStream (INVALIDATED) complete.
  bool saw_notification = false;
  bool saw_add = false;
  for (int i = 0; i < 2; ++i) {
    packet = dequeue(port_);
    ASSERT_TRUE(packet) << "completion " << i;
    if (packet->overlapped == &notify) {
      saw_notification = true;
      EXPECT_TRUE(packet->ok);
      EXPECT_EQ(info.status, PEERDIST_STATUS_DISABLED);
    } else {
      saw_add = true;
      EXPECT_EQ(packet->overlapped, &add);
      EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_INVALIDATED));
    }
  }
  EXPECT_TRUE(saw_notification && saw_add);
  PEERDIST_STATUS status{};
  EXPECT_EQ(PeerDistGetStatus(instance_, &status), ERROR_SUCCESS);
  EXPECT_EQ(status, PEERDIST_STATUS_DISABLED);

  // Calls on the handles: INVALIDATED; creating handles: disabled by policy.
  BYTE buffer[100];
  OVERLAPPED ov{};
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, stream, 10, buffer, &ov),
            PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov),
            PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, sizeof buffer, buffer, &ov),
            PEERDIST_ERROR_INVALIDATED);
  PEERDIST_STREAM_HANDLE refused = nullptr;
  EXPECT_EQ(
      PeerDistServerPublishStream(instance_, 1, id_bytes("x"), 0, nullptr, nullptr, 0, &refused),
      ERROR_ACCESS_DISABLED_BY_POLICY);
  PEERDIST_CONTENTINFO_HANDLE refused_ci = nullptr;
  EXPECT_EQ(PeerDistServerOpenContentInformation(instance_, 6, id_bytes("before"), 0, 0, nullptr, 0,
                                                 &refused_ci),
            ERROR_ACCESS_DISABLED_BY_POLICY);
  EXPECT_EQ(PeerDistServerUnpublish(instance_, 6, id_bytes("before")),
            ERROR_ACCESS_DISABLED_BY_POLICY);
  // The close functions still succeed.
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, ci), ERROR_SUCCESS);

  // Enabled again: AVAILABLE is reported, new handles work, the completed publication is there.
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotificationEx(instance_, port_, 1, &notify, &info),
            ERROR_IO_PENDING);
  daemon_.set_enabled(true);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->overlapped, &notify);
  EXPECT_EQ(info.status, PEERDIST_STATUS_AVAILABLE);
  const auto got = read_ci(instance_, "before");
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(publish(instance_, "after", std::span(content).first(1000)), ERROR_SUCCESS);
}

TEST_F(Lifecycle, RestartKeepsPersistentPublicationsAndTheLibraryReconnects) {
  const auto content = random_content(300000, 5);
  ASSERT_EQ(publish(instance_, "persistent", content, PEERDIST_PUBLICATION_FLAG_PERSISTENT),
            ERROR_SUCCESS);
  ASSERT_EQ(publish(instance_, "transient", content), ERROR_SUCCESS);
  PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
  ASSERT_EQ(PeerDistServerOpenContentInformation(instance_, 10, id_bytes("persistent"), 0, 0,
                                                 nullptr, 0, &ci),
            ERROR_SUCCESS);
  ASSERT_TRUE(daemon_.stop()) << daemon_.log();

  // No service: UNAVAILABLE, and the calls that need it say so.
  ASSERT_TRUE(wait_status(instance_, PEERDIST_STATUS_UNAVAILABLE));
  EXPECT_EQ(read_ci(instance_, "persistent").error(),
            static_cast<DWORD>(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  BYTE buffer[16];
  OVERLAPPED ov{};
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, sizeof buffer, buffer, &ov),
            PEERDIST_ERROR_INVALIDATED);

  ASSERT_TRUE(daemon_.start()) << daemon_.log();
  // The next call reconnects; the old handle stays invalidated and closes fine.
  const auto got = read_ci(instance_, "persistent");
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, expected_ci(content, pccrc::Version::v2));
  EXPECT_EQ(read_ci(instance_, "transient").error(), static_cast<DWORD>(ERROR_NOT_FOUND));
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, sizeof buffer, buffer, &ov),
            PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, ci), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerUnpublish(instance_, 10, id_bytes("persistent")), ERROR_SUCCESS);
}

TEST_F(Lifecycle, KillDuringAPublicationLeavesItOutAndTheCompletedOnesIn) {
  const auto content = random_content(kSlowAdd, 6);
  ASSERT_EQ(publish(instance_, "done", std::span(content).first(50000),
                    PEERDIST_PUBLICATION_FLAG_PERSISTENT),
            ERROR_SUCCESS);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  const PEERDIST_PUBLICATION_OPTIONS persistent{PEERDIST_PUBLICATION_OPTIONS_VERSION,
                                                PEERDIST_PUBLICATION_FLAG_PERSISTENT};
  ASSERT_EQ(PeerDistServerPublishStream(instance_, 7, id_bytes("partial"), 0, &persistent, port_, 0,
                                        &stream),
            ERROR_SUCCESS);
  OVERLAPPED add{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(content.size()),
                                             const_cast<BYTE*>(content.data()), &add),
            ERROR_IO_PENDING);
  daemon_.kill9();
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_INVALIDATED));
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &add),
            PEERDIST_ERROR_INVALIDATED);
  PEERDIST_STREAM_HANDLE again = nullptr;
  EXPECT_EQ(
      PeerDistServerPublishStream(instance_, 1, id_bytes("x"), 0, nullptr, nullptr, 0, &again),
      PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);

  ASSERT_TRUE(daemon_.start()) << daemon_.log();
  EXPECT_EQ(read_ci(instance_, "partial").error(), static_cast<DWORD>(ERROR_NOT_FOUND));
  const auto done = read_ci(instance_, "done");
  ASSERT_TRUE(done) << done.error();
  EXPECT_EQ(*done, expected_ci(std::span(content).first(50000), pccrc::Version::v2));
  EXPECT_EQ(publish(instance_, "partial", std::span(content).first(1000)), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerUnpublish(instance_, 4, id_bytes("done")), ERROR_SUCCESS);
}

TEST_F(Lifecycle, NotificationsFollowTheServiceAcrossARestart) {
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  OVERLAPPED ov{};
  ov.hEvent = event;
  PEERDIST_STATUS status{};
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, nullptr, 0, &ov, &status),
            ERROR_IO_PENDING);
  ASSERT_EQ(WaitForSingleObject(event, kPatienceMs), WAIT_OBJECT_0);
  EXPECT_EQ(status, PEERDIST_STATUS_AVAILABLE);
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, nullptr, 0, &ov, &status),
            ERROR_IO_PENDING);
  EXPECT_EQ(WaitForSingleObject(event, 50), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(daemon_.stop());
  ASSERT_EQ(WaitForSingleObject(event, kPatienceMs), WAIT_OBJECT_0);
  EXPECT_EQ(status, PEERDIST_STATUS_UNAVAILABLE);
  // Armed while nobody answers; the program makes no call, yet it fires when the service is
  // back (the library retries in the background).
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, nullptr, 0, &ov, &status),
            ERROR_IO_PENDING);
  ASSERT_TRUE(daemon_.start());
  ASSERT_EQ(WaitForSingleObject(event, kPatienceMs), WAIT_OBJECT_0);
  DWORD bytes = 0;
  EXPECT_TRUE(PeerDistGetOverlappedResult(&ov, &bytes, FALSE));
  EXPECT_EQ(status, PEERDIST_STATUS_AVAILABLE);
  CloseHandle(event);
}

TEST_F(Lifecycle, StartupBeforeTheServiceThenTheNextCallConnects) {
  ASSERT_TRUE(daemon_.stop());
  PEERDIST_INSTANCE_HANDLE early = nullptr;
  DWORD supported = 0;
  ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &early, &supported), ERROR_SUCCESS);
  PEERDIST_STATUS status{};
  EXPECT_EQ(PeerDistGetStatus(early, &status), ERROR_SUCCESS);
  EXPECT_EQ(status, PEERDIST_STATUS_UNAVAILABLE);
  ASSERT_TRUE(daemon_.start());
  EXPECT_EQ(publish(early, "late", random_content(1000, 7)), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistGetStatus(early, &status), ERROR_SUCCESS);
  EXPECT_EQ(status, PEERDIST_STATUS_AVAILABLE);
  EXPECT_EQ(PeerDistShutdown(early), ERROR_SUCCESS);
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
