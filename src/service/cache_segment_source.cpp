#include "peerdist/service/cache_segment_source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

namespace peerdist::service {

namespace asio = boost::asio;

struct CacheSegmentSource::State {
  asio::any_io_executor executor;
  std::shared_ptr<CacheFront> cache;
  SystemClock clock;
  CacheSegmentSourceCounters counters;
};

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

// The segment's state with the pending blocks marked present; nullopt (logged, counted in
// `errors`) on a store error.
std::optional<std::optional<store::SegmentState>> segment_state(store::DataCache& cache,
                                                                const PendingBlocks& pending,
                                                                const crypto::Digest& segment_id,
                                                                std::uint64_t& errors) {
  auto found = cache.segment(segment_id);
  if (!found) {
    spdlog::warn("data cache: looking up segment {} for a peer failed: {}", segment_id.hex(),
                 found.error().message);
    ++errors;
    return std::nullopt;
  }
  std::optional<store::SegmentState> state = std::move(*found);
  if (!state) return state;
  auto [first, last] = pending_of(pending, segment_id);
  for (auto it = first; it != last; ++it) {
    const auto i = it->first.index.value();
    if (i < state->present.size() && !state->present[i]) {
      state->present[i] = true;
      ++state->present_count;
    }
  }
  return state;
}

}  // namespace

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
      auto state = segment_state(cache, *pending, id, errors);
      if (!state || !*state || (*state)->present_count == 0) {
        answer.emplace_back();
        continue;
      }
      store::SegmentState& s = **state;
      net::SegmentHoldings h;
      h.block_count = s.descriptor.block_count();
      h.present = std::move(s.present);
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
                       id = segment_id, index,
                       handler = std::move(handler)](store::DataCache& cache) {
    std::uint64_t errors = 0;
    std::optional<net::ServedBlock> served;
    auto state = segment_state(cache, *pending, id, errors);
    const std::uint32_t i = index.value();
    if (state && *state && i < (*state)->present.size() && (*state)->present[i]) {
      const store::SegmentState& s = **state;
      std::optional<std::vector<std::uint8_t>> bytes;
      if (auto it = pending->find(BlockKey{id, index}); it != pending->end()) {
        const auto view = it->second->bytes();
        bytes.emplace(view.begin(), view.end());
      } else if (auto read = cache.read_block(id, index); !read) {
        spdlog::warn("data cache: reading block {} of segment {} for a peer failed: {}", i,
                     id.hex(), read.error().message);
        ++errors;
      } else {
        bytes = std::move(*read);
      }
      if (bytes && bytes->size() == s.descriptor.block_length(index)) {
        served.emplace();
        served->bytes = std::move(*bytes);
        served->kp = s.descriptor.kp;
        for (std::uint32_t j = i + 1; j < s.present.size(); ++j) {
          if (s.present[j]) {
            served->next_present = pccrc::BlockIndex{j};
            break;
          }
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
