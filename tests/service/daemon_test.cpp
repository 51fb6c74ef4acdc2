// The real peerdistd binary on a temporary state directory and socket, spoken to with a raw
// protocol client: start-up, publishing through shared memory and inline data, reload,
// refusals, clean stop, protocol violations and a crash.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "daemon_process.hpp"
#include "peerdist.h"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/util/hex.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"
#include "test_client.hpp"

namespace peerdist::service::test {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kStartLimit = 30s;
constexpr std::chrono::milliseconds kStopLimit = 30s;

std::vector<std::uint8_t> key() { return std::vector<std::uint8_t>(32, 0x3C); }

std::vector<std::uint8_t> reference(const std::vector<std::uint8_t>& content,
                                    pccrc::Version version) {
  pccrc::BuildOptions options;
  options.scheme = version == pccrc::Version::v2 ? pccrc::HashScheme::v2() : pccrc::HashScheme{};
  options.threads = 1;
  pccrc::ContentInformationBuilder builder(pccrc::ServerSecret(key()), options);
  builder.add(content);
  auto ci = builder.finish();
  EXPECT_TRUE(ci);
  return ci ? pccrc::encode(*ci) : std::vector<std::uint8_t>{};
}

std::vector<std::uint8_t> id_of(std::string_view text) { return {text.begin(), text.end()}; }

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = dir_.path() / "run" / "peerdistd.sock";
    state_ = dir_.path() / "state";
    config_ = dir_.path() / "peerdistd.toml";
    write_config(true);
  }
  void TearDown() override {
    for (auto& daemon : daemons_) {
      if (daemon->started() && !daemon->exited()) {
        // Every daemon a test leaves running must stop cleanly (under the sanitizers, a leak
        // or an error at exit shows here as a non-zero code).
        daemon->signal(SIGTERM);
        auto code = daemon->wait_exit(kStopLimit);
        if (!code) {
          ADD_FAILURE() << "peerdistd did not stop on SIGTERM\n" << daemon->log();
          daemon->signal(SIGKILL);
          daemon->wait_exit(kStopLimit);
        } else {
          EXPECT_EQ(*code, 0) << daemon->log();
        }
      }
    }
  }

  void write_config(bool enabled) {
    std::ofstream out(config_);
    out << "enabled = " << (enabled ? "true" : "false") << "\n"
        << "log_level = \"debug\"\n"
        << "[secret]\nkey_hex = \"" << util::to_hex(key()) << "\"\n"
        // Distributed mode on loopback only, on a port the system picks, without discovery:
        // parallel tests must not collide on a port nor find each other's daemons.
        << "[distributed]\nport = 0\nlisten = [\"127.0.0.1\"]\ndiscovery = false\n";
  }

  DaemonProcess& start(const std::filesystem::path& state, const std::filesystem::path& socket,
                       bool wait = true) {
    const auto log = dir_.path() / ("daemon" + std::to_string(daemons_.size()) + ".log");
    daemons_.push_back(std::make_unique<DaemonProcess>(
        std::vector<std::string>{PEERDISTD, "--foreground", "--config", config_.string(),
                                 "--state-dir", state.string(), "--socket", socket.string()},
        log));
    DaemonProcess& daemon = *daemons_.back();
    if (wait) {
      EXPECT_TRUE(wait_for_socket(socket, daemon, kStartLimit)) << daemon.log();
    }
    return daemon;
  }
  DaemonProcess& start() { return start(state_, socket_); }

  std::unique_ptr<TestClient> connect_hello(const ipc::SharedBuffer* buffer = nullptr) {
    auto client = TestClient::connect(socket_);
    if (!client) return nullptr;
    const ipc::HelloReply reply = client->hello(buffer);
    EXPECT_EQ(reply.status, ERROR_SUCCESS);
    return client;
  }

  // Publishes `content` inline in one call; returns the stream id.
  static std::uint64_t publish(TestClient& c, std::string_view id,
                               const std::vector<std::uint8_t>& content, std::uint32_t flags,
                               bool complete = true) {
    ipc::Result opened = c.request(ipc::PublishStream{id_of(id), content.size(), 2, flags});
    EXPECT_EQ(opened.status, ERROR_SUCCESS);
    ipc::Result added = c.request(ipc::AddToStream{opened.value, true, ipc::InlineData{content}});
    EXPECT_EQ(added.status, ERROR_SUCCESS);
    if (complete) {
      EXPECT_EQ(c.request(ipc::CompleteStream{opened.value}).status, ERROR_SUCCESS);
    }
    return opened.value;
  }

  static std::vector<std::uint8_t> read_ci(TestClient& c, std::string_view id,
                                           std::uint32_t min_version, std::uint32_t max_version,
                                           std::uint32_t* status = nullptr) {
    ipc::Result opened =
        c.request(ipc::OpenContentInformation{id_of(id), 0, 0, min_version, max_version});
    if (status != nullptr) *status = opened.status;
    if (opened.status != ERROR_SUCCESS) return {};
    std::vector<std::uint8_t> out;
    for (;;) {
      ipc::Result piece = c.request(ipc::RetrieveContentInformation{opened.value, 64 * 1024});
      if (piece.status == PEERDIST_ERROR_NO_MORE) break;
      EXPECT_EQ(piece.status, ERROR_SUCCESS);
      if (piece.status != ERROR_SUCCESS) break;
      EXPECT_EQ(piece.value, out.size());
      out.insert(out.end(), piece.data.begin(), piece.data.end());
    }
    EXPECT_EQ(c.request(ipc::CloseContentInformation{opened.value}).status, ERROR_SUCCESS);
    return out;
  }

  peerdist::test::TempDir dir_;
  std::filesystem::path socket_;
  std::filesystem::path state_;
  std::filesystem::path config_;
  std::vector<std::unique_ptr<DaemonProcess>> daemons_;
};

TEST_F(DaemonTest, HelloAndStatus) {
  DaemonProcess& daemon = start();
  auto client = TestClient::connect(socket_);
  ASSERT_TRUE(client);
  const ipc::HelloReply reply = client->hello();
  EXPECT_EQ(reply.status, ERROR_SUCCESS);
  EXPECT_EQ(reply.protocol, 1U);
  EXPECT_EQ(reply.api_version, PEERDIST_VERSION);
  EXPECT_EQ(reply.service_status, PEERDIST_STATUS_AVAILABLE);
  EXPECT_EQ(reply.min_ci_version, 1U);
  EXPECT_EQ(reply.max_ci_version, 2U);
  EXPECT_EQ(reply.service_version.rfind("peerdistd ", 0), 0U);
  ipc::Result status = client->request(ipc::GetStatus{});
  EXPECT_EQ(status.status, ERROR_SUCCESS);
  EXPECT_EQ(status.value, PEERDIST_STATUS_AVAILABLE);
  // The socket is for everyone, the state for the daemon's user only.
  struct stat st {};
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0666U);
  ASSERT_EQ(::stat(state_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0700U);
  // What it listens on, the state directory and the status are in the log.
  const std::string log = daemon.log();
  EXPECT_NE(log.find(socket_.string()), std::string::npos) << log;
  EXPECT_NE(log.find(state_.string()), std::string::npos) << log;
  EXPECT_NE(log.find("status available"), std::string::npos) << log;
}

TEST_F(DaemonTest, HelloWithAnUnsupportedApiVersionIsRefusedAndClosed) {
  start();
  auto client = TestClient::connect(socket_);
  ASSERT_TRUE(client);
  ipc::Hello hello{1, 1, 3, 0, 0};  // API major 3
  ASSERT_TRUE(client->send(1, hello));
  auto frame = client->receive();
  ASSERT_TRUE(frame);
  auto reply = ipc::decode(*frame);
  ASSERT_TRUE(reply);
  EXPECT_EQ(std::get<ipc::HelloReply>(*reply).status, PEERDIST_ERROR_VERSION_UNSUPPORTED);
  EXPECT_TRUE(client->wait_closed());
}

TEST_F(DaemonTest, PublishThroughSharedMemoryAndInlineEqualsTheBuilder) {
  start();
  auto buffer = ipc::SharedBuffer::create(1 << 20);
  ASSERT_TRUE(buffer);
  auto client = connect_hello(&*buffer);
  ASSERT_TRUE(client);
  const auto content = peerdist::test::random_content(3'000'000, 11);
  ipc::Result opened = client->request(ipc::PublishStream{id_of("mixed"), content.size(), 2, 0});
  ASSERT_EQ(opened.status, ERROR_SUCCESS);
  // Calls alternate: a shared call in pieces of 256 KiB sent back to back (pipelined, as the
  // library does), then an inline call.
  std::size_t at = 0;
  bool shared = true;
  while (at < content.size()) {
    const std::size_t call = std::min<std::size_t>(shared ? 700'000 : 300'000, content.size() - at);
    std::vector<std::uint64_t> ids;
    if (shared) {
      for (std::size_t done = 0; done < call;) {
        const std::size_t n = std::min<std::size_t>(256 * 1024, call - done);
        auto span = buffer->writable_span(done, n);
        ASSERT_TRUE(span);
        std::copy_n(content.begin() + static_cast<std::ptrdiff_t>(at + done), n, span->begin());
        const std::uint64_t id = client->next_id();
        ipc::AddToStream piece{opened.value, done + n == call,
                               ipc::SharedData{done, static_cast<std::uint32_t>(n)}};
        ASSERT_TRUE(client->send(id, piece));
        ids.push_back(id);
        done += n;
      }
    } else {
      const std::uint64_t id = client->next_id();
      ipc::AddToStream piece{
          opened.value, true,
          ipc::InlineData{{content.begin() + static_cast<std::ptrdiff_t>(at),
                           content.begin() + static_cast<std::ptrdiff_t>(at + call)}}};
      ASSERT_TRUE(client->send(id, piece));
      ids.push_back(id);
    }
    for (std::uint64_t id : ids) {
      ipc::Result r = client->result_of(id);
      ASSERT_EQ(r.status, ERROR_SUCCESS);
    }
    at += call;
    shared = !shared;
  }
  ASSERT_EQ(client->request(ipc::CompleteStream{opened.value}).status, ERROR_SUCCESS);
  EXPECT_EQ(read_ci(*client, "mixed", 0, 0), reference(content, pccrc::Version::v2));
  EXPECT_EQ(read_ci(*client, "mixed", 1, 1), reference(content, pccrc::Version::v1));
  EXPECT_EQ(client->request(ipc::CloseStream{opened.value}).status, ERROR_SUCCESS);
  EXPECT_EQ(client->request(ipc::Shutdown{}).status, ERROR_SUCCESS);
  EXPECT_TRUE(client->wait_closed());
  // Not persistent: gone with its instance.
  auto other = connect_hello();
  ASSERT_TRUE(other);
  EXPECT_EQ(other->request(ipc::OpenContentInformation{id_of("mixed"), 0, 0, 0, 0}).status,
            ERROR_NOT_FOUND);
}

TEST_F(DaemonTest, FilePiecesTravelWithTheirDescriptors) {
  // AddFileToStream (docs/ipc.md "File pieces"): each frame sent whole with its file's
  // descriptor, back to back; the daemon pairs each with its frame and hashes the file in place.
  start();
  auto client = connect_hello();
  ASSERT_TRUE(client);
  const auto content = peerdist::test::random_content(20'000'000, 12);
  const std::string path = dir_.write("file.bin", content);
  const ipc::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));  // NOLINT
  ASSERT_TRUE(fd);
  ipc::Result opened = client->request(ipc::PublishStream{id_of("file"), content.size(), 2, 0});
  ASSERT_EQ(opened.status, ERROR_SUCCESS);
  std::vector<std::uint64_t> ids;
  for (std::uint64_t at = 0; at < content.size();) {
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(7'000'001, content.size() - at));
    const std::uint64_t id = client->next_id();
    ASSERT_TRUE(client->send(
        id, ipc::AddFileToStream{opened.value, at + n == content.size(), at, n}, fd.get()));
    ids.push_back(id);
    at += n;
  }
  for (const std::uint64_t id : ids) EXPECT_EQ(client->result_of(id).status, ERROR_SUCCESS);
  ASSERT_EQ(client->request(ipc::CompleteStream{opened.value}).status, ERROR_SUCCESS);
  EXPECT_EQ(read_ci(*client, "file", 1, 1), reference(content, pccrc::Version::v1));
  EXPECT_EQ(read_ci(*client, "file", 2, 2), reference(content, pccrc::Version::v2));

  // An AddFileToStream without its descriptor breaks the protocol; so does one sent in one
  // write with the frame after it (the descriptor then goes with that frame, the last one it
  // came with: a frame with a descriptor must be sent alone).
  auto no_fd = connect_hello();
  ASSERT_TRUE(no_fd);
  ASSERT_TRUE(no_fd->send(1, ipc::AddFileToStream{1, true, 0, 10}));
  EXPECT_TRUE(no_fd->wait_closed());
  auto glued = connect_hello();
  ASSERT_TRUE(glued);
  auto bytes = ipc::encode_frame(2, ipc::AddFileToStream{1, true, 0, 10});
  const auto second = ipc::encode_frame(3, ipc::GetStatus{});
  bytes.insert(bytes.end(), second.begin(), second.end());
  ASSERT_TRUE(glued->send_raw(bytes, fd.get()));
  EXPECT_TRUE(glued->wait_closed());
  // The first client is unaffected.
  EXPECT_EQ(client->request(ipc::GetStatus{}).status, ERROR_SUCCESS);
}

TEST_F(DaemonTest, SighupDisablesAndEnablesWithStatusChanged) {
  DaemonProcess& daemon = start();
  auto client = connect_hello();
  ASSERT_TRUE(client);
  const std::uint64_t stream = publish(*client, "s", {1, 2, 3}, 0, false);
  const std::uint64_t notification = client->next_id();
  ASSERT_TRUE(client->send(notification, ipc::RegisterStatusNotification{PEERDIST_STATUS_AVAILABLE}));
  // Make sure the registration is in before the reload (requests are handled in order).
  ASSERT_EQ(client->request(ipc::GetStatus{}).value, PEERDIST_STATUS_AVAILABLE);

  write_config(false);
  daemon.signal(SIGHUP);
  ipc::Result fired = client->result_of(notification);
  EXPECT_EQ(fired.status, ERROR_SUCCESS);
  EXPECT_EQ(fired.value, PEERDIST_STATUS_DISABLED);
  // StatusChanged came before the Result that reflects it (rule 6).
  ASSERT_EQ(client->status_changes.size(), 1U);
  EXPECT_EQ(client->status_changes[0].service_status, PEERDIST_STATUS_DISABLED);
  std::size_t changed_at = 0;
  std::size_t fired_at = 0;
  for (std::size_t i = 0; i < client->received.size(); ++i) {
    if (client->received[i].first == ipc::MessageType::status_changed) changed_at = i;
    if (client->received[i].second == notification) fired_at = i;
  }
  EXPECT_LT(changed_at, fired_at);
  EXPECT_EQ(client->request(ipc::GetStatus{}).value, PEERDIST_STATUS_DISABLED);
  EXPECT_EQ(client->request(ipc::AddToStream{stream, true, ipc::InlineData{{4}}}).status,
            PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(client->request(ipc::PublishStream{id_of("t"), 0, 2, 0}).status,
            ERROR_ACCESS_DISABLED_BY_POLICY);
  EXPECT_EQ(client->request(ipc::CloseStream{stream}).status, ERROR_SUCCESS);
  // A new connection learns the status from HelloReply.
  auto late = TestClient::connect(socket_);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->hello().service_status, PEERDIST_STATUS_DISABLED);

  write_config(true);
  daemon.signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + kStopLimit;
  while (client->status_changes.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    (void)client->request(ipc::GetStatus{});
  }
  ASSERT_EQ(client->status_changes.size(), 2U);
  EXPECT_EQ(client->status_changes[1].service_status, PEERDIST_STATUS_AVAILABLE);
  EXPECT_EQ(client->request(ipc::PublishStream{id_of("t"), 0, 2, 0}).status, ERROR_SUCCESS);
}

TEST_F(DaemonTest, ASecondInstanceOnTheStateDirectoryIsRefused) {
  DaemonProcess& first = start();
  DaemonProcess& second = start(state_, dir_.path() / "run" / "other.sock", false);
  auto code = second.wait_exit(kStopLimit);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  EXPECT_NE(second.log().find("pid " + std::to_string(first.pid())), std::string::npos)
      << second.log();
  // And a second daemon on the socket of a live one.
  DaemonProcess& third = start(dir_.path() / "state2", socket_, false);
  code = third.wait_exit(kStopLimit);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  EXPECT_NE(third.log().find("a running daemon is listening"), std::string::npos) << third.log();
  // The first still serves.
  EXPECT_TRUE(connect_hello());
}

TEST_F(DaemonTest, SigtermStopsCleanly) {
  DaemonProcess& daemon = start();
  auto client = connect_hello();
  ASSERT_TRUE(client);
  const std::uint64_t notification = client->next_id();
  ASSERT_TRUE(client->send(notification, ipc::RegisterStatusNotification{PEERDIST_STATUS_AVAILABLE}));
  ASSERT_EQ(client->request(ipc::GetStatus{}).status, ERROR_SUCCESS);
  daemon.signal(SIGTERM);
  // The client hears the service go, then the connection closes.
  ipc::Result fired = client->result_of(notification);
  EXPECT_EQ(fired.value, PEERDIST_STATUS_UNAVAILABLE);
  ASSERT_EQ(client->status_changes.size(), 1U);
  EXPECT_EQ(client->status_changes[0].service_status, PEERDIST_STATUS_UNAVAILABLE);
  EXPECT_TRUE(client->wait_closed());
  auto code = daemon.wait_exit(kStopLimit);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
  EXPECT_FALSE(std::filesystem::exists(socket_));
  EXPECT_NE(daemon.log().find("peerdistd stopped"), std::string::npos);
}

TEST_F(DaemonTest, AProtocolViolationClosesOnlyThatConnection) {
  DaemonProcess& daemon = start();
  auto good = connect_hello();
  ASSERT_TRUE(good);

  auto garbage = connect_hello();
  ASSERT_TRUE(garbage);
  const std::vector<std::uint8_t> junk(24, 0xAB);
  ASSERT_TRUE(garbage->send_raw(junk));
  EXPECT_TRUE(garbage->wait_closed());

  auto no_hello = TestClient::connect(socket_);
  ASSERT_TRUE(no_hello);
  ASSERT_TRUE(no_hello->send(1, ipc::GetStatus{}));
  EXPECT_TRUE(no_hello->wait_closed());

  auto daemon_type = connect_hello();
  ASSERT_TRUE(daemon_type);
  ASSERT_TRUE(daemon_type->send(5, ipc::Result{}));
  EXPECT_TRUE(daemon_type->wait_closed());

  auto stray_fd = connect_hello();
  ASSERT_TRUE(stray_fd);
  auto buffer = ipc::SharedBuffer::create(4096);
  ASSERT_TRUE(buffer);
  ASSERT_TRUE(stray_fd->send(6, ipc::GetStatus{}, buffer->fd()));
  EXPECT_TRUE(stray_fd->wait_closed());

  auto bad_payload = connect_hello();
  ASSERT_TRUE(bad_payload);
  auto frame = ipc::encode_frame(7, ipc::CloseStream{1});
  // A CloseStream whose payload has a trailing byte (payload_length is at offset 8).
  frame.push_back(0);
  frame[8] = static_cast<std::uint8_t>(frame[8] + 1);
  ASSERT_TRUE(bad_payload->send_raw(frame));
  EXPECT_TRUE(bad_payload->wait_closed());

  // Everyone else is fine.
  ipc::Result status = good->request(ipc::GetStatus{});
  EXPECT_EQ(status.status, ERROR_SUCCESS);
  EXPECT_TRUE(connect_hello());
  EXPECT_FALSE(daemon.exited());
  EXPECT_NE(daemon.log().find("protocol violation"), std::string::npos);
}

TEST_F(DaemonTest, KillDuringAPublicationLeavesOnlyCompletedPersistentOnes) {
  DaemonProcess& daemon = start();
  const auto content = peerdist::test::random_content(500'000, 3);
  auto a = connect_hello();
  ASSERT_TRUE(a);
  publish(*a, "kept", content, PEERDIST_PUBLICATION_FLAG_PERSISTENT);
  publish(*a, "temporary", content, 0);
  auto b = connect_hello();
  ASSERT_TRUE(b);
  publish(*b, "unfinished", content, PEERDIST_PUBLICATION_FLAG_PERSISTENT, false);

  daemon.signal(SIGKILL);
  ASSERT_TRUE(daemon.wait_exit(kStopLimit));
  EXPECT_TRUE(std::filesystem::exists(socket_));  // left behind: stale

  DaemonProcess& again = start();
  EXPECT_NE(again.log().find("removing stale socket"), std::string::npos) << again.log();
  auto c = connect_hello();
  ASSERT_TRUE(c);
  EXPECT_EQ(read_ci(*c, "kept", 0, 0), reference(content, pccrc::Version::v2));
  std::uint32_t status = 0;
  read_ci(*c, "temporary", 0, 0, &status);
  EXPECT_EQ(status, ERROR_NOT_FOUND);
  read_ci(*c, "unfinished", 0, 0, &status);
  EXPECT_EQ(status, ERROR_NOT_FOUND);
  EXPECT_EQ(c->request(ipc::PublishStream{id_of("unfinished"), 0, 2, 0}).status, ERROR_SUCCESS);
  EXPECT_NE(again.log().find("1 left by a previous run removed"), std::string::npos)
      << again.log();
}

TEST_F(DaemonTest, ServiceInfoDescribesTheDaemonAsJson) {
  DaemonProcess& daemon = start();
  auto client = connect_hello();
  ASSERT_TRUE(client);
  publish(*client, "kept", peerdist::test::random_content(100'000, 5),
          PEERDIST_PUBLICATION_FLAG_PERSISTENT);
  publish(*client, "temporary", {1, 2, 3}, 0);
  auto other = connect_hello();
  ASSERT_TRUE(other);
  ipc::Result result = other->request(ipc::ServiceInfo{});
  ASSERT_EQ(result.status, ERROR_SUCCESS);
  EXPECT_EQ(result.bytes, result.data.size());
  const auto info = nlohmann::json::parse(result.data.begin(), result.data.end(), nullptr, false);
  ASSERT_TRUE(info.is_object()) << std::string(result.data.begin(), result.data.end());
  EXPECT_TRUE(info["version"].is_string());
  EXPECT_EQ(info["pid"], daemon.pid());
  EXPECT_EQ(info["status"], "available");
  EXPECT_EQ(info["status_code"], PEERDIST_STATUS_AVAILABLE);
  EXPECT_EQ(info["enabled"], true);
  EXPECT_EQ(info["content_information_versions"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(info["socket"], socket_.string());
  EXPECT_EQ(info["state_dir"], state_.string());
  EXPECT_GE(info["uptime_seconds"].get<std::int64_t>(), 0);
  EXPECT_EQ(info["publications"], 2);
  EXPECT_EQ(info["persistent"], 1);
  EXPECT_GT(info["content_information_bytes"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(info["connections"], 2);
}

TEST_F(DaemonTest, ABadConfigurationIsAUsageError) {
  {
    std::ofstream out(config_);
    out << "enabled = true\n[limits]\nmax_conections = 3\n";
  }
  DaemonProcess& daemon = start(state_, socket_, false);
  auto code = daemon.wait_exit(kStopLimit);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  EXPECT_NE(daemon.log().find(":3: limits.max_conections: unknown key"), std::string::npos)
      << daemon.log();
}

}  // namespace
}  // namespace peerdist::service::test
