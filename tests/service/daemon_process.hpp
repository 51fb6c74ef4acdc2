// A peerdistd started by a test: its output goes to a log file the test can read, and every
// wait on it is bounded. The test ends it by its pid only; the destructor kills and reaps it
// if the test did not.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace peerdist::service::test {

class DaemonProcess {
 public:
  DaemonProcess(const std::vector<std::string>& argv, std::filesystem::path log_file);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] bool started() const noexcept { return pid_ > 0; }
  void signal(int sig) const;
  // The exit code (or 128 + the signal that killed it), or nullopt if it still runs after
  // `limit`.
  std::optional<int> wait_exit(std::chrono::milliseconds limit);
  [[nodiscard]] bool exited() const noexcept { return status_.has_value(); }
  // What it printed so far.
  [[nodiscard]] std::string log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path log_file_;
};

// Waits until something accepts connections on `socket`, or the daemon has exited, or
// `limit` has passed.
bool wait_for_socket(const std::filesystem::path& socket, DaemonProcess& daemon,
                     std::chrono::milliseconds limit);

}  // namespace peerdist::service::test
