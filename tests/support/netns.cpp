#include "support/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): kill
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace peerdist::test {
namespace {

// Capability bits of /proc/self/status CapEff (linux/capability.h).
constexpr int kCapNetAdmin = 12;
constexpr int kCapSysAdmin = 21;
constexpr const char* kNetnsDirectory = "/run/netns";

std::string ip_binary() {
  for (const char* candidate : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return {};
}

std::uint64_t effective_capabilities() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  return 0;
}

ProcessResult run_ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{ip_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {}, std::chrono::seconds(60));
}

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

std::string sanitized(std::string_view label) {
  std::string out;
  for (const char c : label) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '-';
  }
  return out;
}

void remove_stale_once() {
  static std::once_flag once;
  std::call_once(once, remove_stale_namespaces);
}

}  // namespace

std::string netns_unavailable_reason() {
  if (::geteuid() != 0) return "network namespace tests need root (run the tests as root)";
  const std::uint64_t caps = effective_capabilities();
  if ((caps & (std::uint64_t{1} << kCapSysAdmin)) == 0 ||
      (caps & (std::uint64_t{1} << kCapNetAdmin)) == 0) {
    return "network namespace tests need CAP_SYS_ADMIN and CAP_NET_ADMIN";
  }
  if (ip_binary().empty()) return "network namespace tests need iproute2's ip";
  return {};
}

void remove_stale_namespaces() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kNetnsDirectory, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kNetnsPrefix, 0) != 0) continue;
    const std::string rest = name.substr(kNetnsPrefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0) continue;
    pid_t pid = 0;
    try {
      pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    } catch (const std::exception&) {
      continue;
    }
    if (pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // its process still runs
    (void)run_ip({"netns", "del", name});
  }
}

NetworkNamespace::NetworkNamespace(std::string_view label) {
  static std::atomic<unsigned> counter{0};
  remove_stale_once();
  name_ = std::string(kNetnsPrefix) + std::to_string(::getpid()) + "-" +
          std::to_string(counter.fetch_add(1)) + "-" + sanitized(label);
  const ProcessResult result = run_ip({"netns", "add", name_});
  valid_ = result.exit_code == 0;
  if (!valid_) ADD_FAILURE() << "ip netns add " << name_ << ": " << result.err;
}

NetworkNamespace::~NetworkNamespace() {
  if (!valid_) return;
  const ProcessResult result = run_ip({"netns", "del", name_});
  if (result.exit_code != 0) ADD_FAILURE() << "ip netns del " << name_ << ": " << result.err;
}

ProcessResult NetworkNamespace::exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> args{"netns", "exec", name_};
  args.insert(args.end(), argv.begin(), argv.end());
  return run_ip(args);
}

bool NetworkNamespace::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> all{"-n", name_};
  all.insert(all.end(), args.begin(), args.end());
  const ProcessResult result = run_ip(all);
  if (result.exit_code != 0) {
    ADD_FAILURE() << "ip " << joined(all) << ": " << result.err;
    return false;
  }
  return true;
}

bool NetworkNamespace::sysctl(const std::string& key, const std::string& value) const {
  const ProcessResult result = exec({"sysctl", "-q", "-w", key + "=" + value});
  if (result.exit_code != 0) {
    ADD_FAILURE() << "sysctl " << key << " in " << name_ << ": " << result.err;
    return false;
  }
  return true;
}

bool NetworkNamespace::set_up_loopback_multicast() const {
  return ip({"link", "set", "lo", "up"}) && ip({"link", "set", "lo", "multicast", "on"}) &&
         ip({"route", "add", "224.0.0.0/4", "dev", "lo"}) &&
         ip({"-6", "route", "add", "multicast", "ff00::/8", "dev", "lo", "table", "local"});
}

EnterNamespace::EnterNamespace(const NetworkNamespace& ns)
    : original_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {  // NOLINT
  const std::string path = std::string(kNetnsDirectory) + "/" + ns.name();
  const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // NOLINT
  if (original_ >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0) {
    entered_ = true;
  } else {
    ADD_FAILURE() << "cannot enter network namespace " << ns.name() << ": errno " << errno;
  }
  if (target >= 0) ::close(target);
}

EnterNamespace::~EnterNamespace() {
  if (entered_ && ::setns(original_, CLONE_NEWNET) != 0) {
    ADD_FAILURE() << "cannot return to the original network namespace: errno " << errno;
  }
  if (original_ >= 0) ::close(original_);
}

BridgedNetwork::BridgedNetwork(std::size_t hosts, unsigned subnet) : subnet_(subnet) {
  hub_ = std::make_unique<NetworkNamespace>("hub");
  if (!hub_->valid()) return;
  if (!hub_->ip({"link", "add", "br0", "type", "bridge", "mcast_snooping", "0"}) ||
      !hub_->ip({"link", "set", "br0", "up"})) {
    return;
  }
  for (std::size_t i = 0; i < hosts; ++i) {
    auto host = std::make_unique<NetworkNamespace>("host" + std::to_string(i));
    if (!host->valid()) return;
    // Addresses made after this are usable at once (no tentative phase of ~1 s).
    if (!host->sysctl("net.ipv6.conf.default.accept_dad", "0") ||
        !host->sysctl("net.ipv6.conf.all.accept_dad", "0")) {
      return;
    }
    const std::string port = "p" + std::to_string(i);
    if (!hub_->ip({"link", "add", port, "type", "veth", "peer", "name", kInterface, "netns",
                   host->name()}) ||
        !hub_->ip({"link", "set", port, "master", "br0", "up"}) ||
        !host->ip({"addr", "add", address(i) + "/24", "dev", kInterface}) ||
        !host->ip({"link", "set", kInterface, "up"}) || !host->ip({"link", "set", "lo", "up"})) {
      return;
    }
    hosts_.push_back(std::move(host));
  }
  valid_ = true;
}

BridgedNetwork::~BridgedNetwork() {
  // Hosts first: their veth ends go with them, then the bridge with the hub.
  hosts_.clear();
  hub_.reset();
}

std::string BridgedNetwork::address(std::size_t i) const {
  return "10." + std::to_string(subnet_) + ".0." + std::to_string(i + 1);
}

}  // namespace peerdist::test
