// The client functions against a real peerdistd (no peers: distributed mode asks none yet),
// publish-free: a program holds content information made by the pccrc builder, reads (the
// missing range is reported), adds the bytes it fetched from the "origin", and reads them back
// exactly, with BlockRead and StreamRead; the cache survives a restart of the daemon and
// FlushContent removes what was added under its tag. Every return code of the client functions
// that the daemon decides.
#include <peerdist_compat.h>

#include <gtest/gtest.h>

#include <cstring>

#include "daemon_test_support.hpp"
#include "support/test_data.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

// 20 V1 blocks, the last one short.
constexpr std::size_t kSize = 19 * 65536 + 12345;
constexpr DWORD kLocalOnly = PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY;

PEERDIST_CONTENT_TAG tag_of(BYTE value) {
  PEERDIST_CONTENT_TAG tag{};
  std::memset(tag.Data, value, sizeof tag.Data);
  return tag;
}

void set_offset(OVERLAPPED& ov, std::uint64_t offset) {
  ov.Offset = static_cast<DWORD>(offset);
  ov.OffsetHigh = static_cast<DWORD>(offset >> 32U);
}

// What an asynchronous call ended with: its synchronous return, or its completion's.
struct Outcome {
  DWORD error = ERROR_SUCCESS;
  DWORD bytes = 0;
  std::uint64_t offset = 0;
};

Outcome finish(DWORD returned, OVERLAPPED& ov) {
  Outcome out;
  if (returned != ERROR_IO_PENDING) {
    out.error = returned;
    return out;
  }
  const auto status = wait_overlapped(ov, &out.bytes);
  out.error = status.value_or(WAIT_TIMEOUT);
  out.offset = offset_of(ov);
  return out;
}

class Client : public WithDaemon {
 protected:
  void SetUp() override {
    WithDaemon::SetUp();
    content_ = random_content(kSize, 5);
    ci_ = expected_ci(content_, pccrc::Version::v1);
  }

  PEERDIST_CONTENT_HANDLE open(BYTE tag = 1, PEERDIST_INSTANCE_HANDLE instance = nullptr) {
    const PEERDIST_CONTENT_TAG t = tag_of(tag);
    PEERDIST_CONTENT_HANDLE handle = nullptr;
    EXPECT_EQ(PeerDistClientOpenContent(instance != nullptr ? instance : instance_, &t, nullptr, 0,
                                        &handle),
              ERROR_SUCCESS);
    return handle;
  }
  Outcome add_ci(PEERDIST_CONTENT_HANDLE h, std::span<const std::uint8_t> bytes,
                 PEERDIST_INSTANCE_HANDLE instance = nullptr) {
    OVERLAPPED ov{};
    return finish(PeerDistClientAddContentInformation(instance != nullptr ? instance : instance_, h,
                                                      static_cast<DWORD>(bytes.size()),
                                                      const_cast<BYTE*>(bytes.data()), &ov),
                  ov);
  }
  Outcome complete(PEERDIST_CONTENT_HANDLE h, PEERDIST_INSTANCE_HANDLE instance = nullptr) {
    OVERLAPPED ov{};
    return finish(PeerDistClientCompleteContentInformation(
                      instance != nullptr ? instance : instance_, h, &ov),
                  ov);
  }
  // A handle with the whole CI added (in two calls) and completed.
  PEERDIST_CONTENT_HANDLE ready(BYTE tag = 1, PEERDIST_INSTANCE_HANDLE instance = nullptr) {
    PEERDIST_CONTENT_HANDLE h = open(tag, instance);
    const std::size_t half = ci_.size() / 2;
    EXPECT_EQ(add_ci(h, std::span(ci_).first(half), instance).error, ERROR_SUCCESS);
    EXPECT_EQ(add_ci(h, std::span(ci_).subspan(half), instance).error, ERROR_SUCCESS);
    EXPECT_EQ(complete(h, instance).error, ERROR_SUCCESS);
    return h;
  }
  Outcome add_data(PEERDIST_CONTENT_HANDLE h, std::uint64_t offset,
                   std::span<const std::uint8_t> bytes) {
    OVERLAPPED ov{};
    set_offset(ov, offset);
    return finish(PeerDistClientAddData(instance_, h, static_cast<DWORD>(bytes.size()),
                                        const_cast<BYTE*>(bytes.data()), &ov),
                  ov);
  }
  // AddData of the whole content in pieces of `piece` bytes.
  void add_all(PEERDIST_CONTENT_HANDLE h, std::size_t piece = 256 * 1024) {
    for (std::size_t at = 0; at < content_.size(); at += piece) {
      const std::size_t n = std::min(piece, content_.size() - at);
      ASSERT_EQ(add_data(h, at, std::span(content_).subspan(at, n)).error, ERROR_SUCCESS);
    }
  }
  Outcome block_read(PEERDIST_CONTENT_HANDLE h, std::uint64_t offset,
                     std::vector<std::uint8_t>& buffer, DWORD timeout = kLocalOnly,
                     PEERDIST_INSTANCE_HANDLE instance = nullptr) {
    OVERLAPPED ov{};
    set_offset(ov, offset);
    return finish(PeerDistClientBlockRead(instance != nullptr ? instance : instance_, h,
                                          static_cast<DWORD>(buffer.size()),
                                          buffer.empty() ? nullptr : buffer.data(), timeout, &ov),
                  ov);
  }
  Outcome stream_read(PEERDIST_CONTENT_HANDLE h, std::vector<std::uint8_t>& buffer) {
    OVERLAPPED ov{};
    return finish(
        PeerDistClientStreamRead(instance_, h, static_cast<DWORD>(buffer.size()),
                                 buffer.empty() ? nullptr : buffer.data(), kLocalOnly, &ov),
        ov);
  }
  Outcome flush(BYTE tag, PEERDIST_INSTANCE_HANDLE instance = nullptr) {
    const PEERDIST_CONTENT_TAG t = tag_of(tag);
    OVERLAPPED ov{};
    return finish(
        PeerDistClientFlushContent(instance != nullptr ? instance : instance_, &t, nullptr, 0, &ov),
        ov);
  }
  // Reads the whole content with BlockRead in pieces of `piece` bytes (local cache only).
  std::vector<std::uint8_t> read_all(PEERDIST_CONTENT_HANDLE h, std::size_t piece,
                                     PEERDIST_INSTANCE_HANDLE instance = nullptr) {
    std::vector<std::uint8_t> all;
    std::vector<std::uint8_t> buffer(piece);
    while (all.size() < content_.size()) {
      const Outcome r = block_read(h, all.size(), buffer, kLocalOnly, instance);
      EXPECT_EQ(r.error, ERROR_SUCCESS);
      EXPECT_EQ(r.offset, all.size());
      if (r.error != ERROR_SUCCESS || r.bytes == 0) break;
      all.insert(all.end(), buffer.begin(), buffer.begin() + r.bytes);
    }
    return all;
  }

  std::vector<std::uint8_t> content_;
  std::vector<std::uint8_t> ci_;
};

TEST_F(Client, MissingRangeThenAddDataThenTheExactBytes) {
  PEERDIST_CONTENT_HANDLE h = ready();
  std::vector<std::uint8_t> buffer(100'000);
  Outcome r = block_read(h, 0, buffer);
  EXPECT_EQ(r.error, static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  EXPECT_EQ(r.offset, 0U);
  EXPECT_EQ(r.bytes, kSize);
  r = block_read(h, 500'000, buffer);
  EXPECT_EQ(r.error, static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  EXPECT_EQ(r.offset, 500'000U);
  EXPECT_EQ(r.bytes, kSize - 500'000);
  // Blocks 3 and 4 from the origin: the range before them ends where they start.
  ASSERT_EQ(add_data(h, 3 * 65536, std::span(content_).subspan(3 * 65536, 2 * 65536)).error,
            ERROR_SUCCESS);
  r = block_read(h, 1000, buffer);
  EXPECT_EQ(r.error, static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  EXPECT_EQ(r.bytes, 3 * 65536 - 1000);
  // Up to the end of the held blocks (the next is missing), within the buffer.
  std::vector<std::uint8_t> big(1 << 20);
  r = block_read(h, 3 * 65536 + 5, big);
  ASSERT_EQ(r.error, ERROR_SUCCESS);
  EXPECT_EQ(r.offset, 3 * 65536 + 5U);
  ASSERT_EQ(r.bytes, 2 * 65536 - 5);
  EXPECT_TRUE(std::equal(big.begin(), big.begin() + r.bytes, content_.begin() + 3 * 65536 + 5));
  r = block_read(h, 3 * 65536 + 5, buffer);
  ASSERT_EQ(r.error, ERROR_SUCCESS);
  EXPECT_EQ(r.bytes, buffer.size());

  add_all(h);
  EXPECT_EQ(read_all(h, 100'000), content_);
  // A query: NULL buffer, zero bytes.
  std::vector<std::uint8_t> none;
  r = block_read(h, 1234, none);
  EXPECT_EQ(r.error, ERROR_SUCCESS);
  EXPECT_EQ(r.bytes, kSize - 1234);
  // StreamRead from the start to the end.
  std::vector<std::uint8_t> streamed;
  std::vector<std::uint8_t> piece(300'000);
  for (;;) {
    r = stream_read(h, piece);
    if (r.error == PEERDIST_ERROR_NO_MORE) break;
    ASSERT_EQ(r.error, ERROR_SUCCESS);
    EXPECT_EQ(r.offset, streamed.size());
    streamed.insert(streamed.end(), piece.begin(), piece.begin() + r.bytes);
  }
  EXPECT_EQ(streamed, content_);
  EXPECT_EQ(PeerDistClientCloseContent(instance_, h), ERROR_SUCCESS);
}

TEST_F(Client, TheCacheSurvivesARestartOfTheDaemon) {
  PEERDIST_CONTENT_HANDLE h = ready();
  add_all(h, 70'001);  // pieces across block boundaries
  EXPECT_EQ(PeerDistClientCloseContent(instance_, h), ERROR_SUCCESS);
  ASSERT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
  instance_ = nullptr;
  ASSERT_TRUE(daemon_.stop()) << daemon_.log();
  ASSERT_TRUE(daemon_.start()) << daemon_.log();
  start_instance(instance_);
  h = ready();
  EXPECT_EQ(read_all(h, 1 << 20), content_);
}

TEST_F(Client, FlushContentRemovesWhatItsTagAdded) {
  PEERDIST_CONTENT_HANDLE h = ready(7);
  add_all(h);
  // Another tag: nothing of this content.
  EXPECT_EQ(flush(8).error, ERROR_SUCCESS);
  std::vector<std::uint8_t> buffer(10);
  EXPECT_EQ(block_read(h, 0, buffer).error, ERROR_SUCCESS);
  EXPECT_EQ(flush(7).error, ERROR_SUCCESS);
  const Outcome r = block_read(h, 0, buffer);
  EXPECT_EQ(r.error, static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  EXPECT_EQ(r.bytes, kSize);
  // The handle goes on: the data can be added again.
  add_all(h);
  EXPECT_EQ(read_all(h, 1 << 20), content_);
}

TEST_F(Client, TwoHandlesAndTwoInstancesShareTheCache) {
  PEERDIST_CONTENT_HANDLE a = ready(1);
  PEERDIST_CONTENT_HANDLE b = ready(2);
  add_all(a);
  EXPECT_EQ(read_all(b, 1 << 20), content_);
  PEERDIST_INSTANCE_HANDLE other = nullptr;
  start_instance(other);
  PEERDIST_CONTENT_HANDLE c = ready(3, other);
  EXPECT_EQ(read_all(c, 1 << 20, other), content_);
  // A handle of one instance is not the other's.
  std::vector<std::uint8_t> buffer(10);
  EXPECT_EQ(block_read(a, 0, buffer, kLocalOnly, other).error,
            static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(PeerDistShutdown(other), ERROR_SUCCESS);
}

TEST_F(Client, ReturnCodesTheServiceDecides) {
  PEERDIST_CONTENT_HANDLE h = open();
  std::vector<std::uint8_t> buffer(100);
  // Before the CI is complete.
  EXPECT_EQ(block_read(h, 0, buffer).error, static_cast<DWORD>(PEERDIST_ERROR_NOT_INITIALIZED));
  EXPECT_EQ(stream_read(h, buffer).error, static_cast<DWORD>(PEERDIST_ERROR_NOT_INITIALIZED));
  EXPECT_EQ(add_data(h, 0, std::span(content_).first(10)).error,
            static_cast<DWORD>(PEERDIST_ERROR_NOT_INITIALIZED));
  EXPECT_EQ(complete(h).error, static_cast<DWORD>(PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO));
  const std::vector<std::uint8_t> v9 = {0x00, 0x09, 0x00};
  EXPECT_EQ(add_ci(h, v9).error,
            static_cast<DWORD>(PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED));
  EXPECT_EQ(add_ci(h, std::span(ci_).first(ci_.size() - 3)).error, ERROR_SUCCESS);
  EXPECT_EQ(complete(h).error, static_cast<DWORD>(PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO));
  // Dropped after the failure: the whole CI again.
  EXPECT_EQ(add_ci(h, ci_).error, ERROR_SUCCESS);
  EXPECT_EQ(complete(h).error, ERROR_SUCCESS);
  EXPECT_EQ(add_ci(h, ci_).error, static_cast<DWORD>(PEERDIST_ERROR_ALREADY_COMPLETED));
  EXPECT_EQ(complete(h).error, static_cast<DWORD>(PEERDIST_ERROR_ALREADY_COMPLETED));
  // Outside the content.
  EXPECT_EQ(block_read(h, kSize, buffer).error, static_cast<DWORD>(PEERDIST_ERROR_NO_MORE));
  EXPECT_EQ(add_data(h, kSize, std::span(content_).first(10)).error,
            static_cast<DWORD>(PEERDIST_ERROR_OUT_OF_BOUNDS));
  // Data that does not match the CI: accepted, dropped, still missing.
  std::vector<std::uint8_t> wrong(content_.begin(), content_.begin() + 65536);
  wrong[7] ^= 1U;
  EXPECT_EQ(add_data(h, 0, wrong).error, ERROR_SUCCESS);
  EXPECT_EQ(block_read(h, 0, buffer).error, static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  // Read with the default timeout: no peer has it (distributed mode has no peers here).
  const Outcome r = block_read(h, 10, buffer, PEERDIST_READ_TIMEOUT_DEFAULT);
  EXPECT_EQ(r.error, static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  EXPECT_EQ(r.offset, 10U);
  EXPECT_EQ(r.bytes, kSize - 10);
  // GetInformationByHandle: no flash crowd.
  PEERDIST_CLIENT_BASIC_INFO info{};
  info.fFlashCrowd = TRUE;
  EXPECT_EQ(PeerDistClientGetInformationByHandle(instance_, h, PeerDistClientBasicInfo, sizeof info,
                                                 &info),
            ERROR_SUCCESS);
  EXPECT_EQ(info.fFlashCrowd, FALSE);
  // Nothing pending to cancel.
  OVERLAPPED unknown{};
  EXPECT_EQ(PeerDistClientCancelAsyncOperation(instance_, h, &unknown),
            static_cast<DWORD>(PEERDIST_ERROR_OPERATION_NOTFOUND));
  EXPECT_EQ(PeerDistClientCloseContent(instance_, h), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistClientCloseContent(instance_, h), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(block_read(h, 0, buffer).error, static_cast<DWORD>(ERROR_INVALID_HANDLE));
}

TEST_F(Client, DisabledByPolicy) {
  PEERDIST_CONTENT_HANDLE h = ready();
  daemon_.set_enabled(false);
  ASSERT_TRUE(wait_status(instance_, PEERDIST_STATUS_DISABLED));
  std::vector<std::uint8_t> buffer(10);
  EXPECT_EQ(block_read(h, 0, buffer).error, static_cast<DWORD>(PEERDIST_ERROR_INVALIDATED));
  EXPECT_EQ(add_data(h, 0, std::span(content_).first(10)).error,
            static_cast<DWORD>(PEERDIST_ERROR_INVALIDATED));
  const PEERDIST_CONTENT_TAG t = tag_of(1);
  PEERDIST_CONTENT_HANDLE other = nullptr;
  EXPECT_EQ(PeerDistClientOpenContent(instance_, &t, nullptr, 0, &other),
            static_cast<DWORD>(ERROR_ACCESS_DISABLED_BY_POLICY));
  EXPECT_EQ(flush(1).error, static_cast<DWORD>(ERROR_ACCESS_DISABLED_BY_POLICY));
  EXPECT_EQ(PeerDistClientCloseContent(instance_, h), ERROR_SUCCESS);
  daemon_.set_enabled(true);
  ASSERT_TRUE(wait_status(instance_, PEERDIST_STATUS_AVAILABLE));
  h = ready();
  EXPECT_EQ(block_read(h, 0, buffer).error, static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
}

TEST_F(Client, CompletionsThroughTheHandlesPort) {
  const PEERDIST_CONTENT_TAG t = tag_of(9);
  PEERDIST_CONTENT_HANDLE h = nullptr;
  ASSERT_EQ(PeerDistClientOpenContent(instance_, &t, port_, 77, &h), ERROR_SUCCESS);
  OVERLAPPED add{};
  ASSERT_EQ(PeerDistClientAddContentInformation(instance_, h, static_cast<DWORD>(ci_.size()),
                                                ci_.data(), &add),
            ERROR_IO_PENDING);
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->overlapped, &add);
  EXPECT_EQ(packet->key, 77U);
  EXPECT_TRUE(packet->ok);
  OVERLAPPED done{};
  ASSERT_EQ(PeerDistClientCompleteContentInformation(instance_, h, &done), ERROR_IO_PENDING);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  // A missing range: FALSE from the port, the range in the count and the OVERLAPPED (Q3).
  std::vector<std::uint8_t> buffer(10);
  OVERLAPPED read{};
  set_offset(read, 70'000);
  ASSERT_EQ(PeerDistClientBlockRead(instance_, h, 10, buffer.data(), kLocalOnly, &read),
            ERROR_IO_PENDING);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_FALSE(packet->ok);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_MISSING_DATA));
  EXPECT_EQ(packet->bytes, kSize - 70'000);
  EXPECT_EQ(offset_of(read), 70'000U);
  EXPECT_EQ(PeerDistClientCloseContent(instance_, h), ERROR_SUCCESS);
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
