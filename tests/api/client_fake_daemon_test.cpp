// The client functions (C and C++ API) against the scripted daemon (fake_daemon.hpp): what goes
// on the wire for each call, how each Result completes the OVERLAPPED (port or event, data
// copied, Offset/OffsetHigh and InternalHigh, the missing range of MISSING_DATA and TIMEOUT),
// the state rules the library owns (one AddContentInformation in flight), cancel, close,
// invalidation and Shutdown. The daemon's own semantics (peerdistd's ClientContent) are tested
// against the real daemon elsewhere.
#include <peerdist_compat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <variant>
#include <vector>

#include "peerdist/peerdist.hpp"

#include "api_test_support.hpp"
#include "fake_daemon.hpp"
#include "support/temp_dir.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMiB = std::size_t{1024} * 1024;

template <typename T>
const T* as(const FakeRequest& request) {
  return std::get_if<T>(&request.message);
}

std::vector<BYTE> pattern(std::size_t size) {
  std::vector<BYTE> data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<BYTE>((i * 13 + i / 4096) & 0xff);
  return data;
}

void set_offset(OVERLAPPED& ov, std::uint64_t offset) {
  ov.Offset = static_cast<DWORD>(offset & 0xffffffffU);
  ov.OffsetHigh = static_cast<DWORD>(offset >> 32U);
}

class Client : public ::testing::Test {
 protected:
  Client() : daemon_(dir_.file("fake.sock"), {}) {}

  void SetUp() override {
    daemon_.set_auto_reply(recording());
    ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance_, nullptr), ERROR_SUCCESS);
    port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
    ASSERT_NE(port_, nullptr);
    ASSERT_EQ(PeerDistClientOpenContent(instance_, &tag_, port_, 42, &content_), ERROR_SUCCESS);
    ASSERT_NE(content_, nullptr);
    const std::lock_guard lock(seen_mutex_);
    content_id_ = last_opened_;
  }
  void TearDown() override {
    if (content_ != nullptr && instance_ != nullptr) {
      EXPECT_EQ(PeerDistClientCloseContent(instance_, content_), ERROR_SUCCESS);
    }
    if (instance_ != nullptr) {
      EXPECT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
    }
    CloseHandle(port_);
  }

  // The default answers, recording each request answered (and the id OpenContent got), so that
  // a test can see what was sent without answering it itself.
  FakeDaemon::AutoReply recording() {
    return [this](const FakeRequest& request) {
      auto reply = FakeDaemon::default_reply(request);
      const std::lock_guard lock(seen_mutex_);
      seen_.push_back(request.message);
      if (reply && as<ipc::OpenContent>(request) != nullptr) last_opened_ = reply->value;
      return reply;
    };
  }
  // The last automatically answered request of type T.
  template <typename T>
  std::optional<T> last_seen() {
    const std::lock_guard lock(seen_mutex_);
    for (auto it = seen_.rbegin(); it != seen_.rend(); ++it) {
      if (const auto* m = std::get_if<T>(&*it)) return *m;
    }
    return std::nullopt;
  }
  FakeRequest expect_request() {
    auto request = daemon_.next();
    EXPECT_TRUE(request.has_value()) << "no request reached the daemon";
    return request.value_or(FakeRequest{});
  }

  TempDir dir_;
  SocketEnv env_{dir_.file("fake.sock")};
  FakeDaemon daemon_;
  std::mutex seen_mutex_;
  std::vector<ipc::Message> seen_;
  std::uint64_t last_opened_ = 0;
  PEERDIST_INSTANCE_HANDLE instance_ = nullptr;
  HANDLE port_ = nullptr;
  PEERDIST_CONTENT_TAG tag_{{0xC0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xCF}};
  PEERDIST_CONTENT_HANDLE content_ = nullptr;
  std::uint64_t content_id_ = 0;
};

// ---- Open, close, information -----------------------------------------------------------------

TEST_F(Client, OpenContentSendsTheTagAndCloseClosesOnTheDaemon) {
  ASSERT_NE(content_id_, 0U);
  const auto open = last_seen<ipc::OpenContent>();
  ASSERT_TRUE(open);
  EXPECT_TRUE(std::equal(open->tag.begin(), open->tag.end(), std::begin(tag_.Data)));
  // A content handle has its own close function (docs/api.md).
  SetLastError(0);
  EXPECT_FALSE(CloseHandle(content_));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  // Not a stream or content-info handle either.
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, content_), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, content_), ERROR_INVALID_HANDLE);

  EXPECT_EQ(PeerDistClientCloseContent(instance_, content_), ERROR_SUCCESS);
  const auto close = last_seen<ipc::CloseContent>();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->content, content_id_);
  EXPECT_EQ(PeerDistClientCloseContent(instance_, content_), ERROR_INVALID_HANDLE);
  OVERLAPPED ov{};
  BYTE buffer[4];
  EXPECT_EQ(PeerDistClientBlockRead(instance_, content_, 4, buffer, 0, &ov), ERROR_INVALID_HANDLE);
  content_ = nullptr;
}

TEST_F(Client, OpenContentReturnsTheDaemonsRefusal) {
  daemon_.set_auto_reply([](const FakeRequest& request) -> std::optional<Reply> {
    if (as<ipc::OpenContent>(request) != nullptr) {
      return Reply{.status = ERROR_ACCESS_DISABLED_BY_POLICY};
    }
    return FakeDaemon::default_reply(request);
  });
  PEERDIST_CONTENT_HANDLE content = nullptr;
  EXPECT_EQ(PeerDistClientOpenContent(instance_, &tag_, nullptr, 0, &content),
            ERROR_ACCESS_DISABLED_BY_POLICY);
  EXPECT_EQ(content, nullptr);
}

TEST_F(Client, GetInformationByHandleDecodesTheBasicInfo) {
  daemon_.set_auto_reply([](const FakeRequest& request) -> std::optional<Reply> {
    if (as<ipc::GetClientInformation>(request) != nullptr) return std::nullopt;
    return FakeDaemon::default_reply(request);
  });
  struct Case {
    Reply reply;
    DWORD expected;
    BOOL flash_crowd;
  };
  for (const Case& c :
       {Case{Reply{.bytes = 4, .data = {1, 0, 0, 0}}, ERROR_SUCCESS, TRUE},
        Case{Reply{.bytes = 4, .data = {0, 0, 0, 0}}, ERROR_SUCCESS, FALSE},
        // Not the structure: refused rather than half-read.
        Case{Reply{.bytes = 3, .data = {1, 0, 0}}, ERROR_INVALID_DATA, 7},
        Case{Reply{.status = PEERDIST_ERROR_INVALIDATED}, PEERDIST_ERROR_INVALIDATED, 7}}) {
    PEERDIST_CLIENT_BASIC_INFO info{7};
    auto call = std::async(std::launch::async, [&] {
      return PeerDistClientGetInformationByHandle(instance_, content_, PeerDistClientBasicInfo,
                                                  sizeof info, &info);
    });
    const auto request = expect_request();
    const auto* message = as<ipc::GetClientInformation>(request);
    ASSERT_NE(message, nullptr);
    EXPECT_EQ(message->content, content_id_);
    EXPECT_EQ(message->info_class, 0U);
    daemon_.reply(request.id, c.reply);
    ASSERT_EQ(call.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(call.get(), c.expected);
    EXPECT_EQ(info.fFlashCrowd, c.flash_crowd);
  }
}

// ---- Content information and data -------------------------------------------------------------

TEST_F(Client, AddContentInformationInPiecesOneCallInFlight) {
  const auto ci = pattern(kMiB + kMiB / 2);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistClientAddContentInformation(instance_, content_, static_cast<DWORD>(ci.size()),
                                                const_cast<BYTE*>(ci.data()), &ov),
            ERROR_IO_PENDING);
  std::vector<FakeRequest> pieces = {expect_request(), expect_request()};
  std::vector<BYTE> received;
  for (const auto& piece : pieces) {
    const auto* add = as<ipc::AddContentInformation>(piece);
    ASSERT_NE(add, nullptr);
    EXPECT_EQ(add->content, content_id_);
    EXPECT_TRUE(std::holds_alternative<ipc::SharedData>(add->data));
    received.insert(received.end(), piece.shared_bytes.begin(), piece.shared_bytes.end());
  }
  EXPECT_EQ(received, ci);
  // spec §2.3: one AddContentInformation outstanding; Complete waits for it too.
  OVERLAPPED other{};
  EXPECT_EQ(PeerDistClientAddContentInformation(instance_, content_, 4,
                                                const_cast<BYTE*>(ci.data()), &other),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistClientCompleteContentInformation(instance_, content_, &other),
            ERROR_INVALID_PARAMETER);
  EXPECT_FALSE(HasOverlappedIoCompleted(&ov));
  daemon_.reply(pieces[0].id, Reply{.bytes = static_cast<std::uint32_t>(kMiB)});
  EXPECT_FALSE(dequeue(port_, 50));  // not before the last piece
  daemon_.reply(pieces[1].id, Reply{.bytes = static_cast<std::uint32_t>(kMiB / 2)});
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->key, 42U);
  EXPECT_EQ(packet->overlapped, &ov);
  EXPECT_EQ(packet->bytes, ci.size());

  // Then Complete: one request; its failure is the daemon's to report (spec Q18).
  ASSERT_EQ(PeerDistClientCompleteContentInformation(instance_, content_, &other),
            ERROR_IO_PENDING);
  const auto complete = expect_request();
  const auto* message = as<ipc::CompleteContentInformation>(complete);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->content, content_id_);
  EXPECT_EQ(PeerDistClientCompleteContentInformation(instance_, content_, &ov),
            ERROR_INVALID_PARAMETER);  // one at a time
  daemon_.reply(complete.id, Reply{.status = PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO});
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_FALSE(packet->ok);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO));
  EXPECT_EQ(packet->overlapped, &other);
}

TEST_F(Client, AddDataSendsAbsoluteOffsetsAndLeavesTheCallersOffset) {
  const auto data = pattern(kMiB + 100);
  const std::uint64_t base = 0x0000000100000005ULL;
  OVERLAPPED ov{};
  set_offset(ov, base);
  ASSERT_EQ(PeerDistClientAddData(instance_, content_, static_cast<DWORD>(data.size()),
                                  const_cast<BYTE*>(data.data()), &ov),
            ERROR_IO_PENDING);
  // Several AddData calls may be pending at once: each piece names its own offset.
  const BYTE small[3] = {7, 8, 9};
  OVERLAPPED second{};
  set_offset(second, 10);
  ASSERT_EQ(PeerDistClientAddData(instance_, content_, 3, const_cast<BYTE*>(small), &second),
            ERROR_IO_PENDING);
  std::vector<FakeRequest> requests = {expect_request(), expect_request(), expect_request()};
  std::vector<std::pair<std::uint64_t, std::size_t>> pieces;
  for (const auto& request : requests) {
    const auto* add = as<ipc::AddData>(request);
    ASSERT_NE(add, nullptr);
    EXPECT_EQ(add->content, content_id_);
    pieces.emplace_back(add->offset, request.shared_bytes.size());
    daemon_.reply(request.id,
                  Reply{.bytes = static_cast<std::uint32_t>(request.shared_bytes.size())});
  }
  std::ranges::sort(pieces);
  const std::vector<std::pair<std::uint64_t, std::size_t>> expected = {
      {10, 3}, {base, kMiB}, {base + kMiB, 100}};
  EXPECT_EQ(pieces, expected);
  for (int i = 0; i < 2; ++i) {
    const auto packet = dequeue(port_);
    ASSERT_TRUE(packet);
    EXPECT_TRUE(packet->ok);
    EXPECT_EQ(packet->bytes, packet->overlapped == &ov ? data.size() : 3U);
  }
  EXPECT_EQ(offset_of(ov), base);
  EXPECT_EQ(offset_of(second), 10U);

  // A range whose last byte would lie past 2^64 - 1.
  OVERLAPPED wraps{};
  set_offset(wraps, 0xFFFFFFFFFFFFFFFFULL);
  EXPECT_EQ(PeerDistClientAddData(instance_, content_, 2, const_cast<BYTE*>(small), &wraps),
            ERROR_INVALID_PARAMETER);
  ASSERT_EQ(PeerDistClientAddData(instance_, content_, 1, const_cast<BYTE*>(small), &wraps),
            ERROR_IO_PENDING);
  const auto last = expect_request();
  daemon_.reply(last.id, Reply{.status = PEERDIST_ERROR_OUT_OF_BOUNDS});
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_OUT_OF_BOUNDS));
}

// ---- Reads ------------------------------------------------------------------------------------

TEST_F(Client, BlockReadCopiesTheDataAndCompletesThroughThePort) {
  BYTE buffer[8] = {};
  OVERLAPPED ov{};
  set_offset(ov, 0x0000000200000010ULL);
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, sizeof buffer, buffer, 1234, &ov),
            ERROR_IO_PENDING);
  const auto request = expect_request();
  const auto* read = as<ipc::BlockRead>(request);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->content, content_id_);
  EXPECT_EQ(read->offset, 0x0000000200000010ULL);
  EXPECT_EQ(read->max_bytes, sizeof buffer);
  EXPECT_EQ(read->timeout_ms, 1234U);
  EXPECT_FALSE(HasOverlappedIoCompleted(&ov));
  daemon_.reply(request.id, Reply{.value = 0x0000000200000010ULL, .bytes = 3, .data = {1, 2, 3}});
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->key, 42U);
  EXPECT_EQ(packet->overlapped, &ov);
  EXPECT_EQ(packet->bytes, 3U);
  EXPECT_EQ(ov.Internal, ULONG_PTR{ERROR_SUCCESS});
  EXPECT_EQ(ov.InternalHigh, ULONG_PTR{3});
  EXPECT_EQ(offset_of(ov), 0x0000000200000010ULL);
  EXPECT_EQ(buffer[0], 1);
  EXPECT_EQ(buffer[2], 3);
  EXPECT_EQ(buffer[3], 0);
}

TEST_F(Client, MissingDataAndTimeoutReportTheMissingRange) {
  for (const DWORD status : {DWORD{PEERDIST_ERROR_MISSING_DATA}, DWORD{ERROR_TIMEOUT}}) {
    BYTE buffer[16] = {};
    OVERLAPPED ov{};
    set_offset(ov, 5000);
    ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, sizeof buffer, buffer,
                                      PEERDIST_READ_TIMEOUT_DEFAULT, &ov),
              ERROR_IO_PENDING);
    const auto request = expect_request();
    EXPECT_EQ(as<ipc::BlockRead>(request)->timeout_ms, PEERDIST_READ_TIMEOUT_DEFAULT);
    // The range starts at the read's offset in this reading; whatever the daemon says is passed
    // on (a high value checks OffsetHigh).
    daemon_.reply(request.id,
                  Reply{.status = status, .value = 0x0000000700000000ULL, .bytes = 0x10000});
    const auto packet = dequeue(port_);
    ASSERT_TRUE(packet);
    EXPECT_FALSE(packet->ok);
    EXPECT_EQ(packet->error, status);
    EXPECT_EQ(packet->bytes, 0x10000U);  // the range's length (spec Q3)
    EXPECT_EQ(ov.InternalHigh, ULONG_PTR{0x10000});
    EXPECT_EQ(offset_of(ov), 0x0000000700000000ULL);
    EXPECT_EQ(buffer[0], 0);  // nothing copied
  }
  // NO_MORE: outside the content; nothing to report but the status.
  BYTE buffer[4] = {};
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, 4, buffer, 0, &ov), ERROR_IO_PENDING);
  daemon_.reply(expect_request().id, Reply{.status = PEERDIST_ERROR_NO_MORE});
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_NO_MORE));
  EXPECT_EQ(packet->bytes, 0U);
}

TEST_F(Client, ReadsCompleteThroughTheEventWithoutAPort) {
  PEERDIST_CONTENT_HANDLE content = nullptr;
  ASSERT_EQ(PeerDistClientOpenContent(instance_, &tag_, nullptr, 0, &content), ERROR_SUCCESS);
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  BYTE buffer[4] = {};
  OVERLAPPED ov{};
  ov.hEvent = event;
  set_offset(ov, 0x100000000ULL);
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content, sizeof buffer, buffer, 0, &ov),
            ERROR_IO_PENDING);
  DWORD bytes = 99;
  EXPECT_FALSE(PeerDistGetOverlappedResult(&ov, &bytes, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_IO_INCOMPLETE));
  daemon_.reply(expect_request().id,
                Reply{.value = 0x100000000ULL, .bytes = 4, .data = {9, 8, 7, 6}});
  EXPECT_EQ(WaitForSingleObject(event, kPatienceMs), WAIT_OBJECT_0);
  EXPECT_TRUE(PeerDistGetOverlappedResult(&ov, &bytes, FALSE));
  EXPECT_EQ(bytes, 4U);
  EXPECT_EQ(buffer[0], 9);
  EXPECT_EQ(buffer[3], 6);
  EXPECT_EQ(offset_of(ov), 0x100000000ULL);

  // A missing range through the event: FALSE, the status, and the range's length (spec Q20).
  ResetEvent(event);
  ov = OVERLAPPED{};
  ov.hEvent = event;
  ASSERT_EQ(PeerDistClientStreamRead(instance_, content, sizeof buffer, buffer, 0, &ov),
            ERROR_IO_PENDING);
  daemon_.reply(expect_request().id,
                Reply{.status = PEERDIST_ERROR_MISSING_DATA, .value = 64, .bytes = 500});
  EXPECT_EQ(WaitForSingleObject(event, kPatienceMs), WAIT_OBJECT_0);
  EXPECT_FALSE(GetOverlappedResult(nullptr, &ov, &bytes, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  EXPECT_EQ(bytes, 500U);
  EXPECT_EQ(offset_of(ov), 64U);
  EXPECT_FALSE(dequeue(port_, 20));  // nothing on the other handle's port
  EXPECT_EQ(PeerDistClientCloseContent(instance_, content), ERROR_SUCCESS);
  EXPECT_TRUE(CloseHandle(event));
}

TEST_F(Client, StreamReadSendsNoOffsetAndQueriesNeedNoBuffer) {
  OVERLAPPED ov{};
  set_offset(ov, 0xDEADBEEF);  // ignored: the position is the handle's
  ASSERT_EQ(PeerDistClientStreamRead(instance_, content_, 0, nullptr, 0, &ov), ERROR_IO_PENDING);
  const auto request = expect_request();
  const auto* read = as<ipc::StreamRead>(request);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->content, content_id_);
  EXPECT_EQ(read->max_bytes, 0U);
  EXPECT_EQ(read->timeout_ms, 0U);
  // A query answers a count and no data.
  daemon_.reply(request.id, Reply{.value = 0x40, .bytes = 123456});
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->bytes, 123456U);
  EXPECT_EQ(offset_of(ov), 0x40U);

  // A buffer larger than a Result can carry asks for what one can (docs/ipc.md).
  std::vector<BYTE> big(ipc::kMaxInlineData + 100);
  ov = OVERLAPPED{};
  ASSERT_EQ(PeerDistClientStreamRead(instance_, content_, static_cast<DWORD>(big.size()),
                                     big.data(), 0, &ov),
            ERROR_IO_PENDING);
  const auto large = expect_request();
  EXPECT_EQ(as<ipc::StreamRead>(large)->max_bytes, ipc::kMaxInlineData);
  daemon_.reply(large.id, Reply{.bytes = 2, .data = {5, 5}});
  ASSERT_TRUE(dequeue(port_));
  EXPECT_EQ(big[1], 5);
}

TEST_F(Client, AReadResultThatBreaksTheProtocolIsInvalidData) {
  BYTE buffer[2] = {};
  for (const Reply& bad : {Reply{.bytes = 3, .data = {1, 2, 3}},  // more than the buffer
                           Reply{.bytes = 1, .data = {1, 2}},     // bytes is not data's size
                           Reply{.status = STATUS_PENDING}}) {
    OVERLAPPED ov{};
    ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, sizeof buffer, buffer, 0, &ov),
              ERROR_IO_PENDING);
    daemon_.reply(expect_request().id, bad);
    const auto packet = dequeue(port_);
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_INVALID_DATA));
    EXPECT_EQ(buffer[0], 0);  // untouched
  }
  // A query (no buffer) that gets data.
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, 0, nullptr, 0, &ov), ERROR_IO_PENDING);
  daemon_.reply(expect_request().id, Reply{.bytes = 1, .data = {1}});
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_INVALID_DATA));
}

// ---- Flush --------------------------------------------------------------------------------------

TEST_F(Client, FlushContentCompletesOnItsOwnPort) {
  HANDLE own = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
  PEERDIST_CONTENT_TAG other{{0xAA}};
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistClientFlushContent(instance_, &other, own, 77, &ov), ERROR_IO_PENDING);
  const auto request = expect_request();
  const auto* flush = as<ipc::FlushContent>(request);
  ASSERT_NE(flush, nullptr);
  EXPECT_EQ(flush->tag[0], 0xAA);
  EXPECT_EQ(flush->tag[1], 0);
  daemon_.reply(request.id, Reply{});
  const auto packet = dequeue(own);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->key, 77U);
  EXPECT_FALSE(dequeue(port_, 20));
  EXPECT_TRUE(CloseHandle(own));
}

// ---- Cancel and close ---------------------------------------------------------------------------

TEST_F(Client, CancelOneReadByItsOverlapped) {
  BYTE a_buffer[4];
  BYTE b_buffer[4];
  OVERLAPPED a{};
  OVERLAPPED b{};
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, 4, a_buffer, 0, &a), ERROR_IO_PENDING);
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, 4, b_buffer, 0, &b), ERROR_IO_PENDING);
  const auto a_request = expect_request();
  const auto b_request = expect_request();
  OVERLAPPED unknown{};
  EXPECT_EQ(PeerDistClientCancelAsyncOperation(instance_, content_, &unknown),
            PEERDIST_ERROR_OPERATION_NOTFOUND);

  auto cancel = std::async(std::launch::async, [&] {
    return PeerDistClientCancelAsyncOperation(instance_, content_, &a);
  });
  const auto request = expect_request();
  const auto* message = as<ipc::Cancel>(request);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->target_request_id, a_request.id);
  EXPECT_EQ(cancel.wait_for(50ms), std::future_status::timeout);          // waits for the daemon
  daemon_.reply(a_request.id, Reply{.status = ERROR_OPERATION_ABORTED});  // rule 4
  daemon_.reply(request.id, Reply{});
  ASSERT_EQ(cancel.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(cancel.get(), ERROR_SUCCESS);
  auto packet = dequeue(port_, 0);  // posted before the call returned
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->overlapped, &a);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  EXPECT_EQ(PeerDistClientCancelAsyncOperation(instance_, content_, &a),
            PEERDIST_ERROR_OPERATION_NOTFOUND);
  // The other read goes on.
  daemon_.reply(b_request.id, Reply{.bytes = 1, .data = {4}});
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->overlapped, &b);
  EXPECT_TRUE(packet->ok);
}

TEST_F(Client, CancelAfterTheResultIsNotFound) {
  BYTE buffer[4];
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistClientStreamRead(instance_, content_, 4, buffer, 0, &ov), ERROR_IO_PENDING);
  const auto read = expect_request();
  auto cancel = std::async(std::launch::async, [&] {
    return PeerDistClientCancelAsyncOperation(instance_, content_, &ov);
  });
  const auto request = expect_request();
  daemon_.reply(read.id, Reply{.bytes = 1, .data = {7}});
  daemon_.reply(request.id, Reply{.status = PEERDIST_ERROR_OPERATION_NOTFOUND});
  ASSERT_EQ(cancel.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(cancel.get(), PEERDIST_ERROR_OPERATION_NOTFOUND);
  const auto packet = dequeue(port_, 0);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);  // exactly one completion: the success
  EXPECT_FALSE(dequeue(port_, 50));
}

TEST_F(Client, CancelWithoutOverlappedCancelsEverythingOnTheHandle) {
  // Nothing pending: nothing to do.
  EXPECT_EQ(PeerDistClientCancelAsyncOperation(instance_, content_, nullptr), ERROR_SUCCESS);
  BYTE buffer[4];
  const auto data = pattern(100);
  OVERLAPPED read{};
  OVERLAPPED add{};
  OVERLAPPED ci{};
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, 4, buffer, 0, &read), ERROR_IO_PENDING);
  ASSERT_EQ(PeerDistClientAddData(instance_, content_, 100, const_cast<BYTE*>(data.data()), &add),
            ERROR_IO_PENDING);
  ASSERT_EQ(PeerDistClientAddContentInformation(instance_, content_, 100,
                                                const_cast<BYTE*>(data.data()), &ci),
            ERROR_IO_PENDING);
  std::vector<std::uint64_t> targets;
  for (int i = 0; i < 3; ++i) targets.push_back(expect_request().id);
  // An operation on another handle is not touched.
  PEERDIST_CONTENT_HANDLE other = nullptr;
  ASSERT_EQ(PeerDistClientOpenContent(instance_, &tag_, port_, 43, &other), ERROR_SUCCESS);
  OVERLAPPED elsewhere{};
  ASSERT_EQ(PeerDistClientStreamRead(instance_, other, 4, buffer, 0, &elsewhere), ERROR_IO_PENDING);
  const auto elsewhere_request = expect_request();

  auto cancel = std::async(std::launch::async, [&] {
    return PeerDistClientCancelAsyncOperation(instance_, content_, nullptr);
  });
  for (int i = 0; i < 3; ++i) {
    const auto request = expect_request();
    const auto* message = as<ipc::Cancel>(request);
    ASSERT_NE(message, nullptr);
    ASSERT_NE(std::ranges::find(targets, message->target_request_id), targets.end());
    daemon_.reply(message->target_request_id, Reply{.status = ERROR_OPERATION_ABORTED});
    daemon_.reply(request.id, Reply{});
  }
  ASSERT_EQ(cancel.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(cancel.get(), ERROR_SUCCESS);
  std::vector<OVERLAPPED*> aborted;
  for (int i = 0; i < 3; ++i) {
    const auto packet = dequeue(port_, 0);
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
    aborted.push_back(packet->overlapped);
  }
  std::ranges::sort(aborted);
  std::vector<OVERLAPPED*> expected = {&read, &add, &ci};
  std::ranges::sort(expected);
  EXPECT_EQ(aborted, expected);
  EXPECT_FALSE(HasOverlappedIoCompleted(&elsewhere));
  // The handle takes a new AddContentInformation: the cancelled one no longer counts.
  ASSERT_EQ(PeerDistClientAddContentInformation(instance_, content_, 100,
                                                const_cast<BYTE*>(data.data()), &ci),
            ERROR_IO_PENDING);
  daemon_.reply(expect_request().id, Reply{.bytes = 100});
  ASSERT_TRUE(dequeue(port_));
  daemon_.reply(elsewhere_request.id, Reply{.status = PEERDIST_ERROR_NO_MORE});
  ASSERT_TRUE(dequeue(port_));
  EXPECT_EQ(PeerDistClientCloseContent(instance_, other), ERROR_SUCCESS);
}

TEST_F(Client, CloseContentAbortsWhatIsPending) {
  BYTE buffer[4];
  OVERLAPPED answered{};
  OVERLAPPED unanswered{};
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, 4, buffer, 0, &answered),
            ERROR_IO_PENDING);
  ASSERT_EQ(PeerDistClientStreamRead(instance_, content_, 4, buffer, 0, &unanswered),
            ERROR_IO_PENDING);
  const auto first = expect_request();
  static_cast<void>(expect_request());
  daemon_.set_auto_reply(
      [record = recording()](const FakeRequest& request) -> std::optional<Reply> {
        if (as<ipc::CloseContent>(request) != nullptr) return std::nullopt;
        return record(request);
      });
  auto close = std::async(std::launch::async,
                          [&] { return PeerDistClientCloseContent(instance_, content_); });
  const auto request = expect_request();
  const auto* message = as<ipc::CloseContent>(request);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->content, content_id_);
  // The daemon aborts one before answering (rule 4); the library ends the other itself.
  daemon_.reply(first.id, Reply{.status = ERROR_OPERATION_ABORTED});
  daemon_.reply(request.id, Reply{});
  ASSERT_EQ(close.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(close.get(), ERROR_SUCCESS);
  for (int i = 0; i < 2; ++i) {
    const auto packet = dequeue(port_, 0);
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  }
  EXPECT_FALSE(dequeue(port_, 50));
  content_ = nullptr;
}

// ---- Invalidation and Shutdown ------------------------------------------------------------------

TEST_F(Client, DisabledInvalidatesContentHandles) {
  BYTE buffer[4];
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, 4, buffer, 0, &ov), ERROR_IO_PENDING);
  const auto read = expect_request();
  daemon_.send_status(ipc::StatusChanged{
      .service_status = PEERDIST_STATUS_DISABLED, .min_ci_version = 1, .max_ci_version = 2});
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_INVALIDATED));
  daemon_.reply(read.id, Reply{.status = PEERDIST_ERROR_INVALIDATED});
  EXPECT_FALSE(dequeue(port_, 50));  // exactly one completion
  EXPECT_EQ(PeerDistClientBlockRead(instance_, content_, 4, buffer, 0, &ov),
            PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(PeerDistClientAddData(instance_, content_, 4, buffer, &ov), PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(PeerDistClientCompleteContentInformation(instance_, content_, &ov),
            PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(PeerDistClientCancelAsyncOperation(instance_, content_, nullptr),
            PEERDIST_ERROR_INVALIDATED);
  PEERDIST_CLIENT_BASIC_INFO info{};
  EXPECT_EQ(PeerDistClientGetInformationByHandle(instance_, content_, PeerDistClientBasicInfo,
                                                 sizeof info, &info),
            PEERDIST_ERROR_INVALIDATED);
  // Close still succeeds (spec §1.5).
  EXPECT_EQ(PeerDistClientCloseContent(instance_, content_), ERROR_SUCCESS);
  content_ = nullptr;
}

TEST_F(Client, ShutdownAbortsPendingOperationsAndTakesTheHandles) {
  BYTE buffer[4];
  OVERLAPPED read{};
  OVERLAPPED flush{};
  ASSERT_EQ(PeerDistClientBlockRead(instance_, content_, 4, buffer, 0, &read), ERROR_IO_PENDING);
  ASSERT_EQ(PeerDistClientFlushContent(instance_, &tag_, port_, 5, &flush), ERROR_IO_PENDING);
  static_cast<void>(expect_request());
  static_cast<void>(expect_request());
  // The daemon answers only the Shutdown: the library ends the rest.
  EXPECT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
  for (int i = 0; i < 2; ++i) {
    const auto packet = dequeue(port_, 0);
    ASSERT_TRUE(packet);
    EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  }
  EXPECT_EQ(PeerDistClientCloseContent(instance_, content_), ERROR_INVALID_HANDLE);
  instance_ = nullptr;
  content_ = nullptr;
}

// ---- C++ API
// --------------------------------------------------------------------------------------

class ClientCxx : public ::testing::Test {
 protected:
  ClientCxx() : daemon_(dir_.file("fake.sock"), {}) {}

  FakeRequest expect_request() {
    auto request = daemon_.next();
    EXPECT_TRUE(request.has_value()) << "no request reached the daemon";
    return request.value_or(FakeRequest{});
  }

  TempDir dir_;
  SocketEnv env_{dir_.file("fake.sock")};
  FakeDaemon daemon_;
  ContentTag tag_{0x11, 0x22};
};

TEST_F(ClientCxx, RetrievalRoundTrip) {
  auto instance = Instance::start();
  ASSERT_TRUE(instance);
  auto content = instance->open_content(tag_);
  ASSERT_TRUE(content) << content.error().message();
  EXPECT_EQ(content->tag(), tag_);
  EXPECT_NE(content->native_handle(), nullptr);

  const auto ci = pattern(300);
  auto added = content->add_content_information(ci);
  auto request = expect_request();
  const auto* add = as<ipc::AddContentInformation>(request);
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(request.shared_bytes, ci);
  // One at a time, as in the C API.
  EXPECT_EQ(content->add_content_information(ci).get(), Win32Error{ERROR_INVALID_PARAMETER});
  daemon_.reply(request.id, Reply{.bytes = 300});
  EXPECT_FALSE(added.get());
  auto completed = content->complete_content_information();
  daemon_.reply(expect_request().id, Reply{});
  EXPECT_FALSE(completed.get());

  // A read that finds the data.
  std::vector<std::uint8_t> out(16);
  auto read = content->block_read(0x100000000ULL, out, std::chrono::seconds(10));
  request = expect_request();
  const auto* block = as<ipc::BlockRead>(request);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->offset, 0x100000000ULL);
  EXPECT_EQ(block->max_bytes, 16U);
  EXPECT_EQ(block->timeout_ms, 10000U);
  daemon_.reply(request.id, Reply{.value = 0x100000000ULL, .bytes = 2, .data = {0xAB, 0xCD}});
  auto result = read.get();
  EXPECT_TRUE(result.ok()) << result.error.message();
  EXPECT_EQ(result.offset, 0x100000000ULL);
  EXPECT_EQ(result.bytes, 2U);
  EXPECT_EQ(out[1], 0xCD);

  // A read that does not: the missing range, then the origin's bytes added there.
  auto stream = content->stream_read(out, kReadLocalCacheOnly);
  request = expect_request();
  ASSERT_NE(as<ipc::StreamRead>(request), nullptr);
  EXPECT_EQ(as<ipc::StreamRead>(request)->timeout_ms, 0U);
  daemon_.reply(request.id,
                Reply{.status = PEERDIST_ERROR_MISSING_DATA, .value = 65536, .bytes = 4096});
  result = stream.get();
  EXPECT_TRUE(result.missing());
  EXPECT_FALSE(result.end());
  EXPECT_EQ(result.offset, 65536U);
  EXPECT_EQ(result.bytes, 4096U);
  const auto origin = pattern(4096);
  auto data = content->add_data(result.offset, origin);
  request = expect_request();
  ASSERT_NE(as<ipc::AddData>(request), nullptr);
  EXPECT_EQ(as<ipc::AddData>(request)->offset, 65536U);
  EXPECT_EQ(request.shared_bytes, origin);
  daemon_.reply(request.id, Reply{.bytes = 4096});
  EXPECT_FALSE(data.get());

  // The end, as a value.
  read = content->block_read(1 << 30, out);
  request = expect_request();
  EXPECT_EQ(as<ipc::BlockRead>(request)->timeout_ms, PEERDIST_READ_TIMEOUT_DEFAULT);
  daemon_.reply(request.id, Reply{.status = PEERDIST_ERROR_NO_MORE});
  EXPECT_TRUE(read.get().end());

  // Information, flush, cancel, close.
  auto info = std::async(std::launch::async, [&] { return content->basic_info(); });
  daemon_.reply(expect_request().id, Reply{.bytes = 4, .data = {1, 0, 0, 0}});
  const auto basic = info.get();
  ASSERT_TRUE(basic);
  EXPECT_TRUE(basic->flash_crowd);
  auto flushed = content->flush();
  request = expect_request();
  ASSERT_NE(as<ipc::FlushContent>(request), nullptr);
  EXPECT_EQ(as<ipc::FlushContent>(request)->tag, tag_);
  daemon_.reply(request.id, Reply{});
  EXPECT_FALSE(flushed.get());

  read = content->block_read(0, out, std::chrono::milliseconds(-5));
  request = expect_request();
  EXPECT_EQ(as<ipc::BlockRead>(request)->timeout_ms, 0U);  // negative: do not wait
  auto cancel = std::async(std::launch::async, [&] { return content->cancel(); });
  const auto cancel_request = expect_request();
  ASSERT_NE(as<ipc::Cancel>(cancel_request), nullptr);
  daemon_.reply(request.id, Reply{.status = ERROR_OPERATION_ABORTED});
  daemon_.reply(cancel_request.id, Reply{});
  EXPECT_FALSE(cancel.get());
  EXPECT_EQ(read.get().error, std::errc::operation_canceled);

  EXPECT_FALSE(content->close());
  EXPECT_FALSE(content->valid());
  EXPECT_FALSE(instance->shutdown());
}

TEST_F(ClientCxx, TimeoutsAreClampedToADword) {
  auto instance = Instance::start();
  ASSERT_TRUE(instance);
  auto content = instance->open_content(tag_);
  ASSERT_TRUE(content);
  std::vector<std::uint8_t> out(4);
  auto read = content->stream_read(out, std::chrono::hours(24 * 365));
  const auto request = expect_request();
  EXPECT_EQ(as<ipc::StreamRead>(request)->timeout_ms, 0xFFFFFFFFU);
  daemon_.reply(request.id, Reply{.status = ERROR_TIMEOUT, .value = 8, .bytes = 0xFFFFFFFF});
  const auto result = read.get();
  EXPECT_TRUE(result.missing());
  EXPECT_EQ(result.bytes, 0xFFFFFFFFU);
}

TEST_F(ClientCxx, CacheInfoAndClearReturnTheDaemonsJson) {
  auto instance = Instance::start();
  ASSERT_TRUE(instance);
  auto info = std::async(std::launch::async, [&] { return instance->cache_info(); });
  auto request = expect_request();
  ASSERT_NE(as<ipc::CacheInfo>(request), nullptr);
  const std::string json = R"({"bytes":1})";
  daemon_.reply(request.id, Reply{.bytes = static_cast<std::uint32_t>(json.size()),
                                  .data = ipc::Blob(json.begin(), json.end())});
  auto got = info.get();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, json);
  auto clear = std::async(std::launch::async, [&] { return instance->cache_clear(); });
  request = expect_request();
  ASSERT_NE(as<ipc::CacheClear>(request), nullptr);
  daemon_.reply(request.id, Reply{.status = ERROR_ACCESS_DENIED});
  const auto refused = clear.get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), std::errc::permission_denied);
}

TEST(ClientCxxNoDaemon, EmptyObjectsAndNoService) {
  const TempDir dir;
  const SocketEnv env(dir.file("none.sock"));
  ClientContent empty;
  std::vector<std::uint8_t> out(4);
  EXPECT_FALSE(empty.valid());
  EXPECT_EQ(empty.tag(), ContentTag{});
  EXPECT_EQ(empty.add_content_information(out).get(), Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_EQ(empty.complete_content_information().get(), Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_EQ(empty.add_data(0, out).get(), Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_EQ(empty.block_read(0, out).get().error, Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_EQ(empty.stream_read(out).get().error, Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_EQ(empty.flush().get(), Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_EQ(empty.basic_info().error(), Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_EQ(empty.cancel(), Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_FALSE(empty.close());
  EXPECT_EQ(empty.native_handle(), nullptr);

  auto instance = Instance::start();
  ASSERT_TRUE(instance);
  EXPECT_EQ(instance->open_content(ContentTag{}).error(),
            Win32Error{PEERDIST_ERROR_SERVICE_UNAVAILABLE});
  EXPECT_EQ(instance->flush_content(ContentTag{}).get(),
            Win32Error{PEERDIST_ERROR_SERVICE_UNAVAILABLE});
  EXPECT_EQ(instance->cache_info().error(), Win32Error{PEERDIST_ERROR_SERVICE_UNAVAILABLE});
  EXPECT_EQ(instance->cache_clear().error(), Win32Error{PEERDIST_ERROR_SERVICE_UNAVAILABLE});
  Instance none;
  EXPECT_EQ(none.open_content(ContentTag{}).error(), Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_EQ(none.cache_info().error(), Win32Error{ERROR_INVALID_HANDLE});
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
