#include "batch_pipeline.hpp"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <utility>

namespace peerdist::pccrc::detail {

BatchPipeline::BatchPipeline(unsigned threads, std::size_t batch_count, std::size_t batch_capacity,
                             Work work, Collect collect)
    : capacity_(batch_capacity), work_(std::move(work)), collect_(std::move(collect)) {
  assert(batch_count >= 2);
  slots_.reserve(batch_count);
  free_.reserve(batch_count);
  for (std::size_t i = 0; i < batch_count; ++i) slots_.push_back(std::make_unique<Slot>());
  // Reversed so that the first batches handed out are slots_[0], [1], ...: a small content
  // never allocates more buffers than it fills.
  for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) free_.push_back(it->get());
  if (threads > 1) pool_.emplace(threads);
}

BatchPipeline::~BatchPipeline() {
  wait_idle();
}

void BatchPipeline::wait_idle() noexcept {
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [this] {
    return std::all_of(in_flight_.begin(), in_flight_.end(), [](const Slot* s) { return s->done; });
  });
}

Batch& BatchPipeline::acquire(Storage storage) {
  if (free_.empty()) collect_oldest();
  // The most recently freed batch that suits (a handful of batches: a linear search), else the
  // most recently freed one.
  const bool want_buffer = storage == Storage::own;
  auto it = std::find_if(free_.rbegin(), free_.rend(), [want_buffer](const Slot* s) {
    return (s->storage != nullptr) == want_buffer;
  });
  if (it == free_.rend()) it = free_.rbegin();
  Slot* slot = *it;
  free_.erase(std::next(it).base());
  if (storage == Storage::own && !slot->storage) {
    slot->storage = std::make_unique_for_overwrite<std::uint8_t[]>(capacity_);
    slot->capacity = capacity_;
  }
  slot->data = storage == Storage::own ? slot->storage.get() : nullptr;
  slot->size = 0;
  slot->offset = 0;
  slot->pieces.clear();
  slot->hashes.clear();
  slot->keys.clear();
  slot->loan = 0;
  return *slot;
}

void BatchPipeline::submit(Batch& batch) {
  auto& slot = static_cast<Slot&>(batch);  // every Batch handed out is a Slot
  slot.done = false;
  slot.error = nullptr;
  in_flight_.push_back(&slot);
  if (!pool_) {
    run(slot);
    slot.done = true;
    return;
  }
  pool_->submit([this, &slot] {
    run(slot);
    {
      const std::lock_guard lock(mutex_);
      slot.done = true;
    }
    finished_.notify_all();
  });
}

void BatchPipeline::run(Slot& slot) noexcept {
  try {
    work_(slot);
  } catch (...) {
    slot.error = std::current_exception();
  }
}

void BatchPipeline::collect_oldest() {
  assert(!in_flight_.empty());
  Slot* slot = in_flight_.front();
  {
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [slot] { return slot->done; });
  }
  in_flight_.pop_front();
  // Recycled first so that a throwing collect cannot leak the batch; it is not handed out
  // again before collect_ returns.
  free_.push_back(slot);
  if (slot->error) std::rethrow_exception(std::exchange(slot->error, nullptr));
  collect_(*slot);
}

void BatchPipeline::collect_finished() {
  while (!in_flight_.empty()) {
    {
      const std::lock_guard lock(mutex_);
      if (!in_flight_.front()->done) return;
    }
    collect_oldest();
  }
}

void BatchPipeline::drain() {
  while (!in_flight_.empty()) collect_oldest();
}

void BatchPipeline::release_memory() noexcept {
  for (Slot* slot : free_) {
    slot->storage.reset();
    slot->capacity = 0;
    slot->pieces = {};
    slot->hashes = {};
    slot->keys = {};
  }
}

}  // namespace peerdist::pccrc::detail
