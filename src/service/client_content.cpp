#include "peerdist/service/client_content.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cassert>

#include "peerdist/ipc/messages.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/service/store_status.hpp"

#include "peerdist.h"

namespace peerdist::service {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds read_timeout(std::uint32_t timeout_ms) {
  // Q19: only 0 and PEERDIST_READ_TIMEOUT_DEFAULT are special; 0xFFFFFFFF is ~49.7 days.
  if (timeout_ms == PEERDIST_READ_TIMEOUT_DEFAULT) return ClientContent::kDefaultReadTimeout;
  return std::chrono::milliseconds(timeout_ms);
}

// Q18: the first two bytes are the version (minor, major): V1 is 00 01, V2 is 00 02.
bool known_version(std::span<const std::uint8_t> ci) {
  return ci.size() >= 2 && ci[0] == 0 && (ci[1] == 1 || ci[1] == 2);
}

// Hashing pool: parses the CI and lays out its blocks (segment IDs are hashes).
Expected<std::shared_ptr<const ContentLayout>, std::uint32_t> parse_layout(
    std::span<const std::uint8_t> bytes) {
  if (bytes.size() >= 2 && !known_version(bytes)) {
    return Unexpected(std::uint32_t{PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED});
  }
  auto ci = pccrc::parse(bytes);
  if (!ci) {
    spdlog::debug("content information does not parse: {}", ci.error().message());
    return Unexpected(std::uint32_t{PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO});
  }
  return std::make_shared<const ContentLayout>(ContentLayout::make(*ci));
}

struct Verified {
  BlockPlace place;
  std::shared_ptr<const pccrc::SegmentDescriptor> segment;
  std::optional<pccrc::VerifiedBlock> block;
};

}  // namespace

ClientContent::ClientContent(ClientContext& context, std::uint64_t id, store::ContentTag tag,
                             Finish finish)
    : context_(context), id_(id), tag_(tag), finish_(std::move(finish)) {
  assert(context_.cache && context_.hash_pool != nullptr);
}

ClientContent::~ClientContent() {
  stop_fetches();
  for (auto& [serial, read] : reads_) {
    for (std::uint64_t token : read.listening) context_.cache->unlisten(token);
  }
}

void ClientContent::complete(const std::shared_ptr<PendingOperation>& op, Reply reply) {
  others_.erase(op);
  finish_(op, std::move(reply));
}

std::optional<std::uint32_t> ClientContent::refuse_ready() const {
  if (state_ == State::invalidated) return PEERDIST_ERROR_INVALIDATED;
  if (state_ != State::ready) return PEERDIST_ERROR_NOT_INITIALIZED;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Content information

void ClientContent::add_content_information(const std::shared_ptr<PendingOperation>& op,
                                            ClientData data) {
  if (state_ == State::invalidated) return complete(op, Reply::failure(PEERDIST_ERROR_INVALIDATED));
  if (state_ != State::need_ci) {
    return complete(op, Reply::failure(PEERDIST_ERROR_ALREADY_COMPLETED));
  }
  if (data.bytes.size() > kMaxContentInformationSize - ci_bytes_.size()) {
    spdlog::info("content handle {}: content information past {} bytes refused", id_,
                 kMaxContentInformationSize);
    return complete(op, Reply::failure(ERROR_NOT_ENOUGH_MEMORY));
  }
  // Copied once: shared bytes may change under us.
  ci_bytes_.insert(ci_bytes_.end(), data.bytes.begin(), data.bytes.end());
  if (ci_bytes_.size() >= 2 && !known_version(ci_bytes_)) {
    // Q18: reported as soon as the header is seen; what was added is dropped so that the
    // application can start again with a CI it can use.
    ci_bytes_ = {};
    return complete(op, Reply::failure(PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED));
  }
  complete(op, Reply::success(0, static_cast<std::uint32_t>(data.bytes.size())));
}

void ClientContent::complete_content_information(const std::shared_ptr<PendingOperation>& op) {
  if (state_ == State::invalidated) return complete(op, Reply::failure(PEERDIST_ERROR_INVALIDATED));
  if (state_ == State::ready) return complete(op, Reply::failure(PEERDIST_ERROR_ALREADY_COMPLETED));
  // One in flight (Q11).
  if (state_ == State::completing) return complete(op, Reply::failure(ERROR_INVALID_PARAMETER));
  if (ci_bytes_.empty()) {
    return complete(op, Reply::failure(PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO));
  }
  state_ = State::completing;
  completing_ = op;
  others_.insert(op);
  ci_completing_ = std::make_shared<const std::vector<std::uint8_t>>(std::exchange(ci_bytes_, {}));
  boost::asio::post(*context_.hash_pool, [weak = weak_from_this(), executor = context_.executor,
                                          bytes = ci_completing_, op] {
    auto layout = parse_layout(*bytes);
    boost::asio::post(executor, [weak, op, layout = std::move(layout)]() mutable {
      if (auto self = weak.lock()) self->on_parsed(op, std::move(layout));
    });
  });
}

void ClientContent::on_parsed(
    const std::shared_ptr<PendingOperation>& op,
    Expected<std::shared_ptr<const ContentLayout>, std::uint32_t> layout) {
  // Cancelled (back to need_ci), ended or invalidated meanwhile.
  if (state_ != State::completing || completing_ != op) return;
  if (!layout) {
    state_ = State::need_ci;
    completing_.reset();
    ci_completing_.reset();
    return complete(op, Reply::failure(layout.error()));
  }
  // Every segment is described with this handle's tag before the first read, so that what the
  // handle stores is labelled for FlushContent.
  context_.cache->post([weak = weak_from_this(), executor = context_.executor, op, tag = tag_,
                        layout = *layout](store::DataCache& cache) {
    // One transaction for them all: a large V2 CI has thousands of segments.
    std::vector<pccrc::SegmentDescriptor> segments;
    std::set<crypto::Digest, DigestLess> seen;
    for (const LayoutSegment& segment : layout->segments()) {
      if (seen.insert(segment.descriptor->segment_id).second) {
        segments.push_back(*segment.descriptor);
      }
    }
    std::uint32_t status = ERROR_SUCCESS;
    if (auto done = cache.describe(std::span<const pccrc::SegmentDescriptor>(segments), tag);
        !done) {
      status = done.error().code == store::StoreErrc::invalid_argument
                   // It contradicts what the cache knows of one of its segment IDs.
                   ? std::uint32_t{PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO}
                   : store_status(done.error(), "describing segments");
    }
    boost::asio::post(executor, [weak, op, layout, status] {
      if (auto self = weak.lock()) self->on_described(op, layout, status);
    });
  });
}

void ClientContent::on_described(const std::shared_ptr<PendingOperation>& op,
                                 std::shared_ptr<const ContentLayout> layout,
                                 std::uint32_t status) {
  if (state_ != State::completing || completing_ != op) return;
  completing_.reset();
  if (status != ERROR_SUCCESS) {
    // The CI itself is fine: keep it, so that CompleteContentInformation can be tried again.
    state_ = State::need_ci;
    ci_bytes_ = *ci_completing_;
    ci_completing_.reset();
    return complete(op, Reply::failure(status));
  }
  ci_completing_.reset();
  layout_ = std::move(layout);
  state_ = State::ready;
  cursor_ = layout_->range().start;
  complete(op, Reply::success());
}

// ---------------------------------------------------------------------------------------------
// AddData

void ClientContent::add_data(const std::shared_ptr<PendingOperation>& op, std::uint64_t offset,
                             ClientData data) {
  if (auto refused = refuse_ready()) return complete(op, Reply::failure(*refused));
  const ContentLayout& layout = *layout_;
  if (offset >= layout.data_end())
    return complete(op, Reply::failure(PEERDIST_ERROR_OUT_OF_BOUNDS));
  const auto length = static_cast<std::uint32_t>(data.bytes.size());
  // Bytes past the last listed segment, or before the first, cannot be verified: ignored.
  const std::uint64_t end =
      length > layout.data_end() - offset ? layout.data_end() : offset + length;
  const std::uint64_t start = std::max(offset, layout.data_start());

  std::vector<VerifyItem> whole;
  for (auto place = layout.locate(start); place && place->offset < end;
       place = layout.next(*place)) {
    if (!layout.knows(*place)) continue;  // a range CI's edge: no hash to check it against
    const std::uint64_t from = std::max(start, place->offset);
    const std::uint64_t to = std::min(end, place->end());
    if (from >= to) continue;
    const auto piece = data.bytes.subspan(from - offset, to - from);
    auto segment = layout.segments()[place->segment].descriptor;
    if (from == place->offset && to == place->end()) {
      partials_.forget(place->ordinal);
      whole.push_back(VerifyItem{*place, std::move(segment), {}, piece});
    } else if (auto block =
                   partials_.add(place->ordinal, place->length,
                                 static_cast<std::uint32_t>(from - place->offset), piece)) {
      whole.push_back(VerifyItem{*place, std::move(segment), std::move(*block), {}});
    }
  }
  if (whole.empty()) return complete(op, Reply::success(0, length));

  others_.insert(op);
  boost::asio::post(*context_.hash_pool, [weak = weak_from_this(), executor = context_.executor,
                                          owner = std::move(data.owner), whole = std::move(whole),
                                          op, length]() mutable {
    std::vector<Verified> results;
    results.reserve(whole.size());
    for (VerifyItem& item : whole) {
      // Each byte of the request is read once, into the copy that is checked and stored.
      std::vector<std::uint8_t> bytes =
          item.assembled.empty() ? std::vector<std::uint8_t>(item.source.begin(), item.source.end())
                                 : std::move(item.assembled);
      results.push_back(
          Verified{item.place, item.segment,
                   pccrc::verify_block(*item.segment, item.place.index, std::move(bytes))});
    }
    owner.reset();
    auto shared = std::make_shared<std::vector<Verified>>(std::move(results));
    boost::asio::post(executor, [weak, op, length, shared] {
      auto self = weak.lock();
      if (!self) return;
      // Stored as soon as verified; reads waiting for these blocks hear of them now.
      struct Countdown {
        std::size_t left = 0;
        std::uint32_t status = ERROR_SUCCESS;
      };
      auto countdown = std::make_shared<Countdown>();
      for (const Verified& v : *shared) {
        if (v.block) {
          ++countdown->left;
        } else {
          self->context_.counters.bytes_rejected += v.place.length;
          spdlog::info(
              "content handle {}: {} bytes at offset {} do not match the content "
              "information; dropped",
              self->id_, v.place.length, v.place.offset);
        }
      }
      if (countdown->left == 0) return self->complete(op, Reply::success(0, length));
      for (Verified& v : *shared) {
        if (!v.block) continue;
        self->context_.counters.bytes_from_origin += v.block->bytes().size();
        self->context_.cache->put(
            std::move(*v.block), v.segment, self->tag_,
            [weak, op, length, countdown](std::uint32_t status) {
              if (status != ERROR_SUCCESS && countdown->status == ERROR_SUCCESS) {
                countdown->status = status;
              }
              if (--countdown->left > 0) return;
              // AddData completes once its blocks are durable.
              if (auto content = weak.lock()) {
                content->complete(op, countdown->status == ERROR_SUCCESS
                                          ? Reply::success(0, length)
                                          : Reply::failure(countdown->status));
              }
            });
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Reads

void ClientContent::read(const std::shared_ptr<PendingOperation>& op,
                         std::optional<std::uint64_t> offset, std::uint32_t max_bytes,
                         std::uint32_t timeout_ms) {
  if (auto refused = refuse_ready()) return complete(op, Reply::failure(*refused));
  const std::uint64_t serial = next_serial_++;
  Read& read = reads_[serial];
  read.op = op;
  read.stream = !offset.has_value();
  read.offset = offset.value_or(0);
  // A Result carries at most kMaxInlineData bytes; a read completes on partial data anyway.
  read.max_bytes = std::min(max_bytes, ipc::kMaxInlineData);
  read.timeout_ms = timeout_ms;
  if (read.stream) {
    // FIFO: only the head is started; the next starts where it left the position.
    stream_reads_.push_back(serial);
    if (stream_reads_.size() > 1) return;
  }
  start_read(serial);
}

void ClientContent::start_read(std::uint64_t serial) {
  Read& read = reads_.at(serial);
  if (read.stream) read.offset = cursor_;
  const pccrc::ByteRange range = layout_->range();
  if (read.offset < range.start || read.offset >= range.end) {
    return finish_read(serial, Reply::failure(PEERDIST_ERROR_NO_MORE));
  }
  if (read.max_bytes == 0) return start_query(serial);
  read.phase = Read::Phase::looking;
  const std::uint64_t end =
      read.offset + std::min<std::uint64_t>(read.max_bytes, range.end - read.offset);
  for (auto place = layout_->locate(read.offset);
       place && place->offset < end && read.plan.size() < kMaxPlanBlocks;
       place = layout_->next(*place)) {
    read.plan.push_back(*place);
  }
  if (read.plan.empty()) return finish_read(serial, Reply::failure(PEERDIST_ERROR_NO_MORE));
  if (answer_from_memory(serial, read)) return;
  if (read.timeout_ms != PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY && context_.peers &&
      in_flight_.contains(read.plan.front().ordinal)) {
    // Its first block is being fetched, so the cache did not hold it when it was asked for: the
    // read waits for it at once (a stream read starts so behind the block the last one took).
    // The cache is looked at only if the read ends without it: finish_missing() needs the
    // missing range's end, and another handle may have stored the block meanwhile.
    return wait(serial, read);
  }
  post_look(serial, std::nullopt);
}

void ClientContent::post_look(std::uint64_t serial, std::optional<std::uint32_t> ending) {
  Read& read = reads_.at(serial);
  read.phase = Read::Phase::looking;
  const std::uint64_t limit = std::min(layout_->range().end, read.offset + kMaxReportedBytes);
  context_.cache->post([weak = weak_from_this(), executor = context_.executor, serial,
                        layout = layout_, pending = context_.cache->pending(), plan = read.plan,
                        offset = read.offset, limit, ending](store::DataCache& cache) {
    CacheLookup lookup(cache, *pending, *layout);
    Look look;
    for (const BlockPlace& place : plan) {
      auto bytes = lookup.read(place);
      if (!bytes) break;
      look.prefix.push_back(std::move(*bytes));
    }
    if (look.prefix.empty()) {
      look.held.reserve(plan.size());
      for (const BlockPlace& place : plan) look.held.push_back(lookup.held(place));
      look.missing_end = lookup.next_held(offset, limit);
    }
    boost::asio::post(executor, [weak, serial, ending, look = std::move(look)]() mutable {
      if (auto self = weak.lock()) self->on_looked(serial, std::move(look), ending);
    });
  });
}

std::shared_ptr<const pccrc::VerifiedBlock> ClientContent::in_memory(const BlockPlace& place) {
  const BlockKey key = layout_->key(place);
  if (auto it = fetched_.find(place.ordinal); it != fetched_.end()) {
    if (fetched_generation_ == context_.cache->generation() &&
        BlockKey{it->second->segment_id(), it->second->index()} == key) {
      return it->second;
    }
  }
  return context_.cache->find(key);
}

void ClientContent::forget_fetched() {
  fetched_.clear();
  fetched_bytes_ = 0;
}

bool ClientContent::answer_from_memory(std::uint64_t serial, const Read& read) {
  if (fetched_generation_ != context_.cache->generation()) {
    // A FlushContent or CacheClear came since they were fetched: not served any more.
    forget_fetched();
    fetched_generation_ = context_.cache->generation();
  }
  std::vector<BlockBytes> prefix;
  std::size_t k = 0;
  for (; k < read.plan.size(); ++k) {
    auto block = in_memory(read.plan[k]);
    if (!block) break;
    prefix.push_back(BlockBytes::of(std::move(block)));
  }
  if (prefix.empty()) return false;
  // The cache could hold more after the prefix, unless the next block is being fetched.
  if (k < read.plan.size() && !in_flight_.contains(read.plan[k].ordinal)) return false;
  finish_with_data(serial, prefix, true);
  return true;
}

void ClientContent::start_query(std::uint64_t serial) {
  Read& read = reads_.at(serial);
  read.phase = Read::Phase::looking;
  const std::uint64_t limit = std::min(layout_->range().end, read.offset + kMaxReportedBytes);
  context_.cache->post([weak = weak_from_this(), executor = context_.executor, serial,
                        layout = layout_, pending = context_.cache->pending(), offset = read.offset,
                        limit](store::DataCache& cache) {
    CacheLookup lookup(cache, *pending, *layout);
    const std::uint64_t held_end = lookup.held_until(offset, limit);
    boost::asio::post(executor, [weak, serial, held_end] {
      if (auto self = weak.lock()) self->on_queried(serial, held_end);
    });
  });
}

void ClientContent::on_queried(std::uint64_t serial, std::uint64_t held_end) {
  auto it = reads_.find(serial);
  if (it == reads_.end() || it->second.phase != Read::Phase::looking) return;
  const Read& read = it->second;
  const std::uint64_t limit = std::min(layout_->range().end, read.offset + kMaxReportedBytes);
  // Blocks put since the job was posted are still pending now (their commits run after it).
  std::uint64_t end = held_end;
  while (end < limit) {
    auto place = layout_->locate(end);
    if (!place || !context_.cache->find(layout_->key(*place))) break;
    end = std::min(place->end(), limit);
  }
  finish_read(serial, Reply::success(read.offset, static_cast<std::uint32_t>(end - read.offset)));
}

void ClientContent::on_looked(std::uint64_t serial, Look look,
                              std::optional<std::uint32_t> ending) {
  auto it = reads_.find(serial);
  if (it == reads_.end() || it->second.phase != Read::Phase::looking) return;
  Read& read = it->second;
  // Blocks put since the look was posted are still pending now: their commits were posted
  // after the look, so they answer after it.
  for (std::size_t k = look.prefix.size(); k < read.plan.size(); ++k) {
    auto block = context_.cache->find(layout_->key(read.plan[k]));
    if (!block) break;
    look.prefix.push_back(BlockBytes::of(std::move(block)));
  }
  if (!look.prefix.empty()) return finish_with_data(serial, look.prefix, true);
  read.held = std::move(look.held);
  read.missing_end = clip_missing_end(read.offset, look.missing_end);
  read.looked = true;
  if (ending) return finish_missing(serial, *ending);
  if (read.timeout_ms == PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY) {
    return finish_missing(serial, PEERDIST_ERROR_MISSING_DATA);
  }
  wait(serial, read);
}

std::uint64_t ClientContent::clip_missing_end(std::uint64_t offset, std::uint64_t end) const {
  for (const auto& [key, block] : *context_.cache->pending()) {
    for (std::size_t position : layout_->positions(key.segment_id)) {
      if (key.index.value() >= layout_->segments()[position].descriptor->block_count()) continue;
      const BlockPlace place = layout_->place(position, key.index);
      if (place.offset > offset && place.offset < end) end = place.offset;
    }
  }
  return end;
}

void ClientContent::wait(std::uint64_t serial, Read& read) {
  if (!context_.peers) return finish_missing(serial, PEERDIST_ERROR_MISSING_DATA);
  read.phase = Read::Phase::waiting;
  read.deadline = Clock::now() + read_timeout(read.timeout_ms);
  read.arrived.assign(read.plan.size(), std::nullopt);
  // Blocks put from now on (from peers, or AddData on any handle) reach the read from memory.
  std::vector<crypto::Digest> segments;
  for (const BlockPlace& place : read.plan) {
    const crypto::Digest& id = layout_->descriptor(place).segment_id;
    if (std::find(segments.begin(), segments.end(), id) == segments.end()) segments.push_back(id);
  }
  for (const crypto::Digest& id : segments) {
    read.listening.push_back(context_.cache->listen(
        id,
        [weak = weak_from_this(), serial](const std::shared_ptr<const pccrc::VerifiedBlock>& b) {
          if (auto self = weak.lock()) self->on_block(serial, b);
        }));
  }
  read.timer = std::make_unique<boost::asio::steady_timer>(context_.executor);
  read.timer->expires_at(read.deadline);
  read.timer->async_wait([weak = weak_from_this(), serial](const boost::system::error_code& error) {
    if (error) return;
    auto self = weak.lock();
    if (!self) return;
    auto it = self->reads_.find(serial);
    if (it != self->reads_.end() && it->second.phase == Read::Phase::waiting) {
      self->finish_missing(serial, ERROR_TIMEOUT);
    }
  });
  // Another read of this handle may be fetching the block already.
  if (!in_flight_.contains(read.plan.front().ordinal)) fetch_for(read);
}

void ClientContent::on_block(std::uint64_t serial,
                             const std::shared_ptr<const pccrc::VerifiedBlock>& block) {
  auto it = reads_.find(serial);
  if (it == reads_.end() || it->second.phase != Read::Phase::waiting) return;
  Read& read = it->second;
  const BlockKey key{block->segment_id(), block->index()};
  for (std::size_t k = 0; k < read.plan.size(); ++k) {
    if (!read.arrived[k] && layout_->key(read.plan[k]) == key)
      read.arrived[k] = BlockBytes::of(block);
  }
  if (!read.arrived.front()) return;
  std::vector<BlockBytes> prefix;
  for (const auto& arrived : read.arrived) {
    if (!arrived) break;
    prefix.push_back(*arrived);
  }
  finish_with_data(serial, prefix, false);
}

void ClientContent::finish_with_data(std::uint64_t serial, const std::vector<BlockBytes>& blocks,
                                     bool from_cache) {
  Read& read = reads_.at(serial);
  const std::uint64_t end = std::min(read.offset + read.max_bytes, layout_->range().end);
  Reply reply = Reply::success(read.offset);
  std::size_t size = 0;
  for (std::size_t k = 0; k < blocks.size() && k < read.plan.size(); ++k) {
    const BlockPlace& place = read.plan[k];
    const std::uint64_t from = std::max(read.offset, place.offset);
    const std::uint64_t to = std::min(end, place.end());
    if (from >= to || blocks[k].bytes.size() != place.length) break;
    // The block's bytes are sent from where they lie (the verified block, or what the cache
    // read): no copy.
    reply.pieces.push_back(
        ReplyPiece{blocks[k].owner, blocks[k].bytes.subspan(from - place.offset, to - from)});
    size += to - from;
    if (to >= end) break;
  }
  reply.bytes = static_cast<std::uint32_t>(size);
  // What the read took whole is not kept for another (a read of it again looks in the cache).
  for (std::size_t k = 0; k < blocks.size() && k < read.plan.size() && !fetched_.empty(); ++k) {
    if (read.plan[k].end() > read.offset + size) break;
    if (auto it = fetched_.find(read.plan[k].ordinal); it != fetched_.end()) {
      fetched_bytes_ -= it->second->bytes().size();
      fetched_.erase(it);
    }
  }
  if (from_cache) context_.counters.bytes_from_cache += size;
  if (read.stream) cursor_ = read.offset + size;
  finish_read(serial, std::move(reply));
}

void ClientContent::finish_missing(std::uint64_t serial, std::uint32_t status) {
  Read& read = reads_.at(serial);
  // A read that went waiting without looking (start_read) looks now: it may find the block
  // after all, else the end of the missing range.
  if (!read.looked) return post_look(serial, status);
  std::uint64_t end = read.missing_end;
  // A later block of the read may have come while it waited: the missing range ends there.
  for (std::size_t k = 1; k < read.arrived.size(); ++k) {
    if (read.arrived[k]) {
      end = std::min(end, read.plan[k].offset);
      break;
    }
  }
  end = clip_missing_end(read.offset, end);
  const std::uint64_t length = std::min(end - read.offset, kMaxReportedBytes);
  // Q3: the missing range travels in Offset/OffsetHigh and the byte count, on a failure too.
  Reply reply{status, read.offset, static_cast<std::uint32_t>(length), {}, {}};
  if (read.stream) cursor_ = read.offset + length;
  finish_read(serial, std::move(reply));
}

void ClientContent::finish_read(std::uint64_t serial, Reply reply) {
  auto it = reads_.find(serial);
  if (it == reads_.end()) return;
  Read read = std::move(it->second);
  reads_.erase(it);
  if (read.timer) read.timer->cancel();
  for (std::uint64_t token : read.listening) context_.cache->unlisten(token);
  bool head = false;
  if (read.stream) {
    head = !stream_reads_.empty() && stream_reads_.front() == serial;
    std::erase(stream_reads_, serial);
  }
  finish_(read.op, std::move(reply));
  if (head) next_stream_read();
}

void ClientContent::next_stream_read() {
  if (stream_reads_.empty() || state_ != State::ready) return;
  auto it = reads_.find(stream_reads_.front());
  if (it != reads_.end() && it->second.phase == Read::Phase::queued) start_read(it->first);
}

// ---------------------------------------------------------------------------------------------
// Peers

void ClientContent::fetch_for(Read& read) {
  const std::size_t segment = read.plan.front().segment;
  std::vector<pccrc::BlockIndex> blocks;
  for (std::size_t k = 0; k < read.plan.size(); ++k) {
    const BlockPlace& place = read.plan[k];
    if (place.segment != segment) break;  // one fetch per segment: the first one's
    // The first block is asked for even if the cache said it held it (and then could not
    // read it).
    const bool held = k > 0 && k < read.held.size() && read.held[k];
    if (held || read.arrived[k] || in_flight_.contains(place.ordinal)) continue;
    blocks.push_back(place.index);
  }
  if (blocks.empty()) return;
  const std::uint64_t id = next_fetch_++;
  FetchState& state = fetches_[id];
  state.source = context_.peers;
  state.segment = segment;
  for (pccrc::BlockIndex index : blocks) {
    state.outstanding.insert(index.value());
    in_flight_[layout_->place(segment, index).ordinal] = id;
  }
  const auto& descriptor = layout_->segments()[segment].descriptor;
  net::FetchRequest request{*descriptor, std::move(blocks), read.deadline};
  auto source = state.source;
  auto fetch = source->fetch(
      std::move(request),
      [weak = weak_from_this(), id](pccrc::VerifiedBlock block) {
        if (auto self = weak.lock()) self->on_fetched_block(id, std::move(block));
      },
      [weak = weak_from_this(), id](net::FetchOutcome outcome) {
        if (auto self = weak.lock()) self->on_fetch_done(id, outcome);
      });
  if (auto it = fetches_.find(id); it != fetches_.end()) {
    it->second.fetch = std::move(fetch);
  } else if (fetch) {
    fetch->cancel();
  }
}

void ClientContent::on_fetched_block(std::uint64_t fetch_id, pccrc::VerifiedBlock block) {
  auto it = fetches_.find(fetch_id);
  if (it == fetches_.end()) return;
  FetchState& state = it->second;
  const auto descriptor = layout_->segments()[state.segment].descriptor;
  if (block.segment_id() != descriptor->segment_id ||
      !state.outstanding.contains(block.index().value())) {
    // Verified, but not what was asked: a confused or hostile source. Not stored.
    ++context_.counters.peer_blocks_dropped;
    spdlog::warn(
        "content handle {}: a peer source handed block {} of segment {}, which was not "
        "asked for; dropped",
        id_, block.index().value(), block.segment_id().hex());
    return;
  }
  state.outstanding.erase(block.index().value());
  const std::uint64_t ordinal = layout_->place(state.segment, block.index()).ordinal;
  if (auto f = in_flight_.find(ordinal); f != in_flight_.end() && f->second == fetch_id) {
    in_flight_.erase(f);
  }
  context_.counters.bytes_from_peers += block.bytes().size();
  // Waiting reads (this handle's and others') hear of it now, from memory.
  auto shared = context_.cache->put(std::move(block), descriptor, tag_, nullptr);
  // Kept for the reads to come (answer_from_memory).
  if (fetched_generation_ != context_.cache->generation()) {
    forget_fetched();
    fetched_generation_ = context_.cache->generation();
  }
  if (fetched_bytes_ + shared->bytes().size() > kMaxFetchedBytes) forget_fetched();
  if (fetched_.emplace(ordinal, shared).second) fetched_bytes_ += shared->bytes().size();
}

void ClientContent::on_fetch_done(std::uint64_t fetch_id, net::FetchOutcome outcome) {
  auto it = fetches_.find(fetch_id);
  if (it == fetches_.end()) return;
  for (std::uint32_t index : it->second.outstanding) {
    const std::uint64_t ordinal =
        layout_->place(it->second.segment, pccrc::BlockIndex{index}).ordinal;
    if (auto f = in_flight_.find(ordinal); f != in_flight_.end() && f->second == fetch_id) {
      in_flight_.erase(f);
    }
  }
  fetches_.erase(it);
  // The reads still waiting for a first block that no fetch is bringing any more.
  std::vector<std::uint64_t> orphans;
  for (const auto& [serial, read] : reads_) {
    if (read.phase == Read::Phase::waiting && !read.arrived.front() &&
        !in_flight_.contains(read.plan.front().ordinal)) {
      orphans.push_back(serial);
    }
  }
  for (std::uint64_t serial : orphans) {
    auto r = reads_.find(serial);
    if (r == reads_.end() || r->second.phase != Read::Phase::waiting) continue;
    if (outcome == net::FetchOutcome::timed_out) {
      // Another read's shorter deadline ended that fetch: this one asks again with its own.
      if (r->second.deadline - Clock::now() > kMinRefetchTime) {
        fetch_for(r->second);
        continue;
      }
      finish_missing(serial, ERROR_TIMEOUT);
      continue;
    }
    // not_found, or "complete" without this block (what came was not it).
    finish_missing(serial, PEERDIST_ERROR_MISSING_DATA);
  }
}

void ClientContent::stop_fetches() {
  // cancel(): no handler of these fetches is called any more.
  for (auto& [id, state] : fetches_) {
    if (state.fetch) state.fetch->cancel();
  }
  fetches_.clear();
  in_flight_.clear();
}

// ---------------------------------------------------------------------------------------------
// Information, cancel, end

Reply ClientContent::information(std::uint32_t info_class) const {
  if (state_ == State::invalidated) return Reply::failure(PEERDIST_ERROR_INVALIDATED);
  if (info_class != PeerDistClientBasicInfo) return Reply::failure(ERROR_INVALID_PARAMETER);
  // No flash-crowd detection: FALSE, "go to the origin when data is missing".
  const PEERDIST_CLIENT_BASIC_INFO info{};
  Reply reply = Reply::success(0, sizeof info);
  reply.data.assign(sizeof info, 0);
  return reply;
}

void ClientContent::cancel(const std::shared_ptr<PendingOperation>& op) {
  for (auto& [serial, read] : reads_) {
    if (read.op == op) return finish_read(serial, Reply::failure(ERROR_OPERATION_ABORTED));
  }
  if (op == completing_) {
    // Not a failure of the CI: it stays, and CompleteContentInformation may come again.
    state_ = State::need_ci;
    ci_bytes_ = *ci_completing_;
    ci_completing_.reset();
    completing_.reset();
  }
  complete(op, Reply::failure(ERROR_OPERATION_ABORTED));
}

void ClientContent::end(std::uint32_t status) {
  stop_fetches();
  partials_.clear();
  forget_fetched();
  auto reads = std::exchange(reads_, {});
  stream_reads_.clear();
  for (auto& [serial, read] : reads) {
    if (read.timer) read.timer->cancel();
    for (std::uint64_t token : read.listening) context_.cache->unlisten(token);
    finish_(read.op, Reply::failure(status));
  }
  for (const auto& op : std::exchange(others_, {})) finish_(op, Reply::failure(status));
  if (completing_) {
    completing_.reset();
    if (state_ == State::completing) {
      ci_bytes_ = *ci_completing_;
      state_ = State::need_ci;
    }
    ci_completing_.reset();
  }
}

void ClientContent::invalidate() {
  end(PEERDIST_ERROR_INVALIDATED);
  state_ = State::invalidated;
  ci_bytes_ = {};
}

}  // namespace peerdist::service
