// peerdistd from configuration to exit: resolves the configuration and paths, takes the
// state directory's lock, loads the secret, opens the catalog, listens, and serves until
// SIGTERM or SIGINT; SIGHUP reloads the configuration file.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace peerdist::service {

// Exit codes of peerdistd.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // could not start or serve (lock, socket, catalog, ...)
inline constexpr int kExitUsage = 2;    // bad command line or configuration

// Every log line: time, level, message (journald adds its own time; the log file needs one).
inline constexpr const char* kLogPattern = "[%Y-%m-%d %H:%M:%S.%e] [%l] %v";

struct DaemonOptions {
  std::optional<std::filesystem::path> config_file;  // --config
  std::optional<std::filesystem::path> state_dir;    // --state-dir
  std::optional<std::filesystem::path> socket;       // --socket
  bool foreground = false;  // false: log to <state>/peerdistd.log (main() has detached)
  std::string version;      // "0.1.0"
};

// Serves until told to stop, and returns the exit code. `ready` is called exactly once: with
// an empty string once the daemon serves, or with the reason it cannot (which it also logs),
// so that a detaching parent can report success or failure.
int run_daemon(const DaemonOptions& options,
               const std::function<void(const std::string& error)>& ready);

}  // namespace peerdist::service
