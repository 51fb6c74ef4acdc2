#include "peerdist/api/event_fd.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

namespace peerdist::api {

Expected<EventFd, DWORD> EventFd::open(bool semaphore) noexcept {
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | (semaphore ? EFD_SEMAPHORE : 0));
  if (fd >= 0) return EventFd(fd);
  const bool no_descriptors = errno == EMFILE || errno == ENFILE;
  return Unexpected(
      static_cast<DWORD>(no_descriptors ? ERROR_TOO_MANY_OPEN_FILES : ERROR_NOT_ENOUGH_MEMORY));
}

EventFd::EventFd(EventFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

EventFd& EventFd::operator=(EventFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

EventFd::~EventFd() {
  if (fd_ >= 0) ::close(fd_);
}

void EventFd::add() const noexcept {
  const std::uint64_t one = 1;
  // Only EINTR can interrupt an eventfd write that cannot block; retry it.
  while (::write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void EventFd::take() const noexcept {
  std::uint64_t value = 0;
  while (::read(fd_, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

}  // namespace peerdist::api
