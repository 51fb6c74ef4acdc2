// peerdistd: the PeerDist service. See docs/config.md for the configuration and
// packaging/peerdistd.service for running it under systemd.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "peerdist/service/daemon.hpp"

namespace {

using peerdist::service::kExitFailure;
using peerdist::service::kExitOk;
using peerdist::service::kExitUsage;

// How the detached daemon tells the waiting parent how start-up went: one message over a pipe,
// empty for success. The parent exits 0 only once the daemon serves, so `peerdistd && peerdist
// publish ...` works.
void write_all(int fd, const std::string& text) {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

// The parent side: waits for the report, prints a failure, and returns the exit code.
int wait_for_child(int fd) {
  std::string message;
  char buffer[512];
  bool ok = false;
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    message.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (message == "ok") ok = true;
  if (ok) return kExitOk;
  std::cerr << "peerdistd: "
            << (message.empty() ? std::string("the daemon exited during start-up") : message)
            << "\n";
  return kExitFailure;
}

// Detaches from the terminal the classic way (fork, setsid, fork), so the daemon is no
// session leader and can never acquire a controlling terminal. Returns the descriptor the
// daemon reports on, or -1 in a parent, which has already exited... via `exit_code`.
int detach(int& exit_code) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    std::perror("peerdistd: pipe");
    exit_code = kExitFailure;
    return -1;
  }
  const pid_t first = ::fork();
  if (first < 0) {
    std::perror("peerdistd: fork");
    exit_code = kExitFailure;
    return -1;
  }
  if (first > 0) {
    ::close(report[1]);
    exit_code = wait_for_child(report[0]);
    return -1;
  }
  ::close(report[0]);
  ::setsid();
  const pid_t second = ::fork();
  if (second != 0) ::_exit(second < 0 ? kExitFailure : kExitOk);
  if (::chdir("/") != 0) {
    // Not fatal: the daemon uses absolute paths.
  }
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) ::close(null);
  }
  return report[1];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"peerdistd: the PeerDist (BranchCache) service for Linux"};
  app.set_version_flag("--version", std::string("peerdistd ") + PEERDIST_VERSION_STRING);
  std::string config_file;
  std::string state_dir;
  std::string socket;
  bool foreground = false;
  app.add_option("--config", config_file,
                 "configuration file (default: /etc/peerdist/peerdistd.toml for root, "
                 "$XDG_CONFIG_HOME/peerdist/peerdistd.toml otherwise, if it exists)");
  app.add_option("--state-dir", state_dir, "state directory (catalog, secret, lock, log)");
  app.add_option("--socket", socket, "path of the API socket");
  app.add_flag("--foreground", foreground,
               "stay in the foreground and log to stderr (for systemd and tests)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  peerdist::service::DaemonOptions options;
  // Absolute before detaching (which changes to /), and for SIGHUP's re-read.
  if (!config_file.empty()) options.config_file = std::filesystem::absolute(config_file);
  if (!state_dir.empty()) options.state_dir = std::filesystem::absolute(state_dir);
  if (!socket.empty()) options.socket = std::filesystem::absolute(socket);
  options.foreground = foreground;
  options.version = PEERDIST_VERSION_STRING;

  spdlog::set_default_logger(spdlog::stderr_logger_mt("peerdistd"));
  spdlog::set_pattern(peerdist::service::kLogPattern);

  int report = -1;
  if (!foreground) {
    int exit_code = kExitOk;
    report = detach(exit_code);
    if (report < 0) return exit_code;
  }
  const int code = peerdist::service::run_daemon(options, [&](const std::string& error) {
    if (report < 0) return;
    write_all(report, error.empty() ? std::string("ok") : error);
    ::close(report);
    report = -1;
  });
  return code;
}
