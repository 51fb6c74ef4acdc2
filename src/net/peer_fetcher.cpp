#include "peerdist/net/peer_fetcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <limits>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "peerdist/net/peer_endpoint.hpp"
#include "peerdist/net/peer_penalties.hpp"

namespace peerdist::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct PeerFetcher::Impl {
  Impl(asio::any_io_executor on, std::shared_ptr<PccrrClient> pccrr,
       std::shared_ptr<PeerFinder> finding, PeerFetcherOptions given)
      : executor(std::move(on)),
        client(std::move(pccrr)),
        finder(std::move(finding)),
        options(given) {
    options.max_blocks_in_flight = std::max<std::size_t>(options.max_blocks_in_flight, 1);
    options.max_blocks_in_flight_per_peer =
        std::max<std::size_t>(options.max_blocks_in_flight_per_peer, 1);
  }

  asio::any_io_executor executor;
  std::shared_ptr<PccrrClient> client;
  std::shared_ptr<PeerFinder> finder;
  PeerFetcherOptions options;
  PeerPenalties penalties;
  PeerFetcherCounters counters;
  std::set<std::shared_ptr<Job>> live;
  bool stopped = false;
};

// One fetch: the peers found for its segment, and each wanted block's state.
class PeerFetcher::Job final : public Fetch, public std::enable_shared_from_this<Job> {
 public:
  Job(std::shared_ptr<Impl> impl, FetchRequest request, BlockHandler on_block, DoneHandler on_done)
      : impl_(std::move(impl)),
        segment_(std::make_shared<const pccrc::SegmentDescriptor>(std::move(request.segment))),
        deadline_(request.deadline),
        timer_(impl_->executor),
        on_block_(std::move(on_block)),
        on_done_(std::move(on_done)) {
    blocks_.reserve(request.blocks.size());
    for (pccrc::BlockIndex index : request.blocks) {
      BlockState block;
      block.index = index;
      blocks_.push_back(std::move(block));
    }
  }

  void start() {
    if (blocks_.empty()) {
      asio::post(impl_->executor,
                 [self = shared_from_this()] { self->end(FetchOutcome::complete); });
      return;
    }
    if (impl_->stopped || !impl_->client || !impl_->finder) {
      asio::post(impl_->executor,
                 [self = shared_from_this()] { self->end(FetchOutcome::not_found); });
      return;
    }
    timer_.expires_at(deadline_);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!ec && self) self->end(FetchOutcome::timed_out);
    });
    std::weak_ptr<Job> weak = weak_from_this();
    search_ = impl_->finder->find(
        PeerQuery{segment_->segment_id, segment_->scheme.version},
        [weak](PeerCandidate candidate) {
          if (auto self = weak.lock()) self->on_candidate(candidate);
        },
        [weak] {
          if (auto self = weak.lock()) self->on_finder_done();
        });
  }

  void cancel() override { end(FetchOutcome::cancelled); }

  // Ends the fetch (once): its handlers are called for every outcome but cancelled.
  void end(FetchOutcome outcome) {
    if (finished_) return;
    finished_ = true;
    const auto self = shared_from_this();  // `live` may hold the last reference
    boost::system::error_code ignored;
    timer_.cancel(ignored);
    if (search_) search_->cancel();
    search_.reset();
    PeerFetcherCounters& counters = impl_->counters;
    switch (outcome) {
      case FetchOutcome::complete: ++counters.complete; break;
      case FetchOutcome::not_found:
        ++counters.not_found;
        if (peers_.empty()) ++counters.no_peers;
        break;
      case FetchOutcome::timed_out: ++counters.timed_out; break;
      case FetchOutcome::cancelled: ++counters.cancelled; break;
    }
    impl_->live.erase(self);
    auto done = std::move(on_done_);
    on_done_ = nullptr;
    on_block_ = nullptr;
    if (outcome != FetchOutcome::cancelled && done) done(outcome);
  }

 private:
  enum class ListState : std::uint8_t { undecided, unneeded, pending, known };

  struct PeerState {
    PeerCandidate candidate;
    std::size_t in_flight = 0;
    // Not asked again by this fetch: unreachable, speaks no PCCRR we understand, or bad.
    bool unusable = false;
    ListState list = ListState::undecided;
    std::vector<bool> listed;  // ListState::known: the blocks its MSG_BLKLIST named
  };

  struct BlockState {
    pccrc::BlockIndex index;
    bool done = false;
    bool given_up = false;
    std::optional<std::size_t> peer;  // in flight to
    std::vector<bool> tried;          // per peer: asked already (or known not to hold it)
    std::size_t attempts = 0;

    [[nodiscard]] bool tried_by(std::size_t p) const { return p < tried.size() && tried[p]; }
    void mark_tried(std::size_t p) {
      if (tried.size() <= p) tried.resize(p + 1, false);
      tried[p] = true;
    }
  };

  void on_candidate(const PeerCandidate& candidate) {
    if (finished_) return;
    for (const PeerState& peer : peers_) {
      if (peer.candidate.endpoint == candidate.endpoint) return;
    }
    if (impl_->penalties.is_bad(candidate.endpoint, Clock::now())) return;
    ++impl_->counters.candidates;
    PeerState peer;
    peer.candidate = candidate;
    peers_.push_back(std::move(peer));
    pump();
  }

  void on_finder_done() {
    if (finished_) return;
    finder_done_ = true;
    search_.reset();
    pump();
  }

  [[nodiscard]] bool usable(PeerState& peer, Clock::time_point now) const {
    if (!peer.unusable && impl_->penalties.is_bad(peer.candidate.endpoint, now)) {
      peer.unusable = true;  // another fetch caught it
    }
    return !peer.unusable;
  }

  // Whether block b may go to peer p later (or now): p is usable, has not been asked for it,
  // and has not said it lacks it.
  [[nodiscard]] bool candidate_for(const BlockState& block, std::size_t p) const {
    const PeerState& peer = peers_[p];
    if (peer.unusable || block.tried_by(p)) return false;
    if (peer.list == ListState::known) {
      const auto i = block.index.value();
      return i < peer.listed.size() && peer.listed[i];
    }
    return true;
  }

  // The blocks still wanted that peer p has not been asked for.
  [[nodiscard]] std::vector<pccrc::BlockIndex> wanted_from(std::size_t p) const {
    std::vector<pccrc::BlockIndex> wanted;
    for (const BlockState& block : blocks_) {
      if (!block.done && !block.given_up && !block.tried_by(p)) wanted.push_back(block.index);
    }
    return wanted;
  }

  void decide_list(std::size_t p) {
    PeerState& peer = peers_[p];
    peer.list = ListState::unneeded;
    const PeerCandidate& c = peer.candidate;
    if (segment_->scheme.version != pccrc::Version::v1 || !c.block_count || c.has_all ||
        *c.block_count >= segment_->block_count()) {
      return;
    }
    const auto wanted = wanted_from(p);
    if (wanted.size() < PeerFetcherOptions::kBlockListThreshold) return;
    // Ascending (the request's order): consecutive indices make one range.
    std::vector<wire::pccrr::BlockRange> ranges;
    for (pccrc::BlockIndex index : wanted) {
      if (!ranges.empty() && ranges.back().index.value() + ranges.back().count == index.value()) {
        ++ranges.back().count;
      } else {
        ranges.push_back(wire::pccrr::BlockRange{index, 1});
      }
    }
    peer.list = ListState::pending;
    ++lists_in_flight_;
    ++impl_->counters.exchanges.block_list_requests;
    impl_->client->get_block_list(
        c.endpoint, segment_->segment_id, std::move(ranges), deadline_,
        [self = shared_from_this(),
         p](Expected<std::vector<wire::pccrr::BlockRange>, FetchError> r) {
          asio::dispatch(self->impl_->executor,
                         [self, p, r = std::move(r)]() mutable { self->on_list(p, std::move(r)); });
        });
  }

  void on_list(std::size_t p, Expected<std::vector<wire::pccrr::BlockRange>, FetchError> result) {
    --lists_in_flight_;
    if (finished_) return;
    PeerState& peer = peers_[p];
    if (result) {
      peer.list = ListState::known;
      peer.listed.assign(segment_->block_count(), false);
      for (const auto& range : *result) {
        for (std::uint32_t k = 0; k < range.count; ++k) {
          const std::uint64_t i = std::uint64_t{range.index.value()} + k;
          if (i < peer.listed.size()) peer.listed[i] = true;
        }
      }
    } else {
      // No list: ask for the blocks one by one, unless the peer is unusable now.
      peer.list = ListState::unneeded;
      failed(p, result.error());
    }
    pump();  // nothing once failed() has ended the fetch
  }

  void send_block(std::size_t b, std::size_t p) {
    BlockState& block = blocks_[b];
    PeerState& peer = peers_[p];
    if (block.attempts > 0) ++impl_->counters.retries;
    ++block.attempts;
    block.peer = p;
    block.mark_tried(p);
    ++peer.in_flight;
    ++in_flight_;
    ++impl_->counters.exchanges.block_requests;
    impl_->client->get_block(
        peer.candidate.endpoint, segment_, block.index, deadline_,
        [self = shared_from_this(), b, p](Expected<pccrc::VerifiedBlock, FetchError> r) {
          asio::dispatch(self->impl_->executor, [self, b, p, r = std::move(r)]() mutable {
            self->on_block(b, p, std::move(r));
          });
        });
  }

  void on_block(std::size_t b, std::size_t p, Expected<pccrc::VerifiedBlock, FetchError> result) {
    --in_flight_;
    --peers_[p].in_flight;
    blocks_[b].peer.reset();
    if (finished_) return;
    if (result) {
      blocks_[b].done = true;
      PeerFetcherCounters& counters = impl_->counters;
      ++counters.exchanges.blocks;
      ++counters.blocks;
      counters.bytes += result->bytes().size();
      if (on_block_) on_block_(std::move(*result));
      if (finished_) return;  // the handler cancelled the fetch
    } else {
      failed(p, result.error());
    }
    pump();
  }

  // What a failed exchange with peer p says about it. An exchange that ends with the fetch's
  // deadline (the client's timer and the fetch's fire at the same moment, in either order)
  // ends the fetch timed_out, not with "no peer left".
  void failed(std::size_t p, FetchError error) {
    if (error == FetchError::timed_out && Clock::now() >= deadline_) {
      end(FetchOutcome::timed_out);
      return;
    }
    PeerState& peer = peers_[p];
    PeerExchangeCounters& counters = impl_->counters.exchanges;
    switch (error) {
      case FetchError::not_held: ++counters.not_held; return;
      case FetchError::timed_out: ++counters.timed_out; break;
      case FetchError::connection_failed: ++counters.connection_failed; break;
      case FetchError::malformed: ++counters.malformed; break;
      case FetchError::version_mismatch: ++counters.version_mismatch; break;
      case FetchError::bad_data:
        ++counters.bad_data;
        if (impl_->penalties.mark_bad(peer.candidate.endpoint, Clock::now())) {
          ++impl_->counters.bad_peers;
          spdlog::warn(
              "peer {} sent data that is not the block asked for (segment {}): not "
              "asked again for {} min",
              to_string(peer.candidate.endpoint), segment_->segment_id.hex(),
              PeerPenalties::kBadPeerTime.count());
        }
        break;
    }
    if (!peer.unusable) {
      spdlog::debug("peer {}: {}; not asked again for segment {} in this fetch",
                    to_string(peer.candidate.endpoint), to_string(error),
                    segment_->segment_id.hex());
    }
    peer.unusable = true;
  }

  // Sends what may be sent, gives up the blocks no peer is left for, and ends the fetch when
  // nothing more can happen.
  void pump() {
    if (finished_) return;
    const Clock::time_point now = Clock::now();
    for (std::size_t p = 0; p < peers_.size(); ++p) {
      if (peers_[p].list == ListState::undecided && usable(peers_[p], now)) decide_list(p);
    }
    const PeerFetcherOptions& options = impl_->options;
    for (std::size_t b = 0; b < blocks_.size() && in_flight_ < options.max_blocks_in_flight; ++b) {
      BlockState& block = blocks_[b];
      if (block.done || block.given_up || block.peer) continue;
      std::optional<std::size_t> best;
      bool later = false;  // a peer may take it once its list or a slot is free
      for (std::size_t p = 0; p < peers_.size(); ++p) {
        if (!usable(peers_[p], now) || !candidate_for(block, p)) continue;
        const PeerState& peer = peers_[p];
        if (peer.list == ListState::pending ||
            peer.in_flight >= options.max_blocks_in_flight_per_peer) {
          later = true;
          continue;
        }
        if (!best || better(peer, peers_[*best])) best = p;
      }
      if (best) {
        send_block(b, *best);
      } else if (!later && finder_done_) {
        block.given_up = true;
      }
    }
    if (std::all_of(blocks_.begin(), blocks_.end(), [](const BlockState& s) { return s.done; })) {
      end(FetchOutcome::complete);
    } else if (in_flight_ == 0 && lists_in_flight_ == 0 && finder_done_) {
      end(FetchOutcome::not_found);
    }
  }

  // Spreads the blocks: the peer with fewer requests in flight; then one that said it holds
  // the whole segment (or more of it); then the earlier offer.
  [[nodiscard]] static bool better(const PeerState& a, const PeerState& b) {
    if (a.in_flight != b.in_flight) return a.in_flight < b.in_flight;
    const auto held = [](const PeerCandidate& c) -> std::uint64_t {
      if (c.has_all) return std::numeric_limits<std::uint64_t>::max();
      return c.block_count ? *c.block_count : 0;
    };
    return held(a.candidate) > held(b.candidate);
  }

  std::shared_ptr<Impl> impl_;
  std::shared_ptr<const pccrc::SegmentDescriptor> segment_;
  Clock::time_point deadline_;
  asio::steady_timer timer_;
  BlockHandler on_block_;
  DoneHandler on_done_;
  std::shared_ptr<PeerSearch> search_;
  std::vector<BlockState> blocks_;
  std::vector<PeerState> peers_;
  std::size_t in_flight_ = 0;        // block requests
  std::size_t lists_in_flight_ = 0;  // block-list requests
  bool finder_done_ = false;
  bool finished_ = false;
};

PeerFetcher::PeerFetcher(asio::any_io_executor executor, std::shared_ptr<PccrrClient> client,
                         std::shared_ptr<PeerFinder> finder, PeerFetcherOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(client), std::move(finder),
                                   options)) {}

PeerFetcher::~PeerFetcher() {
  stop();
}

std::shared_ptr<Fetch> PeerFetcher::fetch(FetchRequest request, BlockHandler on_block,
                                          DoneHandler on_done) {
  ++impl_->counters.fetches;
  auto job =
      std::make_shared<Job>(impl_, std::move(request), std::move(on_block), std::move(on_done));
  impl_->live.insert(job);
  job->start();
  return job;
}

void PeerFetcher::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  // end() takes each out of `live`.
  while (!impl_->live.empty()) (*impl_->live.begin())->end(FetchOutcome::not_found);
  impl_->client.reset();
  impl_->finder.reset();
}

PeerFetcherCounters PeerFetcher::counters() const noexcept {
  return impl_->counters;
}

std::size_t PeerFetcher::active() const noexcept {
  return impl_->live.size();
}

std::size_t PeerFetcher::bad_peers_now() const {
  return impl_->penalties.count(Clock::now());
}

}  // namespace peerdist::net
