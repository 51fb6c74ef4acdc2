#include "real_daemon.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "peerdist/util/hex.hpp"

extern char** environ;  // NOLINT

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartLimit = 20s;
constexpr auto kStopLimit = 20s;
constexpr auto kPoll = 20ms;

bool accepts(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::vector<std::uint8_t> server_key() {
  return util::from_hex(kServerKeyHex).value();
}

RealDaemon::RealDaemon(std::filesystem::path dir, std::string distributed)
    : dir_(std::move(dir)),
      distributed_(std::move(distributed)),
      socket_((dir_ / "peerdistd.sock").string()),
      config_(dir_ / "peerdistd.toml"),
      log_(dir_ / "peerdistd.log") {
  write_config(true);
}

RealDaemon::~RealDaemon() {
  if (pid_ > 0) kill9();
}

void RealDaemon::write_config(bool enabled) const {
  const auto temp = config_.string() + ".new";
  {
    std::ofstream out(temp);
    out << "enabled = " << (enabled ? "true" : "false") << "\n"
        << "log_level = \"debug\"\n"
        << "content_information_versions = [1, 2]\n"
        << "[secret]\n"
        << "key_hex = \"" << kServerKeyHex << "\"\n"
        << "[distributed]\n"
        << distributed_;
  }
  std::filesystem::rename(temp, config_);
}

bool RealDaemon::start() {
  if (pid_ > 0) return true;
  const std::string binary = PEERDIST_DAEMON;
  const std::string state = (dir_ / "state").string();
  std::vector<std::string> argv = {binary,        "--foreground", "--config", config_.string(),
                                   "--state-dir", state,          "--socket", socket_};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + kStartLimit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (wait_exit(0ms)) return false;
    if (accepts(socket_)) return true;
    std::this_thread::sleep_for(kPoll);
  }
  return false;
}

std::optional<int> RealDaemon::wait_exit(std::chrono::milliseconds limit) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPoll);
  }
}

bool RealDaemon::stop() {
  if (pid_ <= 0) return false;
  ::kill(pid_, SIGTERM);
  if (const auto status = wait_exit(kStopLimit)) return *status == 0;
  ADD_FAILURE() << "peerdistd did not stop within " << kStopLimit.count() << " s";
  kill9();
  return false;
}

void RealDaemon::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RealDaemon::set_enabled(bool enabled) {
  write_config(enabled);
  if (pid_ > 0) ::kill(pid_, SIGHUP);
}

std::string RealDaemon::log() const {
  std::ifstream in(log_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
