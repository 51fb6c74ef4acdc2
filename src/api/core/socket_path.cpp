#include "core/socket_path.hpp"

#include <unistd.h>

#include <cstdlib>

namespace peerdist::api {
namespace {

constexpr const char* kSocketEnv = "PEERDIST_SOCKET";
constexpr const char* kRootSocket = "/run/peerdist/peerdistd.sock";
constexpr const char* kUserSocketName = "/peerdist/peerdistd.sock";

std::string env(const char* name) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read-only use; the library never sets variables.
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::string daemon_socket_path() {
  if (std::string path = env(kSocketEnv); !path.empty()) return path;
  const uid_t uid = ::geteuid();
  if (uid == 0) return kRootSocket;
  std::string runtime = env("XDG_RUNTIME_DIR");
  if (runtime.empty()) runtime = "/run/user/" + std::to_string(uid);
  return runtime + kUserSocketName;
}

}  // namespace peerdist::api
