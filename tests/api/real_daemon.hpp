// A real peerdistd for the integration tests, started by the test on a private state directory
// and socket (`peerdistd --foreground`), with a configuration file the test writes (a fixed
// server secret, so that content information can be compared with the pccrc builder's). Every
// wait on it is bounded; it is ended by its pid only, and killed and reaped by the destructor
// if the test did not stop it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace peerdist::test {

// The server secret the test daemons use (config [secret] key_hex).
inline constexpr const char* kServerKeyHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
std::vector<std::uint8_t> server_key();

class RealDaemon {
 public:
  // The [distributed] section of a test daemon unless the test gives its own: loopback only, a
  // port the system picks, no discovery. Tests run in parallel, and a daemon must neither
  // collide with another on a fixed port nor find another test's daemon on the network.
  static constexpr const char* kDefaultDistributed =
      "port = 0\nlisten = [\"127.0.0.1\"]\ndiscovery = false\n";

  // `dir` holds the configuration, the state directory, the socket and the log.
  // `distributed`: the body of the configuration's [distributed] section.
  explicit RealDaemon(std::filesystem::path dir, std::string distributed = kDefaultDistributed);
  ~RealDaemon();
  RealDaemon(const RealDaemon&) = delete;
  RealDaemon& operator=(const RealDaemon&) = delete;
  RealDaemon(RealDaemon&&) = delete;
  RealDaemon& operator=(RealDaemon&&) = delete;

  // Starts it and waits until it accepts connections.
  [[nodiscard]] bool start();
  // SIGTERM and a bounded wait for its exit; true if it exited with status 0.
  bool stop();
  // SIGKILL and reap: a crash at an arbitrary moment.
  void kill9();
  // Rewrites the configuration with `enabled` and sends SIGHUP (docs/api.md: the service goes
  // DISABLED / back to AVAILABLE).
  void set_enabled(bool enabled);

  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }
  [[nodiscard]] const std::string& socket() const noexcept { return socket_; }
  [[nodiscard]] std::string log() const;

 private:
  void write_config(bool enabled) const;
  std::optional<int> wait_exit(std::chrono::milliseconds limit);

  std::filesystem::path dir_;
  std::string distributed_;
  std::string socket_;
  std::filesystem::path config_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

}  // namespace peerdist::test
