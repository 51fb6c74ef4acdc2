// net::PeerFetcher against real PccrrServers on 127.0.0.1 (each over an in-memory
// SegmentSource), found through StaticPeers or a scripted finder: blocks from one peer and from
// three holding a part each, a peer serving corrupt blocks (set aside, never asked again), a
// silent peer (its timeout sends the block elsewhere), nobody holding the blocks (not_found at
// once, not at the deadline), the deadline, cancel, stop, MSG_GETBLKLIST for a v1 peer holding
// part of a segment, retrieval at the first offer, V2 content.
#include "peerdist/net/peer_fetcher.hpp"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "peerdist/net/pccrr_server.hpp"
#include "peerdist/net/peer_static.hpp"

#include "memory_segment_source.hpp"
#include "pccrr_test_support.hpp"

namespace peerdist::net::test {
namespace {

using pccrc::BlockIndex;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBlock = 65536;
constexpr std::uint32_t kBlocks = 11;
constexpr std::size_t kContentLength = (kBlocks - 1) * kBlock + 5000;  // one V1 segment

// Runs f on the io thread and returns its result.
template <class F>
auto on_io(IoThread& io, F f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  boost::asio::post(io.io(), [&task] { task(); });
  return wait_for(result);
}

// What a fetch handed over, and how it ended.
struct FetchLog {
  std::mutex mutex;
  std::map<std::uint32_t, Bytes> blocks;
  std::size_t block_calls = 0;
  std::optional<FetchOutcome> outcome;
  std::size_t blocks_after_done = 0;
  std::promise<FetchOutcome> done;
};

// A PeerFinder whose candidates the test gives, for every search.
class ScriptedFinder final : public PeerFinder {
 public:
  explicit ScriptedFinder(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  struct Entry {
    PeerQuery query;
    CandidateHandler on_candidate;
    DoneHandler on_done;
  };

  std::shared_ptr<PeerSearch> find(PeerQuery query, CandidateHandler on_candidate,
                                   DoneHandler on_done) override {
    searches_.push_back(Entry{query, std::move(on_candidate), std::move(on_done)});
    struct Search final : PeerSearch {
      void cancel() override {}
    };
    return std::make_shared<Search>();
  }
  // On the io thread.
  void offer(const PeerCandidate& candidate) {
    for (auto& s : searches_) {
      if (s.on_candidate) s.on_candidate(candidate);
    }
  }
  void finish() {
    for (auto& s : searches_) {
      if (auto done = std::move(s.on_done)) done();
    }
  }
  [[nodiscard]] std::size_t searches() const { return searches_.size(); }
  [[nodiscard]] const PeerQuery& query(std::size_t i) const { return searches_.at(i).query; }

 private:
  boost::asio::any_io_executor executor_;
  std::vector<Entry> searches_;
};

class PeerFetcherTest : public ::testing::Test {
 protected:
  struct Peer {
    explicit Peer(boost::asio::any_io_executor executor) : source(std::move(executor)) {}
    MemorySegmentSource source;
    std::unique_ptr<PccrrServer> server;
    tcp::endpoint endpoint;
  };

  PeerFetcherTest() : content_(make_content(kContentLength, pccrc::HashScheme{})) {}

  void TearDown() override {
    io_.run([&] {
      if (fetcher_) fetcher_->stop();
      fetcher_.reset();
      client_.reset();
      for (auto& peer : peers_) peer->server.reset();
    });
    // Handlers still queued may refer to members declared after io_ (destroyed first).
    io_.stop();
  }

  const pccrc::SegmentDescriptor& segment() const { return content_.segments.at(0); }

  // A PCCRR server on 127.0.0.1 holding nothing yet.
  Peer& add_peer() {
    auto peer = std::make_unique<Peer>(io_.executor());
    PccrrServerOptions options;
    options.endpoints = {tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
    io_.run([&] {
      peer->server = std::make_unique<PccrrServer>(io_.executor(), peer->source, options);
      const auto listening = peer->server->listen();
      ASSERT_TRUE(listening.has_value()) << listening.error();
      peer->endpoint = peer->server->local_endpoints().at(0);
    });
    peers_.push_back(std::move(peer));
    return *peers_.back();
  }
  // The peer holds blocks [first, last) of segment 0 (correct bytes).
  void hold(Peer& peer, std::uint32_t first, std::uint32_t last) {
    peer.source.add_segment(segment());
    for (std::uint32_t i = first; i < last; ++i) {
      peer.source.add_block(segment().segment_id, BlockIndex{i}, content_.block(0, BlockIndex{i}));
    }
  }

  void make_fetcher(std::shared_ptr<PeerFinder> finder, PccrrClientOptions client_options = {}) {
    io_.run([&] {
      client_ = std::make_shared<PccrrClient>(io_.executor(), client_options);
      fetcher_ = std::make_shared<PeerFetcher>(io_.executor(), client_, std::move(finder));
    });
  }
  // StaticPeers over every peer added, in order.
  void make_static_fetcher(PccrrClientOptions client_options = {}) {
    std::vector<tcp::endpoint> endpoints;
    for (auto& peer : peers_) endpoints.push_back(peer->endpoint);
    make_fetcher(std::make_shared<StaticPeers>(io_.executor(), endpoints), client_options);
  }
  ScriptedFinder& make_scripted_fetcher(PccrrClientOptions client_options = {}) {
    auto finder = std::make_shared<ScriptedFinder>(io_.executor());
    make_fetcher(finder, client_options);
    return *finder;
  }

  static std::vector<BlockIndex> all_blocks() {
    std::vector<BlockIndex> blocks;
    for (std::uint32_t i = 0; i < kBlocks; ++i) blocks.emplace_back(i);
    return blocks;
  }

  // Starts a fetch on the io thread; the log records what comes back.
  std::shared_ptr<FetchLog> start(std::vector<BlockIndex> blocks, Clock::duration within = 10min,
                                  std::shared_ptr<Fetch>* handle = nullptr,
                                  const pccrc::SegmentDescriptor* descriptor = nullptr) {
    auto log = std::make_shared<FetchLog>();
    FetchRequest request{descriptor != nullptr ? *descriptor : segment(), std::move(blocks),
                         Clock::now() + within};
    io_.run([&] {
      auto fetch = fetcher_->fetch(
          std::move(request),
          [log](pccrc::VerifiedBlock block) {
            const std::lock_guard lock(log->mutex);
            ++log->block_calls;
            if (log->outcome) ++log->blocks_after_done;
            log->blocks[block.index().value()] = Bytes(block.bytes().begin(), block.bytes().end());
          },
          [log](FetchOutcome outcome) {
            {
              const std::lock_guard lock(log->mutex);
              EXPECT_FALSE(log->outcome.has_value()) << "on_done called twice";
              log->outcome = outcome;
            }
            log->done.set_value(outcome);
          });
      if (handle != nullptr) *handle = fetch;
    });
    return log;
  }
  static FetchOutcome wait(FetchLog& log) {
    auto future = log.done.get_future();
    return wait_for(future);
  }
  FetchOutcome fetch_all(std::shared_ptr<FetchLog>& log) {
    log = start(all_blocks());
    return wait(*log);
  }

  void expect_exact(const FetchLog& log, std::uint32_t first, std::uint32_t last) {
    EXPECT_EQ(log.blocks.size(), last - first);
    for (std::uint32_t i = first; i < last; ++i) {
      auto it = log.blocks.find(i);
      ASSERT_NE(it, log.blocks.end()) << "block " << i << " missing";
      EXPECT_EQ(it->second, content_.block(0, BlockIndex{i})) << "block " << i;
    }
  }

  PeerFetcherCounters counters() {
    return on_io(io_, [&] { return fetcher_->counters(); });
  }
  PccrrServerCounters server_counters(Peer& peer) { return peer.server->counters(); }

  IoThread io_;
  TestContent content_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::shared_ptr<PccrrClient> client_;
  std::shared_ptr<PeerFetcher> fetcher_;
};

TEST_F(PeerFetcherTest, EveryBlockFromOnePeer) {
  Peer& peer = add_peer();
  hold(peer, 0, kBlocks);
  make_static_fetcher();
  std::shared_ptr<FetchLog> log;
  EXPECT_EQ(fetch_all(log), FetchOutcome::complete);
  expect_exact(*log, 0, kBlocks);
  EXPECT_EQ(log->blocks_after_done, 0U);
  const auto c = counters();
  EXPECT_EQ(c.fetches, 1U);
  EXPECT_EQ(c.complete, 1U);
  EXPECT_EQ(c.blocks, kBlocks);
  EXPECT_EQ(c.bytes, kContentLength);
  EXPECT_EQ(c.retries, 0U);
  EXPECT_EQ(c.exchanges.block_requests, kBlocks);
  EXPECT_EQ(server_counters(peer).blocks_served, kBlocks);
}

TEST_F(PeerFetcherTest, BlocksFromThreePeersEachHoldingAPart) {
  Peer& a = add_peer();
  Peer& b = add_peer();
  Peer& c = add_peer();
  hold(a, 0, 4);
  hold(b, 4, 8);
  hold(c, 8, kBlocks);
  make_static_fetcher();
  std::shared_ptr<FetchLog> log;
  EXPECT_EQ(fetch_all(log), FetchOutcome::complete);
  expect_exact(*log, 0, kBlocks);
  // Each block came from the one peer holding it; the others said "not held".
  EXPECT_EQ(server_counters(a).blocks_served, 4U);
  EXPECT_EQ(server_counters(b).blocks_served, 4U);
  EXPECT_EQ(server_counters(c).blocks_served, kBlocks - 8);
  const auto counted = counters();
  EXPECT_EQ(counted.blocks, kBlocks);
  EXPECT_GT(counted.exchanges.not_held, 0U);
  EXPECT_EQ(counted.retries, counted.exchanges.not_held);
}

TEST_F(PeerFetcherTest, APeerServingCorruptBlocksIsSetAsideAndNeverAskedAgain) {
  Peer& bad = add_peer();
  Peer& good = add_peer();
  bad.source.add_segment(segment());
  for (std::uint32_t i = 0; i < kBlocks; ++i) {
    Bytes flipped = content_.block(0, BlockIndex{i});
    flipped[flipped.size() / 2] ^= 0x5AU;
    bad.source.add_block(segment().segment_id, BlockIndex{i}, std::move(flipped));
  }
  hold(good, 0, kBlocks);
  make_static_fetcher();  // the bad peer is offered first
  std::shared_ptr<FetchLog> log;
  EXPECT_EQ(fetch_all(log), FetchOutcome::complete);
  expect_exact(*log, 0, kBlocks);  // every block verified, none of the bad peer's bytes
  const auto first = counters();
  EXPECT_EQ(first.bad_peers, 1U);
  EXPECT_GE(first.exchanges.bad_data, 1U);
  EXPECT_EQ(on_io(io_, [&] { return fetcher_->bad_peers_now(); }), 1U);
  const auto asked = server_counters(bad).getblks_requests;
  EXPECT_GE(asked, 1U);

  // A later fetch does not ask it at all.
  std::shared_ptr<FetchLog> again;
  EXPECT_EQ(fetch_all(again), FetchOutcome::complete);
  expect_exact(*again, 0, kBlocks);
  EXPECT_EQ(server_counters(bad).getblks_requests, asked);
  EXPECT_EQ(counters().bad_peers, 1U);
}

TEST_F(PeerFetcherTest, ASilentPeerTimesOutAndAnotherServesTheBlocks) {
  Peer& silent = add_peer();
  Peer& good = add_peer();
  hold(silent, 0, kBlocks);
  silent.source.set_silent(true);
  hold(good, 0, kBlocks);
  PccrrClientOptions options;
  options.request_timeout = 300ms;  // the request timer, not an assertion on time
  make_static_fetcher(options);
  std::shared_ptr<FetchLog> log;
  EXPECT_EQ(fetch_all(log), FetchOutcome::complete);
  expect_exact(*log, 0, kBlocks);
  const auto c = counters();
  EXPECT_GE(c.exchanges.timed_out, 1U);
  EXPECT_GE(c.retries, 1U);
  EXPECT_EQ(server_counters(silent).blocks_served, 0U);
  EXPECT_EQ(server_counters(good).blocks_served, kBlocks);
}

TEST_F(PeerFetcherTest, NobodyHoldingTheBlocksEndsNotFoundWithoutWaitingForTheDeadline) {
  Peer& a = add_peer();
  Peer& b = add_peer();
  a.source.add_segment(segment());
  (void)b;
  make_static_fetcher();
  // The deadline is an hour away: wait_for's generous limit fails the test long before it.
  auto log = start(all_blocks(), 1h);
  EXPECT_EQ(wait(*log), FetchOutcome::not_found);
  EXPECT_TRUE(log->blocks.empty());
  const auto c = counters();
  EXPECT_EQ(c.not_found, 1U);
  EXPECT_EQ(c.exchanges.not_held, 2U * kBlocks);  // each block asked of both, once
}

TEST_F(PeerFetcherTest, BlocksNobodyHasEndNotFoundAfterTheOthersArrive) {
  Peer& peer = add_peer();
  hold(peer, 0, 6);
  make_static_fetcher();
  auto log = start(all_blocks(), 1h);
  EXPECT_EQ(wait(*log), FetchOutcome::not_found);
  expect_exact(*log, 0, 6);
  EXPECT_EQ(log->blocks_after_done, 0U);
}

TEST_F(PeerFetcherTest, TheDeadlineEndsTheFetchTimedOut) {
  Peer& silent = add_peer();
  hold(silent, 0, kBlocks);
  silent.source.set_silent(true);
  PccrrClientOptions options;
  options.request_timeout = 10min;  // only the deadline can end it
  make_static_fetcher(options);
  auto log = start(all_blocks(), 300ms);
  EXPECT_EQ(wait(*log), FetchOutcome::timed_out);
  EXPECT_TRUE(log->blocks.empty());
  EXPECT_EQ(counters().timed_out, 1U);
}

TEST_F(PeerFetcherTest, CancelStopsEverythingAndCallsNothing) {
  Peer& slow = add_peer();
  hold(slow, 0, kBlocks);
  slow.source.set_delay(200ms);
  make_static_fetcher();
  std::shared_ptr<Fetch> handle;
  auto log = start(all_blocks(), 10min, &handle);
  io_.run([&] { handle->cancel(); });
  // The peer still answers what was asked before the cancel; wait until it has and a little
  // more, so that a fetch still running would have handed blocks over.
  const auto deadline = Clock::now() + kGenerous;
  while (server_counters(slow).blocks_served == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(300ms);
  io_.run([] {});
  {
    const std::lock_guard lock(log->mutex);
    EXPECT_EQ(log->block_calls, 0U);
    EXPECT_FALSE(log->outcome.has_value());
  }
  const auto c = counters();
  EXPECT_EQ(c.cancelled, 1U);
  EXPECT_EQ(on_io(io_, [&] { return fetcher_->active(); }), 0U);
}

TEST_F(PeerFetcherTest, StopEndsFetchesInProgressNotFound) {
  Peer& silent = add_peer();
  hold(silent, 0, kBlocks);
  silent.source.set_silent(true);
  make_static_fetcher();
  auto log = start(all_blocks(), 10min);
  io_.run([&] { fetcher_->stop(); });
  EXPECT_EQ(wait(*log), FetchOutcome::not_found);
  // Later fetches too.
  auto later = start({BlockIndex{0}}, 10min);
  EXPECT_EQ(wait(*later), FetchOutcome::not_found);
}

TEST_F(PeerFetcherTest, AV1PeerHoldingPartOfTheSegmentIsAskedForItsBlockListFirst) {
  Peer& partial = add_peer();
  hold(partial, 0, 5);
  ScriptedFinder& finder = make_scripted_fetcher();
  auto log = start(all_blocks(), 1h);
  io_.run([&] {
    ASSERT_EQ(finder.searches(), 1U);
    EXPECT_EQ(finder.query(0).segment_id, segment().segment_id);
    EXPECT_EQ(finder.query(0).version, pccrc::Version::v1);
    finder.offer(PeerCandidate{partial.endpoint, 5U, false, PeerCandidate::Origin::discovered});
    finder.finish();
  });
  EXPECT_EQ(wait(*log), FetchOutcome::not_found);
  expect_exact(*log, 0, 5);
  const auto s = server_counters(partial);
  EXPECT_EQ(s.getblklist_requests, 1U);
  EXPECT_EQ(s.getblks_requests, 5U);  // only the blocks its list named
  EXPECT_EQ(s.not_held, 0U);
  EXPECT_EQ(counters().exchanges.block_list_requests, 1U);
}

TEST_F(PeerFetcherTest, FewerThanFourWantedBlocksSkipTheBlockList) {
  Peer& partial = add_peer();
  hold(partial, 0, 5);
  ScriptedFinder& finder = make_scripted_fetcher();
  auto log = start({BlockIndex{1}, BlockIndex{2}, BlockIndex{3}}, 1h);
  io_.run([&] {
    finder.offer(PeerCandidate{partial.endpoint, 5U, false, PeerCandidate::Origin::discovered});
    finder.finish();
  });
  EXPECT_EQ(wait(*log), FetchOutcome::complete);
  EXPECT_EQ(server_counters(partial).getblklist_requests, 0U);
  EXPECT_EQ(server_counters(partial).getblks_requests, 3U);
}

TEST_F(PeerFetcherTest, RetrievalStartsAtTheFirstOfferWithoutWaitingForTheFinder) {
  Peer& peer = add_peer();
  hold(peer, 0, kBlocks);
  ScriptedFinder& finder = make_scripted_fetcher();
  auto log = start(all_blocks(), 1h);
  // The finder never says it is done: the fetch completes on the offer alone.
  io_.run([&] {
    finder.offer(
        PeerCandidate{peer.endpoint, std::nullopt, true, PeerCandidate::Origin::discovered});
  });
  EXPECT_EQ(wait(*log), FetchOutcome::complete);
  expect_exact(*log, 0, kBlocks);
}

TEST_F(PeerFetcherTest, NoCandidateAtAllEndsNotFound) {
  ScriptedFinder& finder = make_scripted_fetcher();
  auto log = start(all_blocks(), 1h);
  io_.run([&] { finder.finish(); });
  EXPECT_EQ(wait(*log), FetchOutcome::not_found);
  const auto c = counters();
  EXPECT_EQ(c.no_peers, 1U);
  EXPECT_EQ(c.exchanges.block_requests, 0U);
}

TEST_F(PeerFetcherTest, AnUnreachablePeerIsSkipped) {
  // A port nothing listens on: the connection is refused, the next peer serves.
  Peer& gone = add_peer();
  io_.run([&] { gone.server->stop(); });
  Peer& good = add_peer();
  hold(good, 0, kBlocks);
  make_static_fetcher();
  std::shared_ptr<FetchLog> log;
  EXPECT_EQ(fetch_all(log), FetchOutcome::complete);
  expect_exact(*log, 0, kBlocks);
  EXPECT_GE(counters().exchanges.connection_failed, 1U);
}

TEST_F(PeerFetcherTest, AnEmptyRequestCompletes) {
  make_static_fetcher();
  auto log = start({}, 1h);
  EXPECT_EQ(wait(*log), FetchOutcome::complete);
}

TEST_F(PeerFetcherTest, TheSegmentOfV2Content) {
  const TestContent v2 = make_content(200'000, pccrc::HashScheme::v2(), 7);
  const pccrc::SegmentDescriptor& s = v2.segments.at(0);
  Peer& peer = add_peer();
  peer.source.add_segment_bytes(s, v2.segment_bytes(0));
  ScriptedFinder& finder = make_scripted_fetcher();
  auto log = start({BlockIndex{0}}, 1h, nullptr, &s);
  io_.run([&] {
    EXPECT_EQ(finder.query(0).version, pccrc::Version::v2);
    finder.offer(
        PeerCandidate{peer.endpoint, std::nullopt, true, PeerCandidate::Origin::discovered});
    finder.finish();
  });
  EXPECT_EQ(wait(*log), FetchOutcome::complete);
  ASSERT_EQ(log->blocks.size(), 1U);
  const auto bytes = v2.segment_bytes(0);
  EXPECT_EQ(log->blocks.at(0), Bytes(bytes.begin(), bytes.end()));
}

}  // namespace
}  // namespace peerdist::net::test
