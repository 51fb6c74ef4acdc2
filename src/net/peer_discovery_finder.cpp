#include "peerdist/net/peer_discovery_finder.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <map>
#include <utility>
#include <vector>

#include "peerdist/net/peer_memory.hpp"

namespace peerdist::net {

namespace {

using Clock = SegmentPeerMemory::Clock;

struct Search final : PeerSearch {
  PeerQuery query;
  PeerFinder::CandidateHandler on_candidate;
  PeerFinder::DoneHandler on_done;
  std::vector<boost::asio::ip::tcp::endpoint> reported;
  bool finished = false;

  void cancel() override {
    finished = true;
    on_candidate = nullptr;
    on_done = nullptr;
  }
  void offer(const PeerCandidate& candidate, std::uint64_t& counter) {
    if (finished) return;
    if (std::find(reported.begin(), reported.end(), candidate.endpoint) != reported.end()) return;
    reported.push_back(candidate.endpoint);
    ++counter;
    if (on_candidate) on_candidate(candidate);
  }
  void done() {
    if (finished) return;
    finished = true;
    auto handler = std::move(on_done);
    on_candidate = nullptr;
    if (handler) handler();
  }
};

// One probe round and the searches it serves.
struct Round {
  std::shared_ptr<DiscoveryProbe> probe;
  std::map<crypto::Digest, std::vector<std::shared_ptr<Search>>, SegmentIdLess> searches;
  std::map<crypto::Digest, std::vector<PeerCandidate>, SegmentIdLess> found;
};

wire::pccrd::Version probe_version(pccrc::Version version) {
  return version == pccrc::Version::v2 ? wire::pccrd::Version::v2 : wire::pccrd::Version::v1;
}

}  // namespace

struct DiscoveryFinder::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::any_io_executor on, DiscoveryProber& by)
      : executor(std::move(on)), prober(by) {}

  boost::asio::any_io_executor executor;
  DiscoveryProber& prober;
  SegmentPeerMemory memory;
  DiscoveryFinderCounters counters;
  bool stopped = false;
  // Searches waiting for the round of this turn, per probe version.
  std::map<pccrc::Version,
           std::map<crypto::Digest, std::vector<std::shared_ptr<Search>>, SegmentIdLess>>
      waiting;
  bool flush_posted = false;
  // The round each probed segment is in, while it runs.
  std::map<crypto::Digest, std::shared_ptr<Round>, SegmentIdLess> in_round;
  std::vector<std::shared_ptr<Round>> rounds;

  void answer_later(const std::shared_ptr<Search>& search, std::vector<PeerCandidate> peers) {
    boost::asio::post(executor, [self = shared_from_this(), search, peers = std::move(peers)] {
      for (const PeerCandidate& peer : peers) search->offer(peer, self->counters.candidates);
      search->done();
    });
  }

  void flush() {
    flush_posted = false;
    auto batches = std::move(waiting);
    waiting.clear();
    for (auto& [version, searches] : batches) {
      if (stopped) {
        for (auto& [id, list] : searches) {
          for (auto& search : list) search->done();
        }
        continue;
      }
      auto round = std::make_shared<Round>();
      std::vector<crypto::Digest> ids;
      ids.reserve(searches.size());
      for (auto& [id, list] : searches) {
        ids.push_back(id);
        in_round[id] = round;
      }
      round->searches = std::move(searches);
      rounds.push_back(round);
      ++counters.rounds;
      std::weak_ptr<Impl> weak = weak_from_this();
      std::weak_ptr<Round> weak_round = round;
      round->probe = prober.probe(
          probe_version(version), std::move(ids),
          [weak, weak_round](PeerOffer offer) {
            auto self = weak.lock();
            auto r = weak_round.lock();
            if (self && r) self->on_offer(*r, offer);
          },
          [weak, weak_round](ProbeSummary /*summary*/) {
            auto self = weak.lock();
            auto r = weak_round.lock();
            if (self && r) self->on_round_done(r);
          });
    }
  }

  void on_offer(Round& round, const PeerOffer& offer) {
    if (offer.endpoints.empty()) return;
    const Clock::time_point now = Clock::now();
    for (const SegmentOffer& segment : offer.segments) {
      // The peer's first XAddrs entry: where it said it serves, in its own order of preference.
      PeerCandidate candidate{offer.endpoints.front(), segment.block_count, segment.has_all,
                              PeerCandidate::Origin::discovered};
      memory.remember(segment.segment_id, candidate, now);
      round.found[segment.segment_id].push_back(candidate);
      auto it = round.searches.find(segment.segment_id);
      if (it == round.searches.end()) continue;
      for (auto& search : it->second) search->offer(candidate, counters.candidates);
    }
  }

  void on_round_done(const std::shared_ptr<Round>& round) {
    const Clock::time_point now = Clock::now();
    std::erase(rounds, round);
    for (auto& [id, searches] : round->searches) {
      if (auto it = in_round.find(id); it != in_round.end() && it->second == round) {
        in_round.erase(it);
      }
      if (!round->found.contains(id)) memory.remember_nobody(id, now);
    }
    for (auto& [id, searches] : round->searches) {
      for (auto& search : searches) search->done();
    }
  }

  std::shared_ptr<PeerSearch> find(PeerQuery query, CandidateHandler on_candidate,
                                   DoneHandler on_done) {
    ++counters.searches;
    auto search = std::make_shared<Search>();
    search->query = query;
    search->on_candidate = std::move(on_candidate);
    search->on_done = std::move(on_done);
    if (stopped) {
      answer_later(search, {});
      return search;
    }
    // A round asking for it now: its offers so far at once, and the later ones (the memory
    // would end the search with the first offers only).
    if (auto it = in_round.find(query.segment_id); it != in_round.end()) {
      ++counters.joined;
      const std::shared_ptr<Round>& round = it->second;
      round->searches[query.segment_id].push_back(search);
      if (auto found = round->found.find(query.segment_id); found != round->found.end()) {
        // What the round has heard so far, posted (never inside find()).
        boost::asio::post(executor, [self = shared_from_this(), search, peers = found->second] {
          for (const PeerCandidate& peer : peers) search->offer(peer, self->counters.candidates);
        });
      }
      return search;
    }
    const auto recall = memory.recall(query.segment_id, Clock::now());
    if (recall.known == SegmentPeerMemory::Known::peers) {
      ++counters.remembered_peers;
      answer_later(search, recall.peers);
      return search;
    }
    if (recall.known == SegmentPeerMemory::Known::nobody) {
      ++counters.remembered_nobody;
      answer_later(search, {});
      return search;
    }
    waiting[query.version][query.segment_id].push_back(search);
    if (!flush_posted) {
      flush_posted = true;
      boost::asio::post(executor, [weak = weak_from_this()] {
        if (auto self = weak.lock()) self->flush();
      });
    }
    return search;
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    for (auto& round : rounds) {
      if (round->probe) round->probe->cancel();
      for (auto& [id, searches] : round->searches) {
        for (auto& search : searches) search->cancel();
      }
    }
    rounds.clear();
    in_round.clear();
  }
};

DiscoveryFinder::DiscoveryFinder(boost::asio::any_io_executor executor, DiscoveryProber& prober)
    : impl_(std::make_shared<Impl>(std::move(executor), prober)) {}

DiscoveryFinder::~DiscoveryFinder() {
  stop();
}

std::shared_ptr<PeerSearch> DiscoveryFinder::find(PeerQuery query, CandidateHandler on_candidate,
                                                  DoneHandler on_done) {
  return impl_->find(query, std::move(on_candidate), std::move(on_done));
}

void DiscoveryFinder::stop() {
  impl_->stop();
}

const DiscoveryFinderCounters& DiscoveryFinder::counters() const noexcept {
  return impl_->counters;
}

}  // namespace peerdist::net
