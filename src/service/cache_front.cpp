#include "peerdist/service/cache_front.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>

#include "peerdist/service/reply.hpp"
#include "peerdist/service/store_status.hpp"

namespace peerdist::service {
namespace {

// What the cache thread needs of a batch: the blocks, and how to describe their segments again.
struct Describe {
  std::shared_ptr<const pccrc::SegmentDescriptor> segment;
  std::optional<store::ContentTag> tag;
};

// Cache thread: stores the blocks in one transaction; a batch refused because a segment is no
// longer described (flushed, cleared or evicted meanwhile) is stored again once described.
std::uint32_t commit(store::DataCache& cache,
                     const std::vector<std::shared_ptr<const pccrc::VerifiedBlock>>& blocks,
                     const std::vector<Describe>& describe) {
  auto put = cache.put_blocks(blocks);
  if (!put && put.error().code == store::StoreErrc::invalid_argument) {
    // One describe per tag, each in one transaction.
    std::vector<std::optional<store::ContentTag>> tags;
    for (const Describe& d : describe) {
      if (std::find(tags.begin(), tags.end(), d.tag) == tags.end()) tags.push_back(d.tag);
    }
    for (const auto& tag : tags) {
      std::vector<pccrc::SegmentDescriptor> segments;
      for (const Describe& d : describe) {
        if (d.tag == tag) segments.push_back(*d.segment);
      }
      auto described = cache.describe(std::span<const pccrc::SegmentDescriptor>(segments), tag);
      if (!described) return store_status(described.error(), "describing segments again");
    }
    put = cache.put_blocks(blocks);
  }
  if (!put) return store_status(put.error(), "storing blocks");
  return ERROR_SUCCESS;
}

}  // namespace

CacheFront::CacheFront(boost::asio::any_io_executor executor, CacheExecutor& thread)
    : executor_(std::move(executor)), thread_(thread), linger_(executor_) {}

std::shared_ptr<const pccrc::VerifiedBlock> CacheFront::put(
    pccrc::VerifiedBlock block, std::shared_ptr<const pccrc::SegmentDescriptor> segment,
    std::optional<store::ContentTag> tag, Committed committed) {
  auto shared = std::make_shared<const pccrc::VerifiedBlock>(std::move(block));
  const BlockKey key{shared->segment_id(), shared->index()};
  writable_pending()[key] = shared;
  batch_bytes_ += shared->bytes().size();
  if (committed) ++batch_waited_;
  batch_.push_back(Entry{shared, std::move(segment), tag, std::move(committed)});
  if (batch_bytes_ >= kMaxBatchBytes) {
    send_batch();
  } else {
    schedule_send();
  }

  // Listeners may unlisten (themselves or others) while being told: call a copy.
  std::vector<Listener> told;
  auto [first, last] = by_segment_.equal_range(key.segment_id);
  for (auto it = first; it != last; ++it) {
    auto listener = listeners_.find(it->second);
    if (listener != listeners_.end()) told.push_back(listener->second.second);
  }
  for (const Listener& listener : told) listener(shared);
  return shared;
}

PendingBlocks& CacheFront::writable_pending() {
  // Only this thread makes new holders of pending_; others only drop theirs. So a count of 1
  // stays 1, and the fence orders their last reads of the map (before their release of it)
  // before our writes.
  if (pending_.use_count() == 1) {
    std::atomic_thread_fence(std::memory_order_acquire);
  } else {
    pending_ = std::make_shared<PendingBlocks>(*pending_);
  }
  return *pending_;
}

std::shared_ptr<const pccrc::VerifiedBlock> CacheFront::find(const BlockKey& key) const {
  auto it = pending_->find(key);
  return it == pending_->end() ? nullptr : it->second;
}

void CacheFront::schedule_send() {
  if (batch_.empty() || in_flight_ > 0) return;
  if (batch_waited_ > 0) {
    if (send_posted_) return;
    // Idle: commit at the next turn of the network thread, so that the blocks of one handler
    // (an AddData's verified blocks, a peer's burst) share one commit.
    send_posted_ = true;
    boost::asio::post(executor_, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return;
      self->send_posted_ = false;
      if (self->in_flight_ == 0) self->send_batch();
    });
    return;
  }
  if (lingering_) return;
  lingering_ = true;
  linger_.expires_after(kPeerCommitDelay);
  linger_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self) return;
    self->lingering_ = false;
    if (self->in_flight_ == 0) self->send_batch();
  });
}

void CacheFront::send_batch() {
  if (batch_.empty()) return;
  std::vector<Entry> entries = std::exchange(batch_, {});
  batch_bytes_ = 0;
  batch_waited_ = 0;
  ++in_flight_;
  std::vector<std::shared_ptr<const pccrc::VerifiedBlock>> blocks;
  blocks.reserve(entries.size());
  std::vector<Describe> describe;
  for (const Entry& e : entries) {
    blocks.push_back(e.block);
    bool known = false;
    for (const Describe& d : describe) {
      known = known || (d.segment->segment_id == e.segment->segment_id && d.tag == e.tag);
    }
    if (!known) describe.push_back(Describe{e.segment, e.tag});
  }
  thread_.post([weak = weak_from_this(), executor = executor_, blocks = std::move(blocks),
                describe = std::move(describe),
                entries = std::move(entries)](store::DataCache& cache) mutable {
    // The blocks are shared with pending() (immutable): stored without a copy.
    const std::uint32_t status = commit(cache, blocks, describe);
    boost::asio::post(executor, [weak, entries = std::move(entries), status]() mutable {
      if (auto self = weak.lock()) self->on_committed(std::move(entries), status);
    });
  });
}

void CacheFront::on_committed(std::vector<Entry> entries, std::uint32_t status) {
  --in_flight_;
  ++commits_;
  PendingBlocks& next = writable_pending();
  for (const Entry& e : entries) {
    // A block put again since (another peer, AddData) stays pending for its own commit.
    auto it = next.find(BlockKey{e.block->segment_id(), e.block->index()});
    if (it != next.end() && it->second == e.block) next.erase(it);
  }
  if (status != ERROR_SUCCESS) {
    spdlog::warn("data cache: {} verified block(s) could not be stored", entries.size());
  }
  for (Entry& e : entries) {
    if (e.committed) e.committed(status);
  }
  if (in_flight_ == 0 && batch_waited_ > 0) {
    send_batch();  // someone waits: no need to wait for a turn
  } else {
    schedule_send();
  }
}

void CacheFront::post_after_puts(CacheExecutor::Job job) {
  // The cache thread runs jobs in order: the batch, then `job`.
  ++generation_;
  send_batch();
  thread_.post(std::move(job));
}

std::uint64_t CacheFront::listen(const crypto::Digest& segment_id, Listener listener) {
  const std::uint64_t token = next_token_++;
  listeners_.emplace(token, std::make_pair(segment_id, std::move(listener)));
  by_segment_.emplace(segment_id, token);
  return token;
}

void CacheFront::unlisten(std::uint64_t token) {
  auto it = listeners_.find(token);
  if (it == listeners_.end()) return;
  auto [first, last] = by_segment_.equal_range(it->second.first);
  for (auto s = first; s != last; ++s) {
    if (s->second == token) {
      by_segment_.erase(s);
      break;
    }
  }
  listeners_.erase(it);
}

}  // namespace peerdist::service
