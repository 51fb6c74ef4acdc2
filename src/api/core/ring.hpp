// The shared ring of one connection: the sealed memfd the library passes to peerdistd with
// Hello (docs/ipc.md, "Shared buffer"), cut into slots that pieces of AddToStream data occupy
// from the moment the library writes them until the daemon's Result for the piece arrives.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>

#include "peerdist/ipc/shared_buffer.hpp"
#include "peerdist/util/expected.hpp"

#include "core/slot_allocator.hpp"

namespace peerdist::api {

class Ring;

// Slots of the ring held for one piece (or one zero-copy buffer of the C++ API). Move-only;
// the slots are free again when the lease is destroyed. Holds the ring alive, so a lease that
// outlives its connection still points at mapped memory.
class RingLease {
 public:
  RingLease() = default;
  RingLease(std::shared_ptr<Ring> ring, std::size_t first_slot, std::size_t slot_count,
            std::size_t length) noexcept;
  RingLease(const RingLease&) = delete;
  RingLease& operator=(const RingLease&) = delete;
  RingLease(RingLease&& other) noexcept;
  RingLease& operator=(RingLease&& other) noexcept;
  ~RingLease();

  [[nodiscard]] bool valid() const noexcept { return ring_ != nullptr; }
  // Where the lease starts in the shared buffer (SharedData.offset) and its usable bytes.
  [[nodiscard]] std::uint64_t offset() const noexcept;
  [[nodiscard]] std::span<std::uint8_t> data() const noexcept;
  [[nodiscard]] const std::shared_ptr<Ring>& ring() const noexcept { return ring_; }
  void reset() noexcept;

 private:
  std::shared_ptr<Ring> ring_;
  std::size_t first_slot_ = 0;
  std::size_t slot_count_ = 0;
  std::size_t length_ = 0;
};

class Ring : public std::enable_shared_from_this<Ring> {
 public:
  // A new sealed memfd of `size` bytes (a multiple of slot_size), mapped read-write.
  [[nodiscard]] static Expected<std::shared_ptr<Ring>, std::error_code> create(
      std::size_t size, std::size_t slot_size);

  Ring(ipc::SharedBuffer buffer, std::size_t slot_size);
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  Ring(Ring&&) = delete;
  Ring& operator=(Ring&&) = delete;
  ~Ring() = default;

  [[nodiscard]] int fd() const noexcept { return buffer_.fd(); }
  [[nodiscard]] std::size_t size() const noexcept { return buffer_.size(); }
  [[nodiscard]] std::size_t slot_size() const noexcept { return slot_size_; }

  // The offset of [data, data + length) in the ring, if the range lies wholly inside it (a
  // buffer the C++ API handed out, passed back to AddToStream: no copy needed).
  [[nodiscard]] std::optional<std::uint64_t> offset_of(const void* data,
                                                       std::size_t length) const noexcept;

  // A lease of `length` bytes (1 .. size()), rounded up to whole slots. Waits while the ring is
  // full; returns nullopt when `give_up` says so (it is asked under the ring's lock on every
  // wake-up: after each release and each wake_all) or once the ring is closed.
  [[nodiscard]] std::optional<RingLease> acquire(std::size_t length,
                                                 const std::function<bool()>& give_up);
  // The same without waiting.
  [[nodiscard]] std::optional<RingLease> try_acquire(std::size_t length);

  // Makes every waiting acquire() ask its give_up again (an operation was stopped).
  void wake_all() noexcept;
  // Fails every present and future acquire() (the connection is gone).
  void close() noexcept;

  [[nodiscard]] std::size_t free_bytes() const;

 private:
  friend class RingLease;
  void release(std::size_t first_slot, std::size_t slot_count) noexcept;
  [[nodiscard]] std::optional<RingLease> try_acquire_locked(std::size_t length);

  ipc::SharedBuffer buffer_;
  std::uint8_t* base_ = nullptr;
  std::size_t slot_size_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  SlotAllocator slots_;
  bool closed_ = false;
};

}  // namespace peerdist::api
