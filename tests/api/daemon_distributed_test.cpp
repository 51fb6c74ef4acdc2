// Distributed mode between two real peerdistd on 127.0.0.1, each the other's static peer
// (`[distributed] peers`, discovery off, distinct ports): content a program added to A's cache
// through the client API (open content, add CI, AddData from the "origin") is read from B with
// BlockRead, exactly, B fetching it from A over MS-PCCRR; the status of each says so.
#include <netinet/in.h>
#include <peerdist_compat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "peerdist/peerdist.hpp"

#include "daemon_test_support.hpp"
#include "support/test_data.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

// 14 V1 blocks, the last one short.
constexpr std::size_t kSize = 13 * 65536 + 4321;
// A read timeout no test waits for (a read that completes did not time out).
constexpr DWORD kReadTimeoutMs = 60'000;

// A TCP port nothing listens on now (the system's pick, released at once): the daemons are
// configured with each other's port before either starts.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

std::string distributed_section(std::uint16_t port, std::uint16_t peer_port) {
  return "port = " + std::to_string(port) +
         "\nlisten = [\"127.0.0.1\"]\ndiscovery = false\npeers = [\"127.0.0.1:" +
         std::to_string(peer_port) + "\"]\n";
}

PEERDIST_CONTENT_TAG tag_of(BYTE value) {
  PEERDIST_CONTENT_TAG tag{};
  std::memset(tag.Data, value, sizeof tag.Data);
  return tag;
}

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
  out.error = wait_overlapped(ov, &out.bytes).value_or(WAIT_TIMEOUT);
  out.offset = offset_of(ov);
  return out;
}

// One daemon and a client instance on it.
struct Machine {
  Machine(const std::filesystem::path& dir, const std::string& distributed)
      : daemon(make_dir(dir), distributed) {}

  static std::filesystem::path make_dir(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    return dir;
  }

  RealDaemon daemon;
  PEERDIST_INSTANCE_HANDLE instance = nullptr;
};

class TwoDaemons : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::uint16_t a_port = free_port();
    std::uint16_t b_port = free_port();
    while (b_port == a_port) b_port = free_port();
    ASSERT_NE(a_port, 0);
    ASSERT_NE(b_port, 0);
    a_ = std::make_unique<Machine>(dir_.path() / "a", distributed_section(a_port, b_port));
    b_ = std::make_unique<Machine>(dir_.path() / "b", distributed_section(b_port, a_port));
    for (Machine* m : {a_.get(), b_.get()}) {
      ASSERT_TRUE(m->daemon.start()) << m->daemon.log();
      // The library finds the daemon through PEERDIST_SOCKET at PeerDistStartup.
      const SocketEnv env(m->daemon.socket());
      DWORD supported = 0;
      ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &m->instance, &supported), ERROR_SUCCESS);
    }
    content_ = random_content(kSize, 23);
    ci_ = expected_ci(content_, pccrc::Version::v1);
  }

  void TearDown() override {
    for (Machine* m : {a_.get(), b_.get()}) {
      if (m == nullptr) continue;
      if (m->instance != nullptr) {
        EXPECT_EQ(PeerDistShutdown(m->instance), ERROR_SUCCESS);
      }
      if (m->daemon.running()) {
        EXPECT_TRUE(m->daemon.stop()) << m->daemon.log();
      }
      if (HasFailure()) std::cerr << "---- peerdistd log ----\n" << m->daemon.log();
    }
  }

  // A content handle with the whole CI added and completed.
  PEERDIST_CONTENT_HANDLE ready(Machine& m) {
    const PEERDIST_CONTENT_TAG tag = tag_of(7);
    PEERDIST_CONTENT_HANDLE handle = nullptr;
    EXPECT_EQ(PeerDistClientOpenContent(m.instance, &tag, nullptr, 0, &handle), ERROR_SUCCESS);
    OVERLAPPED add{};
    EXPECT_EQ(finish(PeerDistClientAddContentInformation(
                         m.instance, handle, static_cast<DWORD>(ci_.size()), ci_.data(), &add),
                     add)
                  .error,
              ERROR_SUCCESS);
    OVERLAPPED complete{};
    EXPECT_EQ(
        finish(PeerDistClientCompleteContentInformation(m.instance, handle, &complete), complete)
            .error,
        ERROR_SUCCESS);
    return handle;
  }

  static nlohmann::json status_of(Machine& m) {
    const SocketEnv env(m.daemon.socket());
    auto instance = peerdist::Instance::start();
    EXPECT_TRUE(instance);
    if (!instance) return {};
    auto info = instance->service_info();
    EXPECT_TRUE(info);
    return info ? nlohmann::json::parse(*info) : nlohmann::json{};
  }

  TempDir dir_;
  std::unique_ptr<Machine> a_;
  std::unique_ptr<Machine> b_;
  std::vector<std::uint8_t> content_;
  std::vector<std::uint8_t> ci_;
};

TEST_F(TwoDaemons, ContentAddedToOneIsReadFromTheOther) {
  // A: the program fetched the content from the origin and adds it.
  PEERDIST_CONTENT_HANDLE on_a = ready(*a_);
  constexpr std::size_t kPiece = 256 * 1024;
  for (std::size_t at = 0; at < content_.size(); at += kPiece) {
    const std::size_t n = std::min(kPiece, content_.size() - at);
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(at);
    ASSERT_EQ(finish(PeerDistClientAddData(a_->instance, on_a, static_cast<DWORD>(n),
                                           content_.data() + at, &ov),
                     ov)
                  .error,
              ERROR_SUCCESS);
  }

  // B: reads it all, nothing in its own cache: every block comes from A.
  PEERDIST_CONTENT_HANDLE on_b = ready(*b_);
  std::vector<std::uint8_t> read;
  std::vector<std::uint8_t> buffer(200 * 1024);
  while (read.size() < content_.size()) {
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(read.size());
    const Outcome r =
        finish(PeerDistClientBlockRead(b_->instance, on_b, static_cast<DWORD>(buffer.size()),
                                       buffer.data(), kReadTimeoutMs, &ov),
               ov);
    ASSERT_EQ(r.error, ERROR_SUCCESS) << "at " << read.size();
    ASSERT_EQ(r.offset, read.size());
    ASSERT_GT(r.bytes, 0U);
    read.insert(read.end(), buffer.begin(), buffer.begin() + r.bytes);
  }
  EXPECT_EQ(read, content_);

  const auto b = status_of(*b_);
  EXPECT_GT(b.value("bytes_from_peers", 0U), 0U) << b.dump(2);
  EXPECT_EQ(b.value("bytes_from_peers", 0U), kSize) << b.dump(2);
  EXPECT_EQ(b["distributed"]["enabled"], true);
  EXPECT_EQ(b["distributed"]["pccrr"]["listening"], true);
  EXPECT_GT(b["distributed"]["fetcher"]["blocks"].get<std::uint64_t>(), 0U);
  const auto a = status_of(*a_);
  EXPECT_EQ(a.value("bytes_from_origin", 0U), kSize) << a.dump(2);
  EXPECT_GT(a["distributed"]["server"]["blocks_served"].get<std::uint64_t>(), 0U) << a.dump(2);

  // B keeps what it read: a local-only read now finds it in its own cache.
  OVERLAPPED ov{};
  const Outcome local =
      finish(PeerDistClientBlockRead(b_->instance, on_b, static_cast<DWORD>(buffer.size()),
                                     buffer.data(), PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY, &ov),
             ov);
  EXPECT_EQ(local.error, ERROR_SUCCESS);
  EXPECT_EQ(PeerDistClientCloseContent(a_->instance, on_a), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistClientCloseContent(b_->instance, on_b), ERROR_SUCCESS);
}

TEST_F(TwoDaemons, WhatNeitherHasIsReportedMissingAtOnce) {
  PEERDIST_CONTENT_HANDLE on_b = ready(*b_);
  std::vector<std::uint8_t> buffer(64 * 1024);
  OVERLAPPED ov{};
  const Outcome r =
      finish(PeerDistClientBlockRead(b_->instance, on_b, static_cast<DWORD>(buffer.size()),
                                     buffer.data(), kReadTimeoutMs, &ov),
             ov);
  // Not ERROR_TIMEOUT: A answered that it lacks the blocks, long before the read's timeout.
  EXPECT_EQ(r.error, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(PeerDistClientCloseContent(b_->instance, on_b), ERROR_SUCCESS);
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
