#include "peerdist/service/cache_segment_source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <map>

namespace peerdist::service {

namespace asio = boost::asio;

namespace {

std::chrono::sys_seconds now_of(const CacheSegmentSource::SystemClock& clock) {
  if (clock) return clock();
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

// The pending (put, not yet committed) blocks of one segment, in index order.
auto pending_of(const PendingBlocks& pending, const crypto::Digest& segment_id) {
  auto first = pending.lower_bound(BlockKey{segment_id, pccrc::BlockIndex{0}});
  auto last = first;
  while (last != pending.end() && last->first.segment_id == segment_id) ++last;
  return std::pair{first, last};
}

// Segment secrets (Kp) this source has read, by segment ID; cache thread only. A segment ID is
// derived from its HoD and Kp (the cache stores no descriptor whose ID does not derive), so a
// remembered Kp never goes stale: a block read looks up the segment's presence (one row) rather
// than decoding its descriptor (~17 KB for V1) every time.
using SecretMemo = std::map<crypto::Digest, crypto::Digest, DigestLess>;

// Secrets remembered at most; then the memo starts again. 4096 V1 segments are 128 GiB.
constexpr std::size_t kMaxRememberedSecrets = 4096;

// Marks the segment's pending blocks present.
void overlay_pending(store::SegmentPresence& presence, const PendingBlocks& pending,
                     const crypto::Digest& segment_id) {
  auto [first, last] = pending_of(pending, segment_id);
  for (auto it = first; it != last; ++it) presence.set(it->first.index.value());
}

// The segment's presence with the pending blocks marked present; nullopt (logged, counted in
// `errors`) on a store error.
std::optional<std::optional<store::SegmentPresence>> segment_presence(
    store::DataCache& cache, const PendingBlocks& pending, const crypto::Digest& segment_id,
    std::uint64_t& errors) {
  auto found = cache.presence(segment_id);
  if (!found) {
    spdlog::warn("data cache: looking up segment {} for a peer failed: {}", segment_id.hex(),
                 found.error().message);
    ++errors;
    return std::nullopt;
  }
  std::optional<store::SegmentPresence> state = std::move(*found);
  if (state) overlay_pending(*state, pending, segment_id);
  return state;
}

// The segment's Kp, from the memo or (once, checked against its row) its descriptor; nullopt
// (logged, counted in `errors`) on a store error or when the segment went meanwhile.
std::optional<crypto::Digest> secret_of(store::DataCache& cache, SecretMemo& memo,
                                        const crypto::Digest& segment_id, std::uint64_t& errors) {
  if (auto it = memo.find(segment_id); it != memo.end()) return it->second;
  auto found = cache.segment(segment_id);
  if (!found) {
    spdlog::warn("data cache: looking up segment {} for a peer failed: {}", segment_id.hex(),
                 found.error().message);
    ++errors;
    return std::nullopt;
  }
  if (!*found) return std::nullopt;
  if (memo.size() >= kMaxRememberedSecrets) memo.clear();
  memo.emplace(segment_id, (*found)->descriptor.kp);
  return (*found)->descriptor.kp;
}

}  // namespace

struct CacheSegmentSource::State {
  asio::any_io_executor executor;
  std::shared_ptr<CacheFront> cache;
  SystemClock clock;
  CacheSegmentSourceCounters counters;
  // Cache thread only (the jobs share it; State itself is the network thread's).
  std::shared_ptr<SecretMemo> secrets = std::make_shared<SecretMemo>();
};

CacheSegmentSource::CacheSegmentSource(asio::any_io_executor executor,
                                       std::shared_ptr<CacheFront> cache, SystemClock clock)
    : state_(std::make_shared<State>(
          State{std::move(executor), std::move(cache), std::move(clock), {}})) {}

CacheSegmentSource::~CacheSegmentSource() = default;

const CacheSegmentSourceCounters& CacheSegmentSource::counters() const noexcept {
  return state_->counters;
}

void CacheSegmentSource::holdings(std::vector<crypto::Digest> segment_ids,
                                  HoldingsHandler handler) {
  ++state_->counters.holdings_queries;
  std::weak_ptr<State> weak = state_;
  if (!state_->cache) {
    std::vector<std::optional<net::SegmentHoldings>> none(segment_ids.size());
    asio::post(state_->executor,
               [handler = std::move(handler), none = std::move(none)] { handler(none); });
    return;
  }
  state_->cache->post([weak, executor = state_->executor, pending = state_->cache->pending(),
                       clock = state_->clock, ids = std::move(segment_ids),
                       handler = std::move(handler)](store::DataCache& cache) {
    std::vector<std::optional<net::SegmentHoldings>> answer;
    answer.reserve(ids.size());
    std::uint64_t errors = 0;
    std::uint64_t held = 0;
    const auto now = now_of(clock);
    for (const crypto::Digest& id : ids) {
      auto state = segment_presence(cache, *pending, id, errors);
      if (!state || !*state || (*state)->present_count == 0) {
        answer.emplace_back();
        continue;
      }
      store::SegmentPresence& s = **state;
      net::SegmentHoldings h;
      h.block_count = s.blocks;
      h.present = s.to_bools();
      h.present_count = s.present_count;
      h.age = std::max(std::chrono::seconds{0}, now - s.first_cached);
      answer.emplace_back(std::move(h));
      ++held;
    }
    asio::post(executor, [weak, handler, answer = std::move(answer), errors, held]() mutable {
      auto self = weak.lock();
      if (!self) return;
      self->counters.errors += errors;
      self->counters.segments_held += held;
      handler(std::move(answer));
    });
  });
}

void CacheSegmentSource::read_block(const crypto::Digest& segment_id, pccrc::BlockIndex index,
                                    BlockHandler handler) {
  ++state_->counters.block_reads;
  std::weak_ptr<State> weak = state_;
  if (!state_->cache) {
    asio::post(state_->executor, [handler = std::move(handler)] { handler(std::nullopt); });
    return;
  }
  state_->cache->post([weak, executor = state_->executor, pending = state_->cache->pending(),
                       secrets = state_->secrets, id = segment_id, index,
                       handler = std::move(handler)](store::DataCache& cache) {
    std::uint64_t errors = 0;
    std::optional<net::ServedBlock> served;
    const std::uint32_t i = index.value();
    // One row lookup gives both the bytes and the presence (NextBlockIndex); a block still
    // pending is read from memory.
    std::optional<std::optional<store::SegmentPresence>> state;
    std::optional<std::vector<std::uint8_t>> bytes;
    if (auto it = pending->find(BlockKey{id, index}); it != pending->end()) {
      state = segment_presence(cache, *pending, id, errors);
      if (state && *state) {
        const auto view = it->second->bytes();
        bytes.emplace(view.begin(), view.end());
      }
    } else {
      std::optional<store::SegmentPresence> found;
      if (auto read = cache.read_block(id, index, &found); !read) {
        spdlog::warn("data cache: reading block {} of segment {} for a peer failed: {}", i,
                     id.hex(), read.error().message);
        ++errors;
      } else {
        // The row's block length (its geometry is checked against the descriptor when the
        // secret is first read below).
        bytes = std::move(*read);
        if (found) overlay_pending(*found, *pending, id);
        state = std::move(found);
      }
    }
    if (bytes && state && *state) {
      const store::SegmentPresence& s = **state;
      if (auto kp = secret_of(cache, *secrets, id, errors)) {
        served.emplace();
        served->bytes = std::move(*bytes);
        served->kp = *kp;
        if (auto next = s.next_present(i + 1, s.blocks)) {
          served->next_present = pccrc::BlockIndex{*next};
        }
      }
    }
    asio::post(executor, [weak, handler, served = std::move(served), errors]() mutable {
      auto self = weak.lock();
      if (!self) return;
      self->counters.errors += errors;
      if (served) ++self->counters.blocks_served;
      handler(std::move(served));
    });
  });
}

}  // namespace peerdist::service
