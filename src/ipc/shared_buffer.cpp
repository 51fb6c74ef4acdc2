#include "peerdist/ipc/shared_buffer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <utility>

#include "peerdist/ipc/errc.hpp"
#include "peerdist/util/checked.hpp"

namespace peerdist::ipc {
namespace {

std::error_code last_errno() {
  return {errno, std::system_category()};
}

// What the daemon's safety rests on (see the header); F_SEAL_SEAL is the creator's business.
constexpr int kRequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW;

}  // namespace

Expected<SharedBuffer, std::error_code> SharedBuffer::create(std::size_t size) {
  if (size == 0 || size > static_cast<std::size_t>(std::numeric_limits<off_t>::max())) {
    return Unexpected(make_error_code(Errc::bad_size));
  }
  UniqueFd fd(::memfd_create("peerdist-shared", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return Unexpected(last_errno());
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return Unexpected(last_errno());
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): fcntl is variadic by definition
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return Unexpected(last_errno());
  }
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (data == MAP_FAILED) return Unexpected(last_errno());
  return SharedBuffer(std::move(fd), static_cast<std::uint8_t*>(data), size, true);
}

Expected<SharedBuffer, std::error_code> SharedBuffer::open_received(UniqueFd fd,
                                                                    std::uint64_t expected_size) {
  if (!fd) return Unexpected(std::make_error_code(std::errc::bad_file_descriptor));
  if (expected_size == 0 || expected_size > std::numeric_limits<std::size_t>::max()) {
    return Unexpected(make_error_code(Errc::bad_size));
  }
  // Fails with EINVAL for anything but a file that supports seals (a memfd): not sealed either.
  const int seals = ::fcntl(fd.get(), F_GET_SEALS);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (seals < 0 || (seals & kRequiredSeals) != kRequiredSeals) {
    return Unexpected(make_error_code(Errc::not_sealed));
  }
  // Checked after the seals, which fix it: the size cannot change between check and mmap.
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Unexpected(last_errno());
  if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
      static_cast<std::uint64_t>(st.st_size) != expected_size) {
    return Unexpected(make_error_code(Errc::size_mismatch));
  }
  const auto size = static_cast<std::size_t>(expected_size);
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (data == MAP_FAILED) return Unexpected(last_errno());
  return SharedBuffer(std::move(fd), static_cast<std::uint8_t*>(data), size, false);
}

SharedBuffer::SharedBuffer(SharedBuffer&& other) noexcept
    : fd_(std::move(other.fd_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      writable_(std::exchange(other.writable_, false)) {}

SharedBuffer& SharedBuffer::operator=(SharedBuffer&& other) noexcept {
  if (this != &other) {
    unmap();
    fd_ = std::move(other.fd_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    writable_ = std::exchange(other.writable_, false);
  }
  return *this;
}

SharedBuffer::~SharedBuffer() {
  unmap();
}

void SharedBuffer::unmap() noexcept {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

Expected<std::span<const std::uint8_t>, std::error_code> SharedBuffer::span(
    std::uint64_t offset, std::uint64_t length) const {
  const auto end = util::checked_add(offset, length);
  if (!end || *end > size_) return Unexpected(make_error_code(Errc::out_of_range));
  return std::span<const std::uint8_t>(data_ + offset, static_cast<std::size_t>(length));
}

Expected<std::span<std::uint8_t>, std::error_code> SharedBuffer::writable_span(
    std::uint64_t offset, std::uint64_t length) {
  if (!writable_) return Unexpected(make_error_code(Errc::read_only));
  const auto end = util::checked_add(offset, length);
  if (!end || *end > size_) return Unexpected(make_error_code(Errc::out_of_range));
  return std::span<std::uint8_t>(data_ + offset, static_cast<std::size_t>(length));
}

}  // namespace peerdist::ipc
