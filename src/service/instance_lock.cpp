#include "peerdist/service/instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace peerdist::service {
namespace {

// The lock file holds a pid and a newline.
constexpr std::size_t kMaxPidText = 32;

std::string errno_text(int error) { return std::strerror(error); }  // NOLINT(concurrency-mt-unsafe)

std::string read_pid(int fd) {
  std::array<char, kMaxPidText> text{};
  const ssize_t n = ::pread(fd, text.data(), text.size() - 1, 0);
  if (n <= 0) return {};
  std::string pid(text.data(), static_cast<std::size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

}  // namespace

Expected<InstanceLock, std::string> InstanceLock::acquire(const std::filesystem::path& state_dir) {
  std::filesystem::path file = state_dir / kLockFileName;
  ipc::UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) return Unexpected(file.string() + ": cannot open: " + errno_text(errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error == EWOULDBLOCK) {
      const std::string pid = read_pid(fd.get());
      return Unexpected("another peerdistd" + (pid.empty() ? std::string() : " (pid " + pid + ")") +
                        " is using state directory " + state_dir.string() +
                        "; stop it first, or give this one another --state-dir");
    }
    return Unexpected(file.string() + ": cannot lock: " + errno_text(error));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return Unexpected(file.string() + ": cannot write the pid: " + errno_text(errno));
  }
  return InstanceLock(std::move(fd), std::move(file));
}

}  // namespace peerdist::service
