// The memory a client shares with the daemon so that bulk data (AddToStream pieces) need not be
// copied through the socket: a sealed memfd, mapped read-write by the client that created it
// and read-only by the daemon that received its descriptor with Hello.
//
// Why the seals matter: the daemon reads a mapping whose file the client still controls. Were
// the client to shrink the file, the daemon's next read past the new end would fault with
// SIGBUS and kill the daemon for every user. F_SEAL_SHRINK makes that impossible, and
// open_received() refuses a descriptor without it. F_SEAL_GROW keeps the size the daemon checked
// the size for good, so the announced size, the file and the mapping never disagree, and
// F_SEAL_SEAL freezes the set, so nobody can later add F_SEAL_WRITE and fail the client's own
// writes. The client can still write the contents at any time; the daemon treats them like
// any other input from the client (see docs/ipc.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::ipc {

class SharedBuffer {
 public:
  // Client side: a new sealed memfd of `size` bytes (> 0), mapped read-write.
  [[nodiscard]] static Expected<SharedBuffer, std::error_code> create(std::size_t size);
  // Daemon side: takes ownership of a descriptor received with Hello. Refuses it (Errc) unless
  // it is sealed against shrinking and growing (not_sealed) and exactly `expected_size` bytes
  // long (size_mismatch; bad_size for 0); then maps it read-only.
  [[nodiscard]] static Expected<SharedBuffer, std::error_code> open_received(
      UniqueFd fd, std::uint64_t expected_size);

  SharedBuffer(const SharedBuffer&) = delete;
  SharedBuffer& operator=(const SharedBuffer&) = delete;
  SharedBuffer(SharedBuffer&& other) noexcept;
  SharedBuffer& operator=(SharedBuffer&& other) noexcept;
  ~SharedBuffer();

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }  // for send_with_fd
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool writable() const noexcept { return writable_; }

  // [offset, offset + length) if it lies inside the buffer, else Errc::out_of_range; checked
  // without overflow, so any offset and length from the wire may be passed as they are.
  [[nodiscard]] Expected<std::span<const std::uint8_t>, std::error_code> span(
      std::uint64_t offset, std::uint64_t length) const;
  // The same for writing; Errc::read_only on the daemon's mapping.
  [[nodiscard]] Expected<std::span<std::uint8_t>, std::error_code> writable_span(
      std::uint64_t offset, std::uint64_t length);

 private:
  SharedBuffer(UniqueFd fd, std::uint8_t* data, std::size_t size, bool writable) noexcept
      : fd_(std::move(fd)), data_(data), size_(size), writable_(writable) {}
  void unmap() noexcept;

  UniqueFd fd_;
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  bool writable_ = false;
};

}  // namespace peerdist::ipc
