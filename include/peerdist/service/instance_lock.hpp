// One peerdistd per state directory: two daemons on one catalog and one secret would each
// believe it owns the publications, and each would drop the other's at start-up. The lock is
// an flock() on <state>/peerdistd.lock, which the kernel releases however the holder dies
// (kill -9 included), so there is never a stale lock to clean up; the holder's pid is written
// inside for the message the second daemon prints.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::service {

inline constexpr const char* kLockFileName = "peerdistd.lock";

class InstanceLock {
 public:
  // Takes the lock without waiting. Error: "another peerdistd (pid 1234) is using state
  // directory /var/lib/peerdist", or why the file could not be locked.
  [[nodiscard]] static Expected<InstanceLock, std::string> acquire(
      const std::filesystem::path& state_dir);

  InstanceLock(InstanceLock&&) noexcept = default;
  InstanceLock& operator=(InstanceLock&&) noexcept = default;
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;
  ~InstanceLock() = default;  // closing the descriptor releases the lock

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

 private:
  InstanceLock(ipc::UniqueFd fd, std::filesystem::path file) noexcept
      : fd_(std::move(fd)), file_(std::move(file)) {}
  ipc::UniqueFd fd_;
  std::filesystem::path file_;
};

}  // namespace peerdist::service
