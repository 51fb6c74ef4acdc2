// service::Distributed, the network parts of one peerdistd, in one process on 127.0.0.1: a
// machine reads a segment from another machine's data cache through its peer source (static
// peers, discovery off), the status says where it listens and what moved, a port already taken
// leaves it running without serving, and stop() leaves nothing that keeps the io_context busy.
#include "peerdist/service/distributed.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <map>
#include <memory>

#include "peerdist/net/peer_endpoint.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/service/cache_executor.hpp"

#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

namespace peerdist::service {
namespace {

namespace ip = boost::asio::ip;
using pccrc::BlockIndex;
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

constexpr auto kWaitLimit = 60s;  // bounds a failing test only
// Shorter than the PCCRR client's idle-connection timer (15 s), which stop() must cancel.
constexpr auto kStopLimit = 10s;
constexpr std::size_t kLength = 7 * 65536 + 99;

// One machine: its data cache (own thread) and its network parts.
struct Machine {
  Machine(boost::asio::io_context& io, const std::filesystem::path& dir) {
    auto opened = store::DataCache::open(dir);
    EXPECT_TRUE(opened) << opened.error().message;
    thread = std::make_unique<CacheExecutor>(std::move(*opened));
    front = std::make_shared<CacheFront>(io.get_executor(), *thread);
  }
  ~Machine() {
    distributed.reset();
    front.reset();
    thread->join();
  }
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  std::unique_ptr<CacheExecutor> thread;
  std::shared_ptr<CacheFront> front;
  std::unique_ptr<Distributed> distributed;
};

DistributedConfig loopback_config() {
  DistributedConfig config;
  config.port = 0;
  config.listen = {ip::make_address("127.0.0.1")};
  config.discovery = false;
  return config;
}

class DistributedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    content_ = peerdist::test::random_content(kLength, 21);
    pccrc::ContentInformationBuilder builder(pccrc::ServerSecret(Bytes{5, 5, 5}),
                                             pccrc::BuildOptions{pccrc::HashScheme{}, 1, {}});
    builder.add(content_);
    auto ci = builder.finish();
    ASSERT_TRUE(ci.has_value());
    segment_ = pccrc::describe_segment(*ci, ci->segments.at(0));
  }

  Bytes block(std::uint32_t i) const {
    const std::size_t start = std::size_t{i} * 65536;
    const std::size_t end = std::min(start + 65536, content_.size());
    return {content_.begin() + static_cast<std::ptrdiff_t>(start),
            content_.begin() + static_cast<std::ptrdiff_t>(end)};
  }

  // Stores the whole segment in the machine's cache and waits.
  void seed(Machine& m) {
    std::promise<void> done;
    m.thread->post([&](store::DataCache& cache) {
      EXPECT_TRUE(cache.describe(segment_, std::nullopt).has_value());
      std::vector<pccrc::VerifiedBlock> blocks;
      for (std::uint32_t i = 0; i < segment_.block_count(); ++i) {
        blocks.push_back(*pccrc::verify_block(segment_, BlockIndex{i}, block(i)));
      }
      EXPECT_TRUE(cache.put_blocks(blocks).has_value());
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(kWaitLimit), std::future_status::ready);
  }

  template <class Pred>
  bool run_until(Pred ready) {
    const auto limit = std::chrono::steady_clock::now() + kWaitLimit;
    while (!ready()) {
      if (std::chrono::steady_clock::now() > limit) return false;
      if (io_.stopped()) io_.restart();
      io_.run_one_for(20ms);
    }
    return true;
  }

  static ip::tcp::endpoint endpoint_of(const Machine& m) {
    const auto status = m.distributed->status();
    EXPECT_EQ(status.endpoints.size(), 1U);
    return net::parse_peer_endpoint(status.endpoints.at(0)).value();
  }

  peerdist::test::TempDir dir_;
  boost::asio::io_context io_;
  Bytes content_;
  pccrc::SegmentDescriptor segment_;
};

TEST_F(DistributedTest, AMachineReadsASegmentFromAnotherMachinesCache) {
  Machine a(io_, dir_.path() / "a");
  Machine b(io_, dir_.path() / "b");
  seed(a);
  a.distributed = std::make_unique<Distributed>(io_.get_executor(), a.front, loopback_config());
  a.distributed->start();
  ASSERT_TRUE(a.distributed->status().listening) << a.distributed->status().error.value_or("");
  DistributedConfig config = loopback_config();
  config.peers = {endpoint_of(a)};
  b.distributed = std::make_unique<Distributed>(io_.get_executor(), b.front, config);
  b.distributed->start();

  std::map<std::uint32_t, Bytes> got;
  std::optional<net::FetchOutcome> outcome;
  std::vector<BlockIndex> wanted;
  for (std::uint32_t i = 0; i < segment_.block_count(); ++i) wanted.emplace_back(i);
  auto fetch = b.distributed->peer_source()->fetch(
      net::FetchRequest{segment_, wanted, std::chrono::steady_clock::now() + kWaitLimit},
      [&](pccrc::VerifiedBlock v) {
        got[v.index().value()] = Bytes(v.bytes().begin(), v.bytes().end());
      },
      [&](net::FetchOutcome o) { outcome = o; });
  ASSERT_TRUE(run_until([&] { return outcome.has_value(); }));
  EXPECT_EQ(*outcome, net::FetchOutcome::complete);
  ASSERT_EQ(got.size(), segment_.block_count());
  for (std::uint32_t i = 0; i < segment_.block_count(); ++i) {
    EXPECT_EQ(got.at(i), block(i)) << i;
  }

  const DistributedStatus sa = a.distributed->status();
  const DistributedStatus sb = b.distributed->status();
  EXPECT_EQ(sa.server.blocks_served, segment_.block_count());
  EXPECT_EQ(sa.cache_source.blocks_served, segment_.block_count());
  EXPECT_EQ(sb.fetcher.complete, 1U);
  EXPECT_EQ(sb.fetcher.bytes, kLength);
  EXPECT_EQ(sb.client.blocks, segment_.block_count());
  EXPECT_EQ(sb.peers, std::vector<std::string>{net::to_string(endpoint_of(a))});
  EXPECT_FALSE(sb.discovery);
  EXPECT_FALSE(sb.responding);
  EXPECT_FALSE(sb.probing);

  // Stopped, nothing of either keeps the io_context running (B's client had an idle
  // keep-alive connection to A, whose idle timer alone would keep it busy for 15 s).
  a.distributed->stop();
  b.distributed->stop();
  io_.restart();
  io_.run_for(kStopLimit);
  EXPECT_TRUE(io_.stopped()) << "work left after stop()";
}

TEST_F(DistributedTest, APortAlreadyTakenLeavesItRunningWithoutServing) {
  Machine a(io_, dir_.path() / "a");
  Machine b(io_, dir_.path() / "b");
  a.distributed = std::make_unique<Distributed>(io_.get_executor(), a.front, loopback_config());
  a.distributed->start();
  DistributedConfig config = loopback_config();
  config.port = endpoint_of(a).port();
  config.peers = {endpoint_of(a)};
  b.distributed = std::make_unique<Distributed>(io_.get_executor(), b.front, config);
  b.distributed->start();
  const DistributedStatus s = b.distributed->status();
  EXPECT_FALSE(s.listening);
  ASSERT_TRUE(s.error.has_value());
  EXPECT_NE(s.error->find(std::to_string(*config.port)), std::string::npos) << *s.error;
  EXPECT_TRUE(s.endpoints.empty());
  // It still asks its peers: a fetch of what A lacks ends not_found, not with an error.
  std::optional<net::FetchOutcome> outcome;
  auto fetch = b.distributed->peer_source()->fetch(
      net::FetchRequest{segment_, {BlockIndex{0}}, std::chrono::steady_clock::now() + kWaitLimit},
      [](pccrc::VerifiedBlock) {}, [&](net::FetchOutcome o) { outcome = o; });
  ASSERT_TRUE(run_until([&] { return outcome.has_value(); }));
  EXPECT_EQ(*outcome, net::FetchOutcome::not_found);
}

TEST_F(DistributedTest, WithNobodyToAskTheSourceIsNoPeers) {
  Machine a(io_, dir_.path() / "a");
  a.distributed = std::make_unique<Distributed>(io_.get_executor(), a.front, loopback_config());
  a.distributed->start();
  std::optional<net::FetchOutcome> outcome;
  auto fetch = a.distributed->peer_source()->fetch(
      net::FetchRequest{segment_, {BlockIndex{0}}, std::chrono::steady_clock::now() + kWaitLimit},
      [](pccrc::VerifiedBlock) {}, [&](net::FetchOutcome o) { outcome = o; });
  ASSERT_TRUE(run_until([&] { return outcome.has_value(); }));
  EXPECT_EQ(*outcome, net::FetchOutcome::not_found);
  EXPECT_EQ(a.distributed->status().fetcher.fetches, 0U);  // no fetcher at all
}

}  // namespace
}  // namespace peerdist::service
