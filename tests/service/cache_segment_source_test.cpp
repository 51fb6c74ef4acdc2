// CacheSegmentSource over a real DataCache on its cache thread: holdings (present blocks,
// count, age against the cache's clock), read_block (bytes, Kp, next present block), blocks put
// and not yet committed, segments described without blocks, no cache at all; and a real PCCRR
// server over it answering a real client with a verified block.
#include "peerdist/service/cache_segment_source.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>

#include "peerdist/net/pccrr_client.hpp"
#include "peerdist/net/pccrr_server.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/service/cache_executor.hpp"

#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

namespace peerdist::service {
namespace {

using pccrc::BlockIndex;
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

// Generous: bounds a failing test only; never asserted as a duration.
constexpr auto kWaitLimit = 60s;
constexpr std::size_t kBlock = 65536;
constexpr std::uint32_t kBlocks = 6;
constexpr std::size_t kLength = (kBlocks - 1) * kBlock + 4321;  // one V1 segment

class CacheSegmentSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    content_ = peerdist::test::random_content(kLength, 11);
    pccrc::ContentInformationBuilder builder(pccrc::ServerSecret(Bytes{9, 8, 7}),
                                             pccrc::BuildOptions{pccrc::HashScheme{}, 1, {}});
    builder.add(content_);
    auto ci = builder.finish();
    ASSERT_TRUE(ci.has_value());
    segment_ = pccrc::describe_segment(*ci, ci->segments.at(0));

    store::DataCacheOptions options;
    options.clock = [this] { return now_.load(); };
    auto cache = store::DataCache::open(dir_.path() / "cache", {}, options);
    ASSERT_TRUE(cache) << cache.error().message;
    thread_ = std::make_unique<CacheExecutor>(std::move(*cache));
    front_ = std::make_shared<CacheFront>(io_.get_executor(), *thread_);
    source_ = std::make_unique<CacheSegmentSource>(io_.get_executor(), front_,
                                                   [this] { return now_.load(); });
  }
  void TearDown() override {
    source_.reset();
    front_.reset();
    if (thread_) thread_->join();
  }

  Bytes block(std::uint32_t i) const {
    const std::size_t start = std::size_t{i} * kBlock;
    const std::size_t end = std::min(start + kBlock, content_.size());
    return {content_.begin() + static_cast<std::ptrdiff_t>(start),
            content_.begin() + static_cast<std::ptrdiff_t>(end)};
  }
  pccrc::VerifiedBlock verified(std::uint32_t i) const {
    auto v = pccrc::verify_block(segment_, BlockIndex{i}, block(i));
    EXPECT_TRUE(v.has_value());
    return std::move(*v);
  }

  // Describes the segment and stores these blocks, on the cache thread, and waits.
  void store(std::initializer_list<std::uint32_t> indices) {
    std::vector<pccrc::VerifiedBlock> blocks;
    for (std::uint32_t i : indices) blocks.push_back(verified(i));
    std::promise<void> done;
    thread_->post([&](store::DataCache& cache) {
      EXPECT_TRUE(cache.describe(segment_, std::nullopt).has_value());
      if (!blocks.empty()) {
        EXPECT_TRUE(cache.put_blocks(blocks).has_value());
      }
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(kWaitLimit), std::future_status::ready);
  }

  // Runs the io_context until `ready` holds.
  template <class Pred>
  void run_until(Pred ready) {
    const auto limit = std::chrono::steady_clock::now() + kWaitLimit;
    while (!ready()) {
      ASSERT_LT(std::chrono::steady_clock::now(), limit) << "no answer";
      // The answer comes from the cache thread: the io_context may run out of work meanwhile.
      if (io_.stopped()) io_.restart();
      io_.run_one_for(20ms);
    }
  }

  std::vector<std::optional<net::SegmentHoldings>> holdings(std::vector<crypto::Digest> ids) {
    std::optional<std::vector<std::optional<net::SegmentHoldings>>> answer;
    source_->holdings(std::move(ids), [&](auto a) { answer = std::move(a); });
    EXPECT_FALSE(answer.has_value());  // never inside the call
    run_until([&] { return answer.has_value(); });
    return answer.value_or(std::vector<std::optional<net::SegmentHoldings>>{});
  }
  std::optional<net::ServedBlock> read(std::uint32_t index) {
    bool called = false;
    std::optional<net::ServedBlock> answer;
    source_->read_block(segment_.segment_id, BlockIndex{index}, [&](auto a) {
      called = true;
      answer = std::move(a);
    });
    EXPECT_FALSE(called);
    run_until([&] { return called; });
    return answer;
  }

  static crypto::Digest other_id() { return crypto::Digest(Bytes(32, 0xEE)); }

  peerdist::test::TempDir dir_;
  std::atomic<std::chrono::sys_seconds> now_{std::chrono::sys_seconds{std::chrono::hours(500'000)}};
  Bytes content_;
  pccrc::SegmentDescriptor segment_;
  boost::asio::io_context io_;
  std::unique_ptr<CacheExecutor> thread_;
  std::shared_ptr<CacheFront> front_;
  std::unique_ptr<CacheSegmentSource> source_;
};

TEST_F(CacheSegmentSourceTest, NothingHeld) {
  const auto answer = holdings({segment_.segment_id, other_id()});
  ASSERT_EQ(answer.size(), 2U);
  EXPECT_FALSE(answer[0].has_value());
  EXPECT_FALSE(answer[1].has_value());
  EXPECT_FALSE(read(0).has_value());
  EXPECT_EQ(source_->counters().holdings_queries, 1U);
  EXPECT_EQ(source_->counters().segments_held, 0U);
}

TEST_F(CacheSegmentSourceTest, ADescribedSegmentWithoutBlocksIsNotOffered) {
  store({});
  const auto answer = holdings({segment_.segment_id});
  ASSERT_EQ(answer.size(), 1U);
  EXPECT_FALSE(answer[0].has_value());
}

TEST_F(CacheSegmentSourceTest, HoldingsGivePresenceCountAndAge) {
  store({0, 1, 3});
  now_ = now_.load() + 100s;
  const auto answer = holdings({other_id(), segment_.segment_id});
  ASSERT_EQ(answer.size(), 2U);
  EXPECT_FALSE(answer[0].has_value());
  ASSERT_TRUE(answer[1].has_value());
  const net::SegmentHoldings& h = *answer[1];
  EXPECT_EQ(h.block_count, kBlocks);
  EXPECT_EQ(h.present, (std::vector<bool>{true, true, false, true, false, false}));
  EXPECT_EQ(h.present_count, 3U);
  EXPECT_EQ(h.age, 100s);
  EXPECT_TRUE(h.any());
  EXPECT_FALSE(h.complete());
  EXPECT_EQ(source_->counters().segments_held, 1U);
}

TEST_F(CacheSegmentSourceTest, ReadBlockGivesBytesKpAndTheNextPresentBlock) {
  store({0, 1, 3, kBlocks - 1});
  auto one = read(1);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->bytes, block(1));
  EXPECT_EQ(one->kp, segment_.kp);
  EXPECT_EQ(one->next_present, BlockIndex{3});
  auto three = read(3);
  ASSERT_TRUE(three.has_value());
  EXPECT_EQ(three->next_present, BlockIndex{kBlocks - 1});
  auto last = read(kBlocks - 1);  // the short last block
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->bytes, block(kBlocks - 1));
  EXPECT_FALSE(last->next_present.has_value());
  EXPECT_FALSE(read(2).has_value());
  EXPECT_FALSE(read(kBlocks + 5).has_value());
  EXPECT_EQ(source_->counters().block_reads, 5U);
  EXPECT_EQ(source_->counters().blocks_served, 3U);
}

TEST_F(CacheSegmentSourceTest, BlocksPutAndNotYetCommittedAreHeld) {
  store({0});
  auto shared = std::make_shared<const pccrc::SegmentDescriptor>(segment_);
  front_->put(verified(2), shared, std::nullopt, {});
  // Asked at once, before the network thread has run the commit.
  const auto answer = holdings({segment_.segment_id});
  ASSERT_TRUE(answer.at(0).has_value());
  EXPECT_EQ(answer[0]->present_count, 2U);
  EXPECT_TRUE(answer[0]->present[2]);
  auto two = read(2);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->bytes, block(2));
  auto zero = read(0);
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(zero->next_present, BlockIndex{2});
}

TEST_F(CacheSegmentSourceTest, NoCacheHoldsNothing) {
  CacheSegmentSource none(io_.get_executor(), nullptr);
  std::optional<std::vector<std::optional<net::SegmentHoldings>>> answer;
  none.holdings({segment_.segment_id}, [&](auto a) { answer = std::move(a); });
  bool read_called = false;
  none.read_block(segment_.segment_id, BlockIndex{0}, [&](auto a) {
    read_called = true;
    EXPECT_FALSE(a.has_value());
  });
  EXPECT_FALSE(answer.has_value());
  run_until([&] { return answer.has_value() && read_called; });
  ASSERT_EQ(answer->size(), 1U);
  EXPECT_FALSE(answer->at(0).has_value());
}

TEST_F(CacheSegmentSourceTest, AnswersAfterTheSourceIsGoneAreDropped) {
  store({0});
  bool called = false;
  source_->read_block(segment_.segment_id, BlockIndex{0}, [&](auto) { called = true; });
  source_.reset();
  // Let the cache thread answer, then run what it posted.
  thread_->join();
  io_.poll();
  EXPECT_FALSE(called);
  thread_.reset();
}

TEST_F(CacheSegmentSourceTest, APccrrServerOverTheCacheServesVerifiedBlocks) {
  store({0, 4});
  net::PccrrServerOptions options;
  options.endpoints = {
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
  net::PccrrServer server(io_.get_executor(), *source_, options);
  ASSERT_TRUE(server.listen().has_value());
  net::PccrrClient client(io_.get_executor());
  const auto peer = server.local_endpoints().at(0);
  std::optional<Expected<pccrc::VerifiedBlock, net::FetchError>> got;
  std::optional<Expected<pccrc::VerifiedBlock, net::FetchError>> missing;
  client.get_block(peer, segment_, BlockIndex{4}, std::chrono::steady_clock::now() + kWaitLimit,
                   [&](auto r) { got.emplace(std::move(r)); });
  client.get_block(peer, segment_, BlockIndex{1}, std::chrono::steady_clock::now() + kWaitLimit,
                   [&](auto r) { missing.emplace(std::move(r)); });
  run_until([&] { return got.has_value() && missing.has_value(); });
  ASSERT_TRUE(got->has_value()) << net::to_string(got->error());
  EXPECT_EQ(Bytes((*got)->bytes().begin(), (*got)->bytes().end()), block(4));
  ASSERT_FALSE(missing->has_value());
  EXPECT_EQ(missing->error(), net::FetchError::not_held);
  EXPECT_EQ(server.counters().blocks_served, 1U);
  server.stop();
}

}  // namespace
}  // namespace peerdist::service
