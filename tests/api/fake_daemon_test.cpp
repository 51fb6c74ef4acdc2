// The library against a scripted daemon (fake_daemon.hpp): the protocol-level behaviour whose
// order the real daemon's timing would decide. Version negotiation and the ring fallback,
// AddToStream pieces and their pipelining through the ring, first failure wins, one operation
// in flight, cancel before and after the Result, invalidation by StatusChanged and by the
// loss of the connection, reconnection, Shutdown.
#include "fake_daemon.hpp"

#include <peerdist_compat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <numeric>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "api_test_support.hpp"
#include "support/temp_dir.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMiB = std::size_t{1024} * 1024;
// The library's ring and piece sizes (src/api/core/policy.hpp), as seen on the wire.
constexpr std::size_t kRingSlots = 32;

// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): the API takes PBYTE
BYTE test_id[] = {'c', 'o', 'n', 't', 'e', 'n', 't'};

template <typename T>
const T* as(const FakeRequest& request) {
  return std::get_if<T>(&request.message);
}

std::vector<BYTE> pattern(std::size_t size) {
  std::vector<BYTE> data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<BYTE>((i * 7 + i / 4096) & 0xff);
  return data;
}

class WithFakeDaemon : public ::testing::Test {
 protected:
  explicit WithFakeDaemon(FakeDaemon::Options options = {})
      : daemon_(dir_.file("fake.sock"), std::move(options)) {}

  void SetUp() override {
    ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance_, &supported_), ERROR_SUCCESS);
    port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
    ASSERT_NE(port_, nullptr);
  }
  void TearDown() override {
    if (instance_ != nullptr) {
      EXPECT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
    }
    CloseHandle(port_);
  }

  PEERDIST_STREAM_HANDLE publish(ULONGLONG length = 0) {
    PEERDIST_STREAM_HANDLE stream = nullptr;
    EXPECT_EQ(PeerDistServerPublishStream(instance_, sizeof test_id, test_id, length, nullptr,
                                          port_, 42, &stream),
              ERROR_SUCCESS);
    return stream;
  }
  PEERDIST_CONTENTINFO_HANDLE open() {
    PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
    EXPECT_EQ(PeerDistServerOpenContentInformation(instance_, sizeof test_id, test_id, 0, 0, port_,
                                                   43, &ci),
              ERROR_SUCCESS);
    return ci;
  }
  // The next request the test must answer; fails the test if none comes.
  FakeRequest expect_request() {
    auto request = daemon_.next();
    EXPECT_TRUE(request.has_value()) << "no request reached the daemon";
    return request.value_or(FakeRequest{});
  }

  TempDir dir_;
  SocketEnv env_{dir_.file("fake.sock")};
  FakeDaemon daemon_;
  PEERDIST_INSTANCE_HANDLE instance_ = nullptr;
  DWORD supported_ = 0;
  HANDLE port_ = nullptr;
};

// ---- Hello ----------------------------------------------------------------------------------

TEST(FakeHello, DaemonVersionIsReportedAndItsRefusalFailsStartup) {
  const TempDir dir;
  const SocketEnv env(dir.file("fake.sock"));
  {
    FakeDaemon::Options options;
    options.hello.api_version = MAKEWORD(1, 0);
    FakeDaemon daemon(dir.file("fake.sock"), options);
    PEERDIST_INSTANCE_HANDLE instance = nullptr;
    DWORD supported = 0;
    ASSERT_EQ(PeerDistStartup(MAKEWORD(1, 0), &instance, &supported), ERROR_SUCCESS);
    EXPECT_EQ(supported, DWORD{MAKEWORD(1, 0)});
    EXPECT_EQ(daemon.hellos(), 1);
    EXPECT_EQ(PeerDistShutdown(instance), ERROR_SUCCESS);
  }
  {
    FakeDaemon::Options options;
    options.hello.status = PEERDIST_ERROR_VERSION_UNSUPPORTED;
    FakeDaemon daemon(dir.file("fake.sock"), options);
    PEERDIST_INSTANCE_HANDLE instance = nullptr;
    EXPECT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance, nullptr),
              PEERDIST_ERROR_VERSION_UNSUPPORTED);
  }
}

TEST(FakeHello, RefusedRingFallsBackToInlineData) {
  const TempDir dir;
  const SocketEnv env(dir.file("fake.sock"));
  FakeDaemon::Options options;
  options.refuse_shared_buffer = true;
  FakeDaemon daemon(dir.file("fake.sock"), options);
  PEERDIST_INSTANCE_HANDLE instance = nullptr;
  ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance, nullptr), ERROR_SUCCESS);
  EXPECT_EQ(daemon.hellos(), 2);  // with a ring, refused; then without
  EXPECT_EQ(daemon.last_shared_buffer_size(), 0U);

  PEERDIST_STREAM_HANDLE stream = nullptr;
  ASSERT_EQ(PeerDistServerPublishStream(instance, sizeof test_id, test_id, 0, nullptr, nullptr, 0,
                                        &stream),
            ERROR_SUCCESS);
  const auto data = pattern(kMiB + 10);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance, stream, static_cast<DWORD>(data.size()),
                                             const_cast<BYTE*>(data.data()), &ov),
            ERROR_IO_PENDING);
  std::vector<BYTE> received;
  for (int piece = 0; piece < 2; ++piece) {
    auto request = daemon.next();
    ASSERT_TRUE(request);
    const auto* add = as<ipc::AddToStream>(*request);
    ASSERT_NE(add, nullptr);
    const auto* bytes = std::get_if<ipc::InlineData>(&add->data);
    ASSERT_NE(bytes, nullptr);
    EXPECT_EQ(add->last_piece, piece == 1);
    received.insert(received.end(), bytes->bytes.begin(), bytes->bytes.end());
    daemon.reply(request->id, Reply{.bytes = static_cast<std::uint32_t>(bytes->bytes.size())});
  }
  EXPECT_EQ(received, data);
  DWORD transferred = 0;
  EXPECT_EQ(wait_overlapped(ov, &transferred), ERROR_SUCCESS);
  EXPECT_EQ(transferred, data.size());
  EXPECT_EQ(PeerDistShutdown(instance), ERROR_SUCCESS);
}

TEST(FakeHello, LibraryThreadsAreNamedAndBlockEverySignal) {
  const TempDir dir;
  const SocketEnv env(dir.file("fake.sock"));
  FakeDaemon daemon(dir.file("fake.sock"), {});
  PEERDIST_INSTANCE_HANDLE instance = nullptr;
  ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance, nullptr), ERROR_SUCCESS);
  std::set<std::string> found;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("peerdist-", 0) != 0) continue;
    found.insert(name);
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      // The application's signals never reach the library's threads.
      if (line.rfind("SigBlk:", 0) != 0) continue;
      const std::uint64_t blocked = std::stoull(line.substr(7), nullptr, 16);
      for (const int sig : {SIGHUP, SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGUSR1, SIGALRM}) {
        EXPECT_NE(blocked & (std::uint64_t{1} << (sig - 1)), 0U) << name << " signal " << sig;
      }
    }
  }
  EXPECT_TRUE(found.contains("peerdist-recv"));
  EXPECT_TRUE(found.contains("peerdist-send"));
  EXPECT_EQ(PeerDistShutdown(instance), ERROR_SUCCESS);
}

// ---- AddToStream ----------------------------------------------------------------------------

using AddToStream = WithFakeDaemon;

TEST_F(AddToStream, CutsTheBufferIntoRingPiecesAndCompletesAfterTheLast) {
  auto* const stream = publish();
  const auto data = pattern(3 * kMiB + kMiB / 2);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(data.size()),
                                             const_cast<BYTE*>(data.data()), &ov),
            ERROR_IO_PENDING);
  std::vector<FakeRequest> pieces;
  std::vector<BYTE> received;
  for (int i = 0; i < 4; ++i) {
    pieces.push_back(expect_request());
    const auto* add = as<ipc::AddToStream>(pieces.back());
    ASSERT_NE(add, nullptr);
    ASSERT_TRUE(std::holds_alternative<ipc::SharedData>(add->data));
    EXPECT_EQ(add->last_piece, i == 3);
    received.insert(received.end(), pieces.back().shared_bytes.begin(),
                    pieces.back().shared_bytes.end());
  }
  EXPECT_EQ(received, data);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_FALSE(HasOverlappedIoCompleted(&ov)) << "completed before piece " << i;
    daemon_.reply(pieces[i].id,
                  Reply{.bytes = static_cast<std::uint32_t>(pieces[i].shared_bytes.size())});
  }
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->key, 42U);
  EXPECT_EQ(packet->bytes, data.size());
  EXPECT_EQ(packet->overlapped, &ov);
}

TEST_F(AddToStream, RingSpaceIsReusedOnlyAfterEachPiecesResult) {
  auto* const stream = publish();
  const std::size_t pieces = kRingSlots + 4;
  const auto data = pattern(pieces * kMiB);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(data.size()),
                                             const_cast<BYTE*>(data.data()), &ov),
            ERROR_IO_PENDING);
  std::vector<FakeRequest> sent;
  for (std::size_t i = 0; i < kRingSlots; ++i) sent.push_back(expect_request());
  // The ring is full: nothing more until a piece is answered.
  EXPECT_FALSE(daemon_.next(100ms));
  std::vector<std::uint64_t> offsets;
  for (std::size_t i = 0; i < pieces; ++i) {
    const auto& piece = sent[i];
    const auto* add = as<ipc::AddToStream>(piece);
    ASSERT_NE(add, nullptr);
    const auto& shared = std::get<ipc::SharedData>(add->data);
    offsets.push_back(shared.offset);
    EXPECT_TRUE(std::equal(piece.shared_bytes.begin(), piece.shared_bytes.end(),
                           data.begin() + static_cast<std::ptrdiff_t>(i * kMiB)));
    daemon_.reply(piece.id, Reply{.bytes = shared.length});
    if (i + kRingSlots < pieces) sent.push_back(expect_request());
  }
  // Slots are reused: the 33rd piece sits where a freed one was.
  EXPECT_LT(std::set<std::uint64_t>(offsets.begin(), offsets.end()).size(), offsets.size());
  DWORD transferred = 0;
  EXPECT_EQ(wait_overlapped(ov, &transferred), ERROR_SUCCESS);
  EXPECT_EQ(transferred, data.size());
}

TEST_F(AddToStream, FirstFailureWinsAndLaterResultsAreIgnored) {
  auto* const stream = publish(2 * kMiB);
  const auto data = pattern(3 * kMiB);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(data.size()),
                                             const_cast<BYTE*>(data.data()), &ov),
            ERROR_IO_PENDING);
  const auto a = expect_request();
  const auto b = expect_request();
  const auto c = expect_request();
  daemon_.reply(a.id, Reply{.bytes = kMiB});
  daemon_.reply(b.id, Reply{.bytes = kMiB});
  daemon_.reply(c.id, Reply{.status = PEERDIST_ERROR_OUT_OF_BOUNDS});  // Q9
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_FALSE(packet->ok);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_OUT_OF_BOUNDS));
  EXPECT_EQ(packet->bytes, 2 * kMiB);  // the pieces that made it
  EXPECT_FALSE(dequeue(port_, 50));    // exactly one completion
}

TEST_F(AddToStream, OneOperationInFlightPerHandle) {
  auto* const stream = publish();
  const auto data = pattern(100);
  OVERLAPPED first{};
  OVERLAPPED second{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, 100, const_cast<BYTE*>(data.data()),
                                             &first),
            ERROR_IO_PENDING);
  const auto piece = expect_request();
  // docs/api.md: a second AddToStream, or a CompleteStream, while one is in flight.
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, stream, 100, const_cast<BYTE*>(data.data()),
                                             &second),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &second),
            ERROR_INVALID_PARAMETER);
  daemon_.reply(piece.id, Reply{.bytes = 100});
  ASSERT_TRUE(dequeue(port_));
  // Free again once completed: the next Add is accepted.
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, 100, const_cast<BYTE*>(data.data()),
                                             &second),
            ERROR_IO_PENDING);
  daemon_.reply(expect_request().id, Reply{.bytes = 100});
  ASSERT_TRUE(dequeue(port_));

  // CompleteStream: one in flight, and after its success only Close.
  ASSERT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &first), ERROR_IO_PENDING);
  const auto complete = expect_request();
  ASSERT_NE(as<ipc::CompleteStream>(complete), nullptr);
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &second),
            ERROR_INVALID_PARAMETER);
  daemon_.reply(complete.id, Reply{});
  ASSERT_TRUE(dequeue(port_));
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, stream, 100, const_cast<BYTE*>(data.data()),
                                             &second),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &second),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_INVALID_HANDLE);
}

// ---- Retrieve -------------------------------------------------------------------------------

using Retrieve = WithFakeDaemon;

TEST_F(Retrieve, CopiesTheDataAndReportsTheOffset) {
  auto* const ci = open();
  BYTE buffer[8] = {};
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, sizeof buffer, buffer, &ov),
            ERROR_IO_PENDING);
  const auto request = expect_request();
  const auto* retrieve = as<ipc::RetrieveContentInformation>(request);
  ASSERT_NE(retrieve, nullptr);
  EXPECT_EQ(retrieve->max_bytes, sizeof buffer);
  OVERLAPPED other{};
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, sizeof buffer, buffer, &other),
            ERROR_INVALID_PARAMETER);  // one in flight per handle
  daemon_.reply(request.id, Reply{.value = 0x100000005ULL, .bytes = 3, .data = {1, 2, 3}});
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->key, 43U);
  EXPECT_EQ(packet->bytes, 3U);
  EXPECT_EQ(offset_of(ov), 0x100000005ULL);
  EXPECT_EQ(buffer[0], 1);
  EXPECT_EQ(buffer[2], 3);
  EXPECT_EQ(buffer[3], 0);

  // NO_MORE is a completion (spec Q6); a Result larger than the buffer is refused.
  ov = OVERLAPPED{};
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, sizeof buffer, buffer, &ov),
            ERROR_IO_PENDING);
  daemon_.reply(expect_request().id, Reply{.status = PEERDIST_ERROR_NO_MORE});
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_NO_MORE));
  ov = OVERLAPPED{};
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, 2, buffer, &ov),
            ERROR_IO_PENDING);
  daemon_.reply(expect_request().id, Reply{.bytes = 3, .data = {9, 9, 9}});
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_INVALID_DATA));
  EXPECT_EQ(buffer[0], 1);  // untouched
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, ci), ERROR_SUCCESS);
}

// ---- Cancel ---------------------------------------------------------------------------------

using Cancel = WithFakeDaemon;

TEST_F(Cancel, PendingOperationCompletesAbortedBeforeCancelReturns) {
  auto* const stream = publish();
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov), ERROR_IO_PENDING);
  const auto complete = expect_request();
  // Another identifier, or another OVERLAPPED: not found.
  BYTE other[] = {'x'};
  OVERLAPPED unrelated{};
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, sizeof other, other, &ov),
            PEERDIST_ERROR_OPERATION_NOTFOUND);
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, sizeof test_id, test_id, &unrelated),
            PEERDIST_ERROR_OPERATION_NOTFOUND);

  auto cancel = std::async(std::launch::async, [&] {
    return PeerDistServerCancelAsyncOperation(instance_, sizeof test_id, test_id, &ov);
  });
  const auto request = expect_request();
  const auto* message = as<ipc::Cancel>(request);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->target_request_id, complete.id);
  EXPECT_EQ(cancel.wait_for(50ms), std::future_status::timeout);         // waits for the daemon
  daemon_.reply(complete.id, Reply{.status = ERROR_OPERATION_ABORTED});  // rule 4
  daemon_.reply(request.id, Reply{});
  ASSERT_EQ(cancel.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(cancel.get(), ERROR_SUCCESS);
  // The completion was posted before the call returned.
  auto packet = dequeue(port_, 0);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  // The publication is abandoned: the library closes the daemon's stream, and the handle
  // only accepts Close (docs/api.md).
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, sizeof test_id, test_id, &ov),
            PEERDIST_ERROR_OPERATION_NOTFOUND);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
}

TEST_F(Cancel, AfterTheResultItIsNotFoundAndTheOperationSucceeded) {
  auto* const ci = open();
  BYTE buffer[4];
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, 4, buffer, &ov),
            ERROR_IO_PENDING);
  const auto retrieve = expect_request();
  auto cancel = std::async(std::launch::async, [&] {
    return PeerDistServerCancelAsyncOperation(instance_, sizeof test_id, test_id, &ov);
  });
  const auto request = expect_request();
  // The daemon had answered first; the cancel finds nothing.
  daemon_.reply(retrieve.id, Reply{.bytes = 1, .data = {7}});
  daemon_.reply(request.id, Reply{.status = PEERDIST_ERROR_OPERATION_NOTFOUND});
  ASSERT_EQ(cancel.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(cancel.get(), PEERDIST_ERROR_OPERATION_NOTFOUND);
  auto packet = dequeue(port_, 0);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);  // exactly one completion: the success
  EXPECT_FALSE(dequeue(port_, 50));
}

TEST_F(Cancel, AddToStreamCancelsItsOutstandingPieces) {
  auto* const stream = publish();
  const auto data = pattern(2 * kMiB);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(data.size()),
                                             const_cast<BYTE*>(data.data()), &ov),
            ERROR_IO_PENDING);
  const auto a = expect_request();
  const auto b = expect_request();
  daemon_.reply(a.id, Reply{.bytes = kMiB});
  auto cancel = std::async(std::launch::async, [&] {
    return PeerDistServerCancelAsyncOperation(instance_, sizeof test_id, test_id, &ov);
  });
  // The library cancels every piece it has not seen answered: b, and a too if a's Result had
  // not reached it yet (then the daemon finds a answered: not found).
  bool b_cancelled = false;
  while (!b_cancelled) {
    const auto request = expect_request();
    const auto* message = as<ipc::Cancel>(request);
    ASSERT_NE(message, nullptr);
    if (message->target_request_id == a.id) {
      daemon_.reply(request.id, Reply{.status = PEERDIST_ERROR_OPERATION_NOTFOUND});
      continue;
    }
    ASSERT_EQ(message->target_request_id, b.id);
    daemon_.reply(b.id, Reply{.status = ERROR_OPERATION_ABORTED});  // rule 4: first
    daemon_.reply(request.id, Reply{});
    b_cancelled = true;
  }
  ASSERT_EQ(cancel.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(cancel.get(), ERROR_SUCCESS);
  DWORD transferred = 0;
  EXPECT_EQ(wait_overlapped(ov, &transferred), static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  EXPECT_EQ(transferred, kMiB);
}

// ---- Invalidation ---------------------------------------------------------------------------

using Invalidation = WithFakeDaemon;

TEST_F(Invalidation, DisabledInvalidatesHandlesAndEndsTheirOperations) {
  auto* const stream = publish();
  auto* const ci = open();
  BYTE buffer[4];
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, 4, buffer, &ov),
            ERROR_IO_PENDING);
  const auto retrieve = expect_request();
  daemon_.send_status(ipc::StatusChanged{
      .service_status = PEERDIST_STATUS_DISABLED, .min_ci_version = 1, .max_ci_version = 2});
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_INVALIDATED));
  // The daemon's own late Result changes nothing (exactly one completion).
  daemon_.reply(retrieve.id, Reply{.status = PEERDIST_ERROR_INVALIDATED});
  EXPECT_FALSE(dequeue(port_, 50));
  const auto data = pattern(10);
  OVERLAPPED add{};
  EXPECT_EQ(
      PeerDistServerPublishAddToStream(instance_, stream, 10, const_cast<BYTE*>(data.data()), &add),
      PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &add),
            PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, 4, buffer, &ov),
            PEERDIST_ERROR_INVALIDATED);
  // Close still succeeds.
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, ci), ERROR_SUCCESS);
  PEERDIST_STATUS_INFO info{};
  info.cbSize = sizeof info;
  daemon_.set_auto_reply([](const FakeRequest& r) -> std::optional<Reply> {
    if (std::holds_alternative<ipc::GetStatus>(r.message)) return Reply{.value = 0};
    return FakeDaemon::default_reply(r);
  });
  EXPECT_EQ(PeerDistGetStatusEx(instance_, &info), ERROR_SUCCESS);
  EXPECT_EQ(info.status, PEERDIST_STATUS_DISABLED);
}

TEST_F(Invalidation, LostConnectionEndsEverythingAndTheNextCallReconnects) {
  auto* const stream = publish();
  const auto data = pattern(kMiB);
  OVERLAPPED add{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(data.size()),
                                             const_cast<BYTE*>(data.data()), &add),
            ERROR_IO_PENDING);
  static_cast<void>(expect_request());
  // A notification armed with AVAILABLE as the last status reported.
  OVERLAPPED notify{};
  PEERDIST_STATUS status{};
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, port_, 1, &notify, &status),
            ERROR_IO_PENDING);
  const auto registration = expect_request();
  daemon_.reply(registration.id, Reply{.value = PEERDIST_STATUS_AVAILABLE});
  ASSERT_TRUE(dequeue(port_));
  ASSERT_EQ(status, PEERDIST_STATUS_AVAILABLE);
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance_, port_, 1, &notify, &status),
            ERROR_IO_PENDING);
  const auto second = expect_request();
  EXPECT_EQ(as<ipc::RegisterStatusNotification>(second)->baseline_status,
            static_cast<std::uint32_t>(PEERDIST_STATUS_AVAILABLE));
  // A synchronous call waiting for its Result when the connection goes.
  daemon_.set_auto_reply([](const FakeRequest& r) -> std::optional<Reply> {
    if (std::holds_alternative<ipc::Unpublish>(r.message)) return std::nullopt;
    return FakeDaemon::default_reply(r);
  });
  auto unpublish = std::async(std::launch::async, [&] {
    return PeerDistServerUnpublish(instance_, sizeof test_id, test_id);
  });
  static_cast<void>(expect_request());
  daemon_.drop_connection();
  ASSERT_EQ(unpublish.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(unpublish.get(), PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  std::vector<Packet> packets;
  for (int i = 0; i < 2; ++i) {
    auto packet = dequeue(port_);
    ASSERT_TRUE(packet);
    packets.push_back(*packet);
  }
  for (const auto& packet : packets) {
    if (packet.overlapped == &add) {
      EXPECT_EQ(packet.error, static_cast<DWORD>(PEERDIST_ERROR_INVALIDATED));
    } else {
      EXPECT_EQ(packet.overlapped, &notify);
      EXPECT_TRUE(packet.ok);
    }
  }
  EXPECT_EQ(status, PEERDIST_STATUS_UNAVAILABLE);
  // The old handle stays invalidated; the next call reconnects.
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &add),
            PEERDIST_ERROR_INVALIDATED);
  daemon_.set_auto_reply(FakeDaemon::default_reply);
  PEERDIST_STATUS now{};
  EXPECT_EQ(PeerDistGetStatus(instance_, &now), ERROR_SUCCESS);
  EXPECT_EQ(now, PEERDIST_STATUS_AVAILABLE);
  EXPECT_EQ(daemon_.hellos(), 2);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  auto* const fresh = publish();
  EXPECT_NE(fresh, nullptr);
}

TEST(FakeReconnect, NotificationArmedWithoutDaemonFiresWhenOneAppears) {
  const TempDir dir;
  const SocketEnv env(dir.file("fake.sock"));
  PEERDIST_INSTANCE_HANDLE instance = nullptr;
  ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance, nullptr), ERROR_SUCCESS);  // no daemon
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
  OVERLAPPED ov{};
  PEERDIST_STATUS status{};
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance, port, 1, &ov, &status),
            ERROR_IO_PENDING);
  ASSERT_TRUE(dequeue(port));
  ASSERT_EQ(status, PEERDIST_STATUS_UNAVAILABLE);
  // Armed in the library: the program makes no further call, yet the notification must fire
  // once a daemon answers (the library retries every second).
  ASSERT_EQ(PeerDistRegisterForStatusChangeNotification(instance, port, 2, &ov, &status),
            ERROR_IO_PENDING);
  FakeDaemon daemon(dir.file("fake.sock"), {});
  auto request = daemon.next(std::chrono::milliseconds(kPatienceMs));
  ASSERT_TRUE(request);
  const auto* registration = as<ipc::RegisterStatusNotification>(*request);
  ASSERT_NE(registration, nullptr);
  EXPECT_EQ(registration->baseline_status, static_cast<std::uint32_t>(PEERDIST_STATUS_UNAVAILABLE));
  daemon.reply(request->id, Reply{.value = PEERDIST_STATUS_AVAILABLE});
  const auto packet = dequeue(port);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->key, 2U);
  EXPECT_EQ(status, PEERDIST_STATUS_AVAILABLE);
  EXPECT_EQ(PeerDistShutdown(instance), ERROR_SUCCESS);
  EXPECT_TRUE(CloseHandle(port));
}

// ---- Shutdown -------------------------------------------------------------------------------

using Shutdown = WithFakeDaemon;

TEST_F(Shutdown, AbortsPendingOperationsAndTellsTheDaemon) {
  auto* const stream = publish();
  auto* const ci = open();
  const auto data = pattern(2 * kMiB);
  OVERLAPPED add{};
  OVERLAPPED retrieve{};
  BYTE buffer[4];
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(data.size()),
                                             const_cast<BYTE*>(data.data()), &add),
            ERROR_IO_PENDING);
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, 4, buffer, &retrieve),
            ERROR_IO_PENDING);
  std::vector<FakeRequest> pending;
  pending.reserve(3);
  for (int i = 0; i < 3; ++i) pending.push_back(expect_request());
  daemon_.set_auto_reply([](const FakeRequest& r) -> std::optional<Reply> {
    if (std::holds_alternative<ipc::Shutdown>(r.message)) return std::nullopt;
    return FakeDaemon::default_reply(r);
  });
  auto shutdown = std::async(std::launch::async, [&] { return PeerDistShutdown(instance_); });
  const auto request = expect_request();
  ASSERT_NE(as<ipc::Shutdown>(request), nullptr);
  for (const auto& p : pending) daemon_.reply(p.id, Reply{.status = ERROR_OPERATION_ABORTED});
  daemon_.reply(request.id, Reply{});
  ASSERT_EQ(shutdown.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(shutdown.get(), ERROR_SUCCESS);
  instance_ = nullptr;
  for (int i = 0; i < 2; ++i) {
    auto packet = dequeue(port_, 0);
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  }
  // The instance's handles went with it.
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_INVALID_HANDLE);
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
