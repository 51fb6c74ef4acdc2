// Scaffolding of the discovery tests: a Host is a thread inside a network namespace the test
// made, running an io_context, so that the responders and probers made on it (and the
// interface lists they read) live in that namespace. HeldSegments is a SegmentSource whose
// answers the test sets directly.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "peerdist/net/discovery_prober.hpp"
#include "peerdist/net/discovery_responder.hpp"
#include "peerdist/net/segment_source.hpp"

#include "support/netns.hpp"

namespace peerdist::net::test {

// How long a test waits for something that should happen at once: generous, it only bounds a
// failing test. No test asserts how long anything took.
inline constexpr std::chrono::seconds kDeadline{30};

class Host {
 public:
  explicit Host(const peerdist::test::NetworkNamespace& ns) {
    std::promise<bool> entered;
    auto entered_future = entered.get_future();
    thread_ = std::thread([this, &ns, &entered] {
      const peerdist::test::EnterNamespace enter(ns);
      entered.set_value(enter.entered());
      if (enter.entered()) io_.run();
    });
    ok_ = entered_future.get();
  }
  ~Host() {
    try {
      if (ok_) {
        run([this] {
          // Newest first: a prober may refer to the responder's DiscoveryOwnProbes, a responder
          // to its SegmentSource.
          while (!owned_.empty()) owned_.pop_back();
        });
      }
    } catch (...) {
      ADD_FAILURE() << "destroying the host's objects threw";
    }
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;
  Host(Host&&) = delete;
  Host& operator=(Host&&) = delete;

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] boost::asio::any_io_executor executor() { return io_.get_executor(); }

  // Runs f on the host's thread and returns its result.
  template <class F>
  auto run(F f) -> std::invoke_result_t<F&> {
    std::packaged_task<std::invoke_result_t<F&>()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Makes a T on the host's thread, kept (and destroyed on that thread) by the host.
  template <class T, class... Args>
  T& make(Args&&... args) {
    return *run([&]() -> T* {
      auto object = std::make_shared<T>(std::forward<Args>(args)...);
      owned_.push_back(object);
      return object.get();
    });
  }

  // Polls `predicate` on the host's thread until it holds or kDeadline passes.
  bool eventually(const std::function<bool()>& predicate) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      if (run([&] { return predicate(); })) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

 private:
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::vector<std::shared_ptr<void>> owned_;
  std::thread thread_;
  bool ok_ = false;
};

class HeldSegments final : public SegmentSource {
 public:
  explicit HeldSegments(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  void hold(const crypto::Digest& id, std::uint32_t block_count, std::uint32_t present,
            std::chrono::seconds age = {}) {
    SegmentHoldings h;
    h.block_count = block_count;
    h.present.assign(block_count, false);
    for (std::uint32_t i = 0; i < present && i < block_count; ++i) h.present[i] = true;
    h.present_count = present;
    h.age = age;
    const std::lock_guard lock(mutex_);
    held_[id.hex()] = h;
  }
  [[nodiscard]] std::size_t calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }

  void holdings(std::vector<crypto::Digest> segment_ids, HoldingsHandler handler) override {
    std::vector<std::optional<SegmentHoldings>> answers;
    {
      const std::lock_guard lock(mutex_);
      ++calls_;
      for (const auto& id : segment_ids) {
        const auto it = held_.find(id.hex());
        answers.push_back(it == held_.end() ? std::nullopt : std::optional(it->second));
      }
    }
    // As the service does: the answer comes later, on the network executor.
    boost::asio::post(executor_, [handler = std::move(handler), answers = std::move(answers)] {
      handler(answers);
    });
  }
  void read_block(const crypto::Digest& /*segment_id*/, pccrc::BlockIndex /*index*/,
                  BlockHandler handler) override {
    boost::asio::post(executor_, [handler = std::move(handler)] { handler(std::nullopt); });
  }

 private:
  boost::asio::any_io_executor executor_;
  mutable std::mutex mutex_;
  std::map<std::string, SegmentHoldings> held_;
  std::size_t calls_ = 0;
};

// A 32-byte segment ID made of one repeated byte.
inline crypto::Digest segment_id(std::uint8_t fill) {
  const std::vector<std::uint8_t> bytes(32, fill);
  return crypto::Digest(bytes);
}

// The random delays made deterministic: always the shortest allowed.
inline DelayPicker shortest_delay() {
  return [](std::chrono::milliseconds min, std::chrono::milliseconds /*max*/) { return min; };
}

struct ProbeOutcome {
  std::vector<PeerOffer> offers;
  ProbeSummary summary;
};

// Probes on the host and waits for on_done; nullopt (and a test failure) past the deadline.
inline std::optional<ProbeOutcome> probe_and_wait(Host& host, DiscoveryProber& prober,
                                                  wire::pccrd::Version version,
                                                  std::vector<crypto::Digest> ids) {
  auto outcome = std::make_shared<ProbeOutcome>();
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  host.run([&] {
    return prober.probe(
        version, std::move(ids),
        [outcome](PeerOffer offer) { outcome->offers.push_back(std::move(offer)); },
        [outcome, done](ProbeSummary summary) {
          outcome->summary = summary;
          done->set_value();
        });
  });
  if (finished.wait_for(kDeadline) != std::future_status::ready) {
    ADD_FAILURE() << "the probe round did not end";
    return std::nullopt;
  }
  return *outcome;
}

// A plain UDP socket made inside a namespace (the calling thread enters it only to make the
// socket): how a test sends datagrams by hand, as iPXE or a hostile host would.
class RawUdp {
 public:
  // Bound to `local` (an address literal of either family) and an ephemeral port.
  RawUdp(const peerdist::test::NetworkNamespace& ns, const std::string& local)
      : v6_(local.find(':') != std::string::npos) {
    const peerdist::test::EnterNamespace enter(ns);
    fd_ = ::socket(v6_ ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_storage address{};
    socklen_t length = fill(local, 0, address);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      ADD_FAILURE() << "cannot bind a UDP socket to " << local;
      return;
    }
    length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(v6_ ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  ~RawUdp() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawUdp(const RawUdp&) = delete;
  RawUdp& operator=(const RawUdp&) = delete;
  RawUdp(RawUdp&&) = delete;
  RawUdp& operator=(RawUdp&&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  bool send_to(const std::string& bytes, const std::string& address, std::uint16_t port) {
    sockaddr_storage to{};
    const socklen_t length = fill(address, port, to);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), length) ==
           static_cast<ssize_t>(bytes.size());
  }
  // The next datagram, waiting up to kDeadline; nullopt if none came.
  std::optional<std::string> receive() { return receive_within(kDeadline); }
  // A datagram already waiting, if any.
  std::optional<std::string> receive_now() { return receive_within(std::chrono::seconds(0)); }

 private:
  socklen_t fill(const std::string& address, std::uint16_t port, sockaddr_storage& out) const {
    if (v6_) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(port);
      ::inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr);
      return sizeof(sockaddr_in6);
    }
    auto* in = reinterpret_cast<sockaddr_in*>(&out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    ::inet_pton(AF_INET, address.c_str(), &in->sin_addr);
    return sizeof(sockaddr_in);
  }
  [[nodiscard]] std::optional<std::string> receive_within(std::chrono::seconds wait) const {
    timeval timeout{static_cast<time_t>(wait.count()), wait.count() == 0 ? 1 : 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string buffer(65536, '\0');
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }

  int fd_ = -1;
  bool v6_ = false;
  std::uint16_t port_ = 0;
};

// Discovery on lo inside a namespace of the test's own, multicast enabled on it.
class LoopbackDiscoveryTest : public ::testing::Test {
 public:
  static constexpr std::uint16_t kPccrrPort = 8080;

 protected:
  // The prober's collection window in tests: longer than kClientWait, so that a loaded
  // machine (sanitizers, parallel tests) does not lose matches; it bounds no assertion.
  static constexpr std::chrono::milliseconds kWait{1000};

  void SetUp() override {
    if (const std::string reason = peerdist::test::netns_unavailable_reason(); !reason.empty()) {
      GTEST_SKIP() << reason;
    }
    ns_ = std::make_unique<peerdist::test::NetworkNamespace>("lo");
    ASSERT_TRUE(ns_->valid());
    ASSERT_TRUE(ns_->set_up_loopback_multicast());
    host_ = std::make_unique<Host>(*ns_);
    ASSERT_TRUE(host_->ok());
  }
  void TearDown() override {
    host_.reset();
    ns_.reset();
  }

  static DiscoveryResponderOptions responder_options() {
    DiscoveryResponderOptions options;
    options.interfaces = {"lo"};
    options.pccrr_port = kPccrrPort;
    options.delay = shortest_delay();
    return options;
  }
  static DiscoveryProberOptions prober_options() {
    DiscoveryProberOptions options;
    options.interfaces = {"lo"};
    options.wait = kWait;
    options.delay = shortest_delay();
    return options;
  }

  HeldSegments& segments() { return host_->make<HeldSegments>(host_->executor()); }
  DiscoveryResponder& responder(HeldSegments& held, DiscoveryResponderOptions options) {
    auto& r = host_->make<DiscoveryResponder>(host_->executor(), held, std::move(options));
    const auto started = host_->run([&] { return r.start(); });
    EXPECT_TRUE(started.has_value()) << (started ? "" : started.error());
    return r;
  }
  DiscoveryResponder& responder(HeldSegments& held) { return responder(held, responder_options()); }
  DiscoveryProber& prober(DiscoveryProberOptions options) {
    auto& p = host_->make<DiscoveryProber>(host_->executor(), std::move(options));
    const auto started = host_->run([&] { return p.start(); });
    EXPECT_TRUE(started.has_value()) << (started ? "" : started.error());
    return p;
  }
  DiscoveryProber& prober() { return prober(prober_options()); }
  DiscoveryResponderCounters counters(DiscoveryResponder& r) {
    return host_->run([&] { return r.counters(); });
  }

  [[nodiscard]] const peerdist::test::NetworkNamespace& ns() const { return *ns_; }
  [[nodiscard]] Host& host() { return *host_; }

  // Protected for the fixtures built on this one (peer_discovery_finder_test uses them).
  std::unique_ptr<peerdist::test::NetworkNamespace>
      ns_;                      // NOLINT(cppcoreguidelines-non-private-member-variables-in-classes)
  std::unique_ptr<Host> host_;  // NOLINT(cppcoreguidelines-non-private-member-variables-in-classes)
};

}  // namespace peerdist::net::test
