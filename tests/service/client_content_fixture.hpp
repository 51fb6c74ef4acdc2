// ClientContent on a real DataCache in a temporary directory, with its own cache thread,
// hashing pool and a FakePeerSource; the test's thread runs the io_context (the network
// thread), and every wait is bounded.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/range.hpp"
#include "peerdist/service/cache_executor.hpp"
#include "peerdist/service/client_content.hpp"

#include "fake_peer_source.hpp"
#include "peerdist.h"
#include "support/temp_dir.hpp"

namespace peerdist::service::test {

// Generous: the tests share a small machine with builds. Never asserted as a duration.
inline constexpr std::chrono::seconds kClientWaitLimit{60};
// A read timeout no test waits for: a read that completes did not time out.
inline constexpr std::uint32_t kLongTimeoutMs = 600'000;

inline std::vector<std::uint8_t> build_ci(std::span<const std::uint8_t> content,
                                          pccrc::Version version,
                                          std::optional<pccrc::ByteRange> range = std::nullopt);

class ClientContentFixture : public ::testing::Test {
 protected:
  void SetUp() override { open_cache(); }
  void TearDown() override {
    contents_.clear();
    drain();
    pool_.join();
    if (thread_) thread_->join();
  }

  void open_cache() {
    auto cache = store::DataCache::open(dir_.path() / "cache");
    ASSERT_TRUE(cache) << cache.error().message;
    thread_ = std::make_unique<CacheExecutor>(std::move(*cache));
    context_.executor = io_.get_executor();
    context_.hash_pool = &pool_;
    context_.cache = std::make_shared<CacheFront>(io_.get_executor(), *thread_);
    peers_ = std::make_shared<FakePeerSource>(io_.get_executor());
    context_.peers = peers_;
  }

  std::shared_ptr<ClientContent> open(std::uint8_t tag_byte = 1) {
    store::ContentTag tag{};
    tag.fill(tag_byte);
    auto content = std::make_shared<ClientContent>(
        context_, next_id_++, tag, [](const std::shared_ptr<PendingOperation>& op, Reply reply) {
          op->complete(std::move(reply));
        });
    contents_.push_back(content);
    return content;
  }

  template <class Pred>
  bool run_until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + kClientWaitLimit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "timed out";
        return false;
      }
      io_.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  void drain() {
    for (int idle = 0; idle < 5;) {
      idle = io_.poll() == 0 ? idle + 1 : 0;
      if (idle > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // An operation whose Result lands in `out`.
  struct Pending {
    std::shared_ptr<PendingOperation> op;
    std::shared_ptr<std::optional<Reply>> reply = std::make_shared<std::optional<Reply>>();
    std::shared_ptr<int> calls = std::make_shared<int>(0);
    [[nodiscard]] bool done() const { return reply->has_value(); }
  };
  Pending operation() {
    Pending p;
    p.op = std::make_shared<PendingOperation>(next_request_++, OperationKind::client_request, 0,
                                              [reply = p.reply, calls = p.calls](Reply r) {
                                                ++*calls;
                                                // Result.data in one piece, as sent.
                                                r.data = r.all_data();
                                                r.pieces.clear();
                                                *reply = std::move(r);
                                              });
    return p;
  }
  Reply wait(const Pending& p) {
    run_until([&] { return p.done(); });
    EXPECT_EQ(*p.calls, 1);
    return p.reply->value_or(Reply::failure(0xFFFFFFFF));
  }

  static ClientData data(std::span<const std::uint8_t> bytes) {
    auto owned = std::make_shared<const std::vector<std::uint8_t>>(bytes.begin(), bytes.end());
    const std::span<const std::uint8_t> view(*owned);
    return ClientData{std::move(owned), view};
  }

  // ----- Requests, each waited for.
  Reply add_ci(ClientContent& c, std::span<const std::uint8_t> bytes) {
    Pending p = operation();
    c.add_content_information(p.op, data(bytes));
    return wait(p);
  }
  Reply complete_ci(ClientContent& c) {
    Pending p = operation();
    c.complete_content_information(p.op);
    return wait(p);
  }
  // Adds the CI in two pieces and completes it; false (with a test failure) otherwise.
  bool ready(ClientContent& c, std::span<const std::uint8_t> ci) {
    const std::size_t half = ci.size() / 2;
    EXPECT_EQ(add_ci(c, ci.first(half)).status, ERROR_SUCCESS);
    EXPECT_EQ(add_ci(c, ci.subspan(half)).status, ERROR_SUCCESS);
    const Reply r = complete_ci(c);
    EXPECT_EQ(r.status, ERROR_SUCCESS);
    return r.ok() && c.state() == ClientContent::State::ready;
  }
  Reply add_data(ClientContent& c, std::uint64_t offset, std::span<const std::uint8_t> bytes) {
    Pending p = operation();
    c.add_data(p.op, offset, data(bytes));
    return wait(p);
  }
  Pending start_read(ClientContent& c, std::optional<std::uint64_t> offset, std::uint32_t max,
                     std::uint32_t timeout_ms) {
    Pending p = operation();
    c.read(p.op, offset, max, timeout_ms);
    return p;
  }
  Reply read(ClientContent& c, std::uint64_t offset, std::uint32_t max,
             std::uint32_t timeout_ms = PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY) {
    return wait(start_read(c, offset, max, timeout_ms));
  }
  Reply stream_read(ClientContent& c, std::uint32_t max,
                    std::uint32_t timeout_ms = PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY) {
    return wait(start_read(c, std::nullopt, max, timeout_ms));
  }

  // Whether the cache itself (not the pending blocks) holds the block: asked on its thread.
  bool cached(const BlockKey& key) {
    std::promise<bool> found;
    auto answer = found.get_future();
    thread_->post([&found, key](store::DataCache& cache) {
      auto bytes = cache.read_block(key.segment_id, key.index);
      found.set_value(bytes && bytes->has_value());
    });
    return answer.get();
  }
  // Waits for every put to be committed.
  void settle() {
    std::promise<void> done;
    auto finished = done.get_future();
    context_.cache->post_after_puts([&done](store::DataCache&) { done.set_value(); });
    run_until([&] {
      return finished.wait_for(std::chrono::seconds(0)) == std::future_status::ready &&
             context_.cache->pending()->empty();
    });
  }

  peerdist::test::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<CacheExecutor> thread_;
  ClientContext context_;
  std::shared_ptr<FakePeerSource> peers_;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_request_ = 1;
  std::vector<std::shared_ptr<ClientContent>> contents_;
};

inline std::vector<std::uint8_t> build_ci(std::span<const std::uint8_t> content,
                                          pccrc::Version version,
                                          std::optional<pccrc::ByteRange> range) {
  pccrc::BuildOptions options;
  options.scheme = version == pccrc::Version::v2 ? pccrc::HashScheme::v2() : pccrc::HashScheme{};
  options.threads = 1;
  pccrc::ContentInformationBuilder builder(pccrc::ServerSecret(std::vector<std::uint8_t>(32, 0x5A)),
                                           options);
  builder.add(content);
  auto ci = builder.finish();
  EXPECT_TRUE(ci);
  if (!ci) return {};
  if (!range) return pccrc::encode(*ci);
  auto sliced = pccrc::slice(*ci, *range);
  EXPECT_TRUE(sliced);
  return sliced ? pccrc::encode(*sliced) : std::vector<std::uint8_t>{};
}

}  // namespace peerdist::service::test
