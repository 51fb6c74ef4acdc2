#include "core/ring.hpp"

#include <cassert>
#include <functional>
#include <utility>

#include "peerdist/util/checked.hpp"

namespace peerdist::api {

RingLease::RingLease(std::shared_ptr<Ring> ring, std::size_t first_slot, std::size_t slot_count,
                     std::size_t length) noexcept
    : ring_(std::move(ring)), first_slot_(first_slot), slot_count_(slot_count), length_(length) {}

RingLease::RingLease(RingLease&& other) noexcept
    : ring_(std::move(other.ring_)),
      first_slot_(std::exchange(other.first_slot_, 0)),
      slot_count_(std::exchange(other.slot_count_, 0)),
      length_(std::exchange(other.length_, 0)) {}

RingLease& RingLease::operator=(RingLease&& other) noexcept {
  if (this != &other) {
    reset();
    ring_ = std::move(other.ring_);
    first_slot_ = std::exchange(other.first_slot_, 0);
    slot_count_ = std::exchange(other.slot_count_, 0);
    length_ = std::exchange(other.length_, 0);
  }
  return *this;
}

RingLease::~RingLease() {
  reset();
}

void RingLease::reset() noexcept {
  if (ring_ != nullptr) {
    ring_->release(first_slot_, slot_count_);
    ring_.reset();
  }
  first_slot_ = slot_count_ = length_ = 0;
}

std::uint64_t RingLease::offset() const noexcept {
  return ring_ == nullptr ? 0 : static_cast<std::uint64_t>(first_slot_) * ring_->slot_size();
}

std::span<std::uint8_t> RingLease::data() const noexcept {
  if (ring_ == nullptr) return {};
  return {ring_->base_ + first_slot_ * ring_->slot_size(), length_};
}

Expected<std::shared_ptr<Ring>, std::error_code> Ring::create(std::size_t size,
                                                              std::size_t slot_size) {
  assert(slot_size > 0 && size % slot_size == 0);
  auto buffer = ipc::SharedBuffer::create(size);
  if (!buffer) return Unexpected(buffer.error());
  return std::make_shared<Ring>(std::move(*buffer), slot_size);
}

Ring::Ring(ipc::SharedBuffer buffer, std::size_t slot_size)
    : buffer_(std::move(buffer)), slot_size_(slot_size), slots_(buffer_.size() / slot_size) {
  auto whole = buffer_.writable_span(0, buffer_.size());
  assert(whole.has_value());
  base_ = whole->data();
}

std::optional<std::uint64_t> Ring::offset_of(const void* data, std::size_t length) const noexcept {
  // Compared as integers: comparing pointers into different objects is unspecified in C++.
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const auto base = reinterpret_cast<std::uintptr_t>(base_);
  if (begin < base) return std::nullopt;
  const auto end = util::checked_add<std::uintptr_t>(begin, length);
  if (!end || *end > base + buffer_.size()) return std::nullopt;
  return static_cast<std::uint64_t>(begin - base);
}

std::optional<RingLease> Ring::try_acquire_locked(std::size_t length) {
  if (closed_ || length == 0 || length > buffer_.size()) return std::nullopt;
  const std::size_t count = util::ceil_div(length, slot_size_);
  const auto first = slots_.allocate(count);
  if (!first) return std::nullopt;
  return RingLease(shared_from_this(), *first, count, length);
}

std::optional<RingLease> Ring::try_acquire(std::size_t length) {
  const std::lock_guard lock(mutex_);
  return try_acquire_locked(length);
}

std::optional<RingLease> Ring::acquire(std::size_t length, const std::function<bool()>& give_up) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (closed_ || length == 0 || length > buffer_.size()) return std::nullopt;
    if (auto lease = try_acquire_locked(length)) return lease;
    if (give_up && give_up()) return std::nullopt;
    released_.wait(lock);
  }
}

void Ring::release(std::size_t first_slot, std::size_t slot_count) noexcept {
  {
    const std::lock_guard lock(mutex_);
    slots_.release(first_slot, slot_count);
  }
  released_.notify_all();
}

void Ring::wake_all() noexcept {
  { const std::lock_guard lock(mutex_); }
  released_.notify_all();
}

void Ring::close() noexcept {
  {
    const std::lock_guard lock(mutex_);
    closed_ = true;
  }
  released_.notify_all();
}

std::size_t Ring::free_bytes() const {
  const std::lock_guard lock(mutex_);
  return slots_.free_slots() * slot_size_;
}

}  // namespace peerdist::api
