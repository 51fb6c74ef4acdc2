// A PublicationService on a temporary catalog, driven from the test's own thread: the test
// thread runs the io_context, so it is the service's network thread, and every wait for a
// reply is bounded.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "peerdist.h"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/service/publication_service.hpp"
#include "support/temp_dir.hpp"

namespace peerdist::service::test {

// Bounds every wait; generous, since the tests share a small machine with builds.
inline constexpr std::chrono::seconds kWaitLimit{60};

// A reply slot: filled by the handler the test passes.
struct Slot {
  std::optional<Reply> reply;
  int calls = 0;
  [[nodiscard]] ReplyHandler handler() {
    return [this](Reply r) {
      ++calls;
      // Result.data in one piece, as the client receives it.
      r.data = r.all_data();
      r.pieces.clear();
      reply = std::move(r);
    };
  }
};

// Records the order in which replies arrive, by a label.
struct Journal {
  std::vector<std::pair<std::string, Reply>> entries;
  [[nodiscard]] ReplyHandler handler(std::string label) {
    return [this, label = std::move(label)](Reply r) { entries.emplace_back(label, std::move(r)); };
  }
  [[nodiscard]] std::vector<std::string> labels() const {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.first);
    return out;
  }
};

struct Client {
  std::shared_ptr<Instance> instance;
  std::vector<ServiceStatus> statuses;  // StatusChanged, as a session would send them
};

class ServiceFixture : public ::testing::Test {
 protected:
  static std::vector<std::uint8_t> secret_key() { return std::vector<std::uint8_t>(32, 0x5A); }

  void SetUp() override { open(); }
  void TearDown() override { close(); }

  void open(ServiceOptions options = default_options()) {
    StartupReport report;
    auto service = PublicationService::open(io.get_executor(), catalog_file(),
                                            pccrc::ServerSecret(secret_key()), options, &report);
    ASSERT_TRUE(service) << service.error();
    service_ = std::move(*service);
    startup = report;
  }
  // Ends every client, then the service (joining its threads): a restart of the daemon.
  void close() {
    for (auto& client : clients_) {
      if (client->instance) {
        client->instance->end();
        client->instance.reset();
      }
    }
    clients_.clear();
    drain();
    if (service_) {
      service_->join();
      service_.reset();
    }
  }
  void restart(ServiceOptions options = default_options()) {
    close();
    open(options);
  }

  static ServiceOptions default_options() {
    ServiceOptions options;
    // One hashing thread per builder and two feeders: enough for every path, light on a
    // shared build machine.
    options.builder_threads = 1;
    options.feed_threads = 2;
    return options;
  }

  [[nodiscard]] std::filesystem::path catalog_file() const {
    return dir.path() / PublicationService::kCatalogFileName;
  }

  Client& client(std::uint32_t uid, std::shared_ptr<const ipc::SharedBuffer> shared = nullptr) {
    auto c = std::make_unique<Client>();
    Client* raw = c.get();
    c->instance = service_->create_instance(
        uid, std::move(shared), [raw](const ServiceStatus& s) { raw->statuses.push_back(s); });
    clients_.push_back(std::move(c));
    return *raw;
  }

  // Runs the io_context until `done` holds; fails the test if it does not in time.
  template <class Pred>
  bool run_until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "timed out";
        return false;
      }
      io.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  // Runs what is ready now and what it leads to, until the service is quiet for a moment.
  void drain() {
    for (int idle = 0; idle < 5;) {
      idle = io.poll() == 0 ? idle + 1 : 0;
      if (idle > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // Calls `start` with a handler and waits for its reply.
  template <class Start>
  Reply call(Start start) {
    Slot slot;
    start(slot.handler());
    run_until([&] { return slot.reply.has_value(); });
    EXPECT_EQ(slot.calls, 1);
    return slot.reply.value_or(Reply::failure(0xFFFFFFFF));
  }

  // ----- Requests, each waited for.
  Reply publish(Client& c, const std::vector<std::uint8_t>& id, std::uint64_t length = 0,
                std::uint32_t flags = 0, std::uint32_t options_version = 2) {
    ipc::PublishStream m;
    m.content_id = id;
    m.content_length = length;
    m.options_version = flags == 0 ? options_version : 2;
    m.options_flags = flags;
    return call([&](ReplyHandler h) { c.instance->publish_stream(m, std::move(h)); });
  }
  Reply add(Client& c, std::uint64_t stream, std::vector<std::uint8_t> bytes,
            bool last_piece = true) {
    ipc::AddToStream m;
    m.stream = stream;
    m.last_piece = last_piece;
    m.data = ipc::InlineData{std::move(bytes)};
    return call([&](ReplyHandler h) {
      c.instance->add_to_stream(next_request++, std::move(m), std::move(h));
    });
  }
  Reply complete(Client& c, std::uint64_t stream) {
    return call([&](ReplyHandler h) {
      c.instance->complete_stream(next_request++, stream, std::move(h));
    });
  }
  Reply close_stream(Client& c, std::uint64_t stream) {
    return call([&](ReplyHandler h) { c.instance->close_stream(stream, std::move(h)); });
  }
  Reply unpublish(Client& c, const std::vector<std::uint8_t>& id) {
    return call([&](ReplyHandler h) { c.instance->unpublish(id, std::move(h)); });
  }
  Reply open_ci(Client& c, const std::vector<std::uint8_t>& id, std::uint64_t offset = 0,
                std::uint64_t length = 0, std::uint32_t min_version = 0,
                std::uint32_t max_version = 0) {
    ipc::OpenContentInformation m{id, offset, length, min_version, max_version};
    return call([&](ReplyHandler h) { c.instance->open_content_information(m, std::move(h)); });
  }
  Reply retrieve(Client& c, std::uint64_t handle, std::uint32_t max_bytes) {
    return call([&](ReplyHandler h) {
      c.instance->retrieve_content_information(handle, max_bytes, std::move(h));
    });
  }
  Reply shutdown(Client& c) {
    return call([&](ReplyHandler h) { c.instance->shutdown(std::move(h)); });
  }

  // Publishes `content` whole and returns the stream id (0 on failure, with a test failure).
  std::uint64_t publish_all(Client& c, const std::vector<std::uint8_t>& id,
                            const std::vector<std::uint8_t>& content, std::uint32_t flags = 0) {
    Reply opened = publish(c, id, content.size(), flags);
    EXPECT_EQ(opened.status, ERROR_SUCCESS);
    if (!opened.ok()) return 0;
    EXPECT_EQ(add(c, opened.value, content).status, ERROR_SUCCESS);
    EXPECT_EQ(complete(c, opened.value).status, ERROR_SUCCESS);
    return opened.value;
  }
  // Opens and reads a whole CI in pieces of `piece` bytes, checking the positions.
  std::vector<std::uint8_t> read_ci(Client& c, const std::vector<std::uint8_t>& id,
                                    std::uint64_t offset = 0, std::uint64_t length = 0,
                                    std::uint32_t min_version = 0, std::uint32_t max_version = 0,
                                    std::uint32_t piece = 1000) {
    Reply opened = open_ci(c, id, offset, length, min_version, max_version);
    EXPECT_EQ(opened.status, ERROR_SUCCESS);
    if (!opened.ok()) return {};
    std::vector<std::uint8_t> out;
    for (;;) {
      Reply r = retrieve(c, opened.value, piece);
      if (r.status == PEERDIST_ERROR_NO_MORE) break;
      EXPECT_EQ(r.status, ERROR_SUCCESS);
      if (!r.ok()) break;
      EXPECT_EQ(r.value, out.size());
      EXPECT_EQ(r.bytes, r.data.size());
      EXPECT_LE(r.data.size(), piece);
      out.insert(out.end(), r.data.begin(), r.data.end());
    }
    return out;
  }

  // The CI a single-threaded builder makes of `content` with the test secret.
  static pccrc::ContentInformation reference_ci(const std::vector<std::uint8_t>& content,
                                                pccrc::Version version) {
    pccrc::BuildOptions options;
    options.scheme = version == pccrc::Version::v2 ? pccrc::HashScheme::v2() : pccrc::HashScheme{};
    options.threads = 1;
    pccrc::ContentInformationBuilder builder(pccrc::ServerSecret(secret_key()), options);
    builder.add(content);
    auto ci = builder.finish();
    EXPECT_TRUE(ci);
    return std::move(*ci);
  }
  static std::vector<std::uint8_t> reference(const std::vector<std::uint8_t>& content,
                                             pccrc::Version version) {
    return pccrc::encode(reference_ci(content, version));
  }

  peerdist::test::TempDir dir;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
      io.get_executor()};
  std::unique_ptr<PublicationService> service_;
  StartupReport startup;
  std::uint64_t next_request = 1;
  // Replies of operations left pending by a test body: a fixture member, so that handlers
  // called when TearDown ends the clients still find it.
  Journal journal;

 private:
  std::vector<std::unique_ptr<Client>> clients_;
};

inline std::vector<std::uint8_t> id_of(std::string_view text) {
  return {text.begin(), text.end()};
}

}  // namespace peerdist::service::test
