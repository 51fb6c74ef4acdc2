#include "memory_segment_source.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace peerdist::net::test {

void MemorySegmentSource::add_segment(const pccrc::SegmentDescriptor& segment,
                                      std::chrono::seconds age) {
  const std::lock_guard lock(mutex_);
  Segment& held = segments_[key_of(segment.segment_id)];
  held.block_count = segment.block_count();
  held.kp = segment.kp;
  held.age = age;
}

void MemorySegmentSource::add_block(const crypto::Digest& segment_id, pccrc::BlockIndex index,
                                    std::vector<std::uint8_t> bytes) {
  const std::lock_guard lock(mutex_);
  segments_.at(key_of(segment_id)).blocks[index.value()] =
      std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

void MemorySegmentSource::add_segment_bytes(const pccrc::SegmentDescriptor& segment,
                                            std::span<const std::uint8_t> bytes,
                                            std::chrono::seconds age) {
  add_segment(segment, age);
  std::size_t offset = 0;
  for (pccrc::BlockIndex i{0}; i.value() < segment.block_count(); ++i) {
    const std::size_t length = segment.block_length(i);
    const auto block = bytes.subspan(offset, length);
    add_block(segment.segment_id, i, {block.begin(), block.end()});
    offset += length;
  }
}

void MemorySegmentSource::remove_block(const crypto::Digest& segment_id, pccrc::BlockIndex index) {
  const std::lock_guard lock(mutex_);
  segments_.at(key_of(segment_id)).blocks.erase(index.value());
}

void MemorySegmentSource::set_delay(std::chrono::milliseconds delay) {
  const std::lock_guard lock(mutex_);
  delay_ = delay;
}

void MemorySegmentSource::set_silent(bool silent) {
  const std::lock_guard lock(mutex_);
  silent_ = silent;
}

std::size_t MemorySegmentSource::holdings_calls() const {
  const std::lock_guard lock(mutex_);
  return holdings_calls_;
}

std::size_t MemorySegmentSource::read_block_calls() const {
  const std::lock_guard lock(mutex_);
  return read_block_calls_;
}

// Called with the mutex held.
void MemorySegmentSource::answer(std::function<void()> call) {
  if (silent_) {
    withheld_.push_back(std::move(call));
  } else if (delay_.count() == 0) {
    boost::asio::post(executor_, std::move(call));
  } else {
    auto timer = std::make_shared<boost::asio::steady_timer>(executor_, delay_);
    timer->async_wait([timer, call = std::move(call)](boost::system::error_code) { call(); });
  }
}

void MemorySegmentSource::holdings(std::vector<crypto::Digest> segment_ids,
                                   HoldingsHandler handler) {
  const std::lock_guard lock(mutex_);
  ++holdings_calls_;
  std::vector<std::optional<SegmentHoldings>> answer_list;
  for (const auto& id : segment_ids) {
    auto it = segments_.find(key_of(id));
    if (it == segments_.end() || it->second.blocks.empty()) {
      answer_list.emplace_back();
      continue;
    }
    SegmentHoldings h;
    h.block_count = it->second.block_count;
    h.present.assign(h.block_count, false);
    for (const auto& [index, bytes] : it->second.blocks) {
      if (index < h.block_count) {
        h.present[index] = true;
        ++h.present_count;
      }
    }
    h.age = it->second.age;
    answer_list.emplace_back(std::move(h));
  }
  answer([handler = std::move(handler), answer_list = std::move(answer_list)]() mutable {
    handler(std::move(answer_list));
  });
}

void MemorySegmentSource::read_block(const crypto::Digest& segment_id, pccrc::BlockIndex index,
                                     BlockHandler handler) {
  const std::lock_guard lock(mutex_);
  ++read_block_calls_;
  std::optional<ServedBlock> served;
  if (auto it = segments_.find(key_of(segment_id)); it != segments_.end()) {
    const auto& blocks = it->second.blocks;
    if (auto block = blocks.find(index.value()); block != blocks.end()) {
      served.emplace();
      served->bytes = *block->second;
      served->kp = it->second.kp;
      if (auto next = blocks.upper_bound(index.value()); next != blocks.end()) {
        served->next_present = pccrc::BlockIndex{next->first};
      }
    }
  }
  answer([handler = std::move(handler), served = std::move(served)]() mutable {
    handler(std::move(served));
  });
}

}  // namespace peerdist::net::test
