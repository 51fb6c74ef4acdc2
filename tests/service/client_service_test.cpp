// The client side through Instance calls, as a session makes them: content handles among the
// instance's handles (limits, policy, invalidation), Cancel/Close/Shutdown of pending reads,
// FlushContent per user and tag, GetClientInformation, CacheInfo/CacheClear, and the cache
// surviving a restart of the service.
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "peerdist/service/service_info.hpp"

#include "client_content_fixture.hpp"
#include "fake_peer_source.hpp"
#include "service_fixture.hpp"
#include "support/test_data.hpp"

namespace peerdist::service::test {
namespace {

using peerdist::test::random_content;

constexpr std::uint32_t kUid = 1000;
constexpr std::uint32_t kOtherUid = 1001;
constexpr std::size_t kSize = 200'000;

ipc::ContentTag tag_of(std::uint8_t byte) {
  ipc::ContentTag tag{};
  tag.fill(byte);
  return tag;
}

class ClientServiceTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    content_ = random_content(kSize, 21);
    ci_ = build_ci(content_, pccrc::Version::v1);
  }

  Reply open_content(Client& c, std::uint8_t tag = 1) {
    return call([&](ReplyHandler h) {
      c.instance->open_content(ipc::OpenContent{tag_of(tag)}, std::move(h));
    });
  }
  Reply add_ci(Client& c, std::uint64_t handle, std::vector<std::uint8_t> bytes) {
    ipc::AddContentInformation m{handle, ipc::InlineData{std::move(bytes)}};
    return call([&](ReplyHandler h) {
      c.instance->add_content_information(next_request++, std::move(m), std::move(h));
    });
  }
  Reply complete_ci(Client& c, std::uint64_t handle) {
    return call([&](ReplyHandler h) {
      c.instance->complete_content_information(next_request++, handle, std::move(h));
    });
  }
  // A ready handle (0 on failure, with a test failure).
  std::uint64_t ready_content(Client& c, std::uint8_t tag = 1) {
    const Reply opened = open_content(c, tag);
    EXPECT_EQ(opened.status, ERROR_SUCCESS);
    if (!opened.ok()) return 0;
    EXPECT_EQ(add_ci(c, opened.value, ci_).status, ERROR_SUCCESS);
    EXPECT_EQ(complete_ci(c, opened.value).status, ERROR_SUCCESS);
    return opened.value;
  }
  Reply add_data(Client& c, std::uint64_t handle, std::uint64_t offset,
                 std::vector<std::uint8_t> bytes) {
    ipc::AddData m{handle, offset, ipc::InlineData{std::move(bytes)}};
    return call(
        [&](ReplyHandler h) { c.instance->add_data(next_request++, std::move(m), std::move(h)); });
  }
  Reply block_read(Client& c, std::uint64_t handle, std::uint64_t offset, std::uint32_t max,
                   std::uint32_t timeout = PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY) {
    return call([&](ReplyHandler h) {
      c.instance->block_read(next_request++, ipc::BlockRead{handle, offset, max, timeout},
                             std::move(h));
    });
  }
  Reply stream_read(Client& c, std::uint64_t handle, std::uint32_t max) {
    return call([&](ReplyHandler h) {
      c.instance->stream_read(next_request++, ipc::StreamRead{handle, max, 0}, std::move(h));
    });
  }
  Reply flush(Client& c, std::uint8_t tag) {
    return call([&](ReplyHandler h) {
      c.instance->flush_content(next_request++, ipc::FlushContent{tag_of(tag)}, std::move(h));
    });
  }
  Reply close_content(Client& c, std::uint64_t handle) {
    return call([&](ReplyHandler h) { c.instance->close_content(handle, std::move(h)); });
  }
  nlohmann::json cache_info(Client& c) {
    const Reply r = call([&](ReplyHandler h) { c.instance->cache_info(std::move(h)); });
    EXPECT_EQ(r.status, ERROR_SUCCESS);
    EXPECT_EQ(r.bytes, r.data.size());
    return nlohmann::json::parse(std::string(r.data.begin(), r.data.end()), nullptr, false);
  }
  // A peer source that never answers, so that reads with a timeout stay pending.
  void mute_peers() {
    auto peers = std::make_shared<FakePeerSource>(io.get_executor());
    peers->mode = FakePeerSource::Mode::mute;
    service_->set_peer_source(peers);
  }

  std::vector<std::uint8_t> content_;
  std::vector<std::uint8_t> ci_;
};

TEST_F(ClientServiceTest, AContentHandleFromOpenToClose) {
  Client& c = client(kUid);
  const std::uint64_t h = ready_content(c);
  ASSERT_NE(h, 0U);
  EXPECT_EQ(c.instance->handle_count(), 1U);
  Reply r = block_read(c, h, 10, 100);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(r.value, 10U);
  EXPECT_EQ(r.bytes, kSize - 10);
  r = add_data(c, h, 0, content_);
  EXPECT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.bytes, kSize);
  r = block_read(c, h, 10, 100);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, std::vector<std::uint8_t>(content_.begin() + 10, content_.begin() + 110));
  r = stream_read(c, h, 1 << 20);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, content_);
  const Reply info = call([&](ReplyHandler hd) {
    c.instance->get_client_information(ipc::GetClientInformation{h, 0}, std::move(hd));
  });
  EXPECT_EQ(info.status, ERROR_SUCCESS);
  EXPECT_EQ(info.data.size(), sizeof(PEERDIST_CLIENT_BASIC_INFO));
  EXPECT_EQ(close_content(c, h).status, ERROR_SUCCESS);
  EXPECT_EQ(c.instance->handle_count(), 0U);
  // A closed (or never opened) handle.
  EXPECT_EQ(close_content(c, h).status, ERROR_INVALID_HANDLE);
  EXPECT_EQ(block_read(c, h, 0, 1).status, ERROR_INVALID_HANDLE);
  EXPECT_EQ(add_data(c, h, 0, {1}).status, ERROR_INVALID_HANDLE);
  EXPECT_EQ(add_ci(c, 999, ci_).status, ERROR_INVALID_HANDLE);
  EXPECT_EQ(complete_ci(c, 999).status, ERROR_INVALID_HANDLE);
  EXPECT_EQ(stream_read(c, 999, 1).status, ERROR_INVALID_HANDLE);
  const Reply none = call([&](ReplyHandler hd) {
    c.instance->get_client_information(ipc::GetClientInformation{999, 0}, std::move(hd));
  });
  EXPECT_EQ(none.status, ERROR_INVALID_HANDLE);
  // Another instance's handle is not this one's.
  Client& other = client(kUid);
  EXPECT_EQ(block_read(other, ready_content(c), 0, 1).status, ERROR_INVALID_HANDLE);
}

TEST_F(ClientServiceTest, ContentHandlesCountAgainstTheLimit) {
  ServiceOptions options = default_options();
  options.max_handles_per_connection = 2;
  restart(options);
  Client& c = client(kUid);
  EXPECT_EQ(open_content(c).status, ERROR_SUCCESS);
  EXPECT_EQ(open_ci(c, id_of("none")).status, ERROR_NOT_FOUND);  // a reader would still fit
  EXPECT_EQ(open_content(c).status, ERROR_SUCCESS);
  EXPECT_EQ(open_content(c).status, ERROR_TOO_MANY_OPEN_FILES);
  EXPECT_EQ(publish(c, id_of("p")).status, ERROR_TOO_MANY_OPEN_FILES);
}

TEST_F(ClientServiceTest, DisablingInvalidatesContentHandles) {
  Client& c = client(kUid);
  const std::uint64_t h = ready_content(c);
  mute_peers();
  Journal& j = journal;
  c.instance->block_read(next_request++, ipc::BlockRead{h, 0, 10, 600'000}, j.handler("read"));
  drain();
  EXPECT_TRUE(j.entries.empty());
  service_->set_policy(false, {});
  drain();
  ASSERT_EQ(j.labels(), std::vector<std::string>{"read"});
  EXPECT_EQ(j.entries[0].second.status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(block_read(c, h, 0, 10).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(add_data(c, h, 0, content_).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(open_content(c).status, ERROR_ACCESS_DISABLED_BY_POLICY);
  EXPECT_EQ(flush(c, 1).status, ERROR_ACCESS_DISABLED_BY_POLICY);
  EXPECT_EQ(close_content(c, h).status, ERROR_SUCCESS);
  // Enabled again: new handles work, the old one stays gone.
  service_->set_policy(true, {});
  EXPECT_NE(ready_content(c), 0U);
}

TEST_F(ClientServiceTest, StoppingInvalidatesPendingReads) {
  Client& c = client(kUid);
  const std::uint64_t h = ready_content(c);
  mute_peers();
  c.instance->block_read(next_request++, ipc::BlockRead{h, 0, 10, 600'000},
                         journal.handler("read"));
  drain();
  service_->stop();
  drain();
  ASSERT_EQ(journal.labels(), std::vector<std::string>{"read"});
  EXPECT_EQ(journal.entries[0].second.status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(open_content(c).status, PEERDIST_ERROR_SERVICE_UNAVAILABLE);
}

TEST_F(ClientServiceTest, CancelCloseAndShutdownAnswerTheReadFirst) {
  Client& c = client(kUid);
  const std::uint64_t h = ready_content(c);
  mute_peers();
  const std::uint64_t read_id = next_request++;
  c.instance->block_read(read_id, ipc::BlockRead{h, 0, 10, 600'000}, journal.handler("read"));
  // The same request id again, while pending.
  EXPECT_EQ(call([&](ReplyHandler hd) {
              c.instance->stream_read(read_id, ipc::StreamRead{h, 10, 0}, std::move(hd));
            }).status,
            ERROR_INVALID_PARAMETER);
  c.instance->cancel(read_id, journal.handler("cancel"));
  drain();
  ASSERT_EQ(journal.labels(), (std::vector<std::string>{"read", "cancel"}));
  EXPECT_EQ(journal.entries[0].second.status, ERROR_OPERATION_ABORTED);
  EXPECT_EQ(journal.entries[1].second.status, ERROR_SUCCESS);
  // Answered: the cancel finds nothing.
  EXPECT_EQ(call([&](ReplyHandler hd) { c.instance->cancel(read_id, std::move(hd)); }).status,
            PEERDIST_ERROR_OPERATION_NOTFOUND);

  journal.entries.clear();
  c.instance->stream_read(next_request++, ipc::StreamRead{h, 10, 600'000}, journal.handler("read"));
  c.instance->close_content(h, journal.handler("close"));
  drain();
  ASSERT_EQ(journal.labels(), (std::vector<std::string>{"read", "close"}));
  EXPECT_EQ(journal.entries[0].second.status, ERROR_OPERATION_ABORTED);

  journal.entries.clear();
  const std::uint64_t h2 = ready_content(c);
  c.instance->block_read(next_request++, ipc::BlockRead{h2, 5, 10, 600'000},
                         journal.handler("read"));
  c.instance->shutdown(journal.handler("shutdown"));
  run_until([&] { return journal.entries.size() == 2; });
  ASSERT_EQ(journal.labels(), (std::vector<std::string>{"read", "shutdown"}));
  EXPECT_EQ(journal.entries[0].second.status, ERROR_OPERATION_ABORTED);
  EXPECT_EQ(c.instance->handle_count(), 0U);
}

TEST_F(ClientServiceTest, FlushContentIsPerUserAndTag) {
  Client& a = client(kUid);
  Client& b = client(kOtherUid);
  const std::uint64_t ha = ready_content(a, 7);
  ASSERT_EQ(add_data(a, ha, 0, content_).status, ERROR_SUCCESS);
  // Another user's flush of the same tag value, and this user's flush of another tag.
  EXPECT_EQ(flush(b, 7).status, ERROR_SUCCESS);
  EXPECT_EQ(flush(a, 8).status, ERROR_SUCCESS);
  EXPECT_EQ(block_read(a, ha, 0, 10).status, ERROR_SUCCESS);
  // Its own: gone, even for the handle still open.
  EXPECT_EQ(flush(a, 7).status, ERROR_SUCCESS);
  const Reply r = block_read(a, ha, 0, 10);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(r.bytes, kSize);
  // The handle still works: the data comes back.
  ASSERT_EQ(add_data(a, ha, 0, content_).status, ERROR_SUCCESS);
  EXPECT_EQ(block_read(a, ha, 0, 10).status, ERROR_SUCCESS);
}

TEST_F(ClientServiceTest, CacheInfoAndCacheClear) {
  Client& c = client(kUid);
  const std::uint64_t h = ready_content(c);
  ASSERT_EQ(add_data(c, h, 0, content_).status, ERROR_SUCCESS);
  nlohmann::json info = cache_info(c);
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["bytes"], kSize);
  EXPECT_EQ(info["blocks"], 4U);  // 200,000 bytes: four V1 blocks
  EXPECT_GE(info["segments"].get<std::uint64_t>(), 1U);
  EXPECT_GT(info["max_bytes"].get<std::uint64_t>(), 0U);
  EXPECT_TRUE(info["oldest_age_seconds"].is_number());

  // Only root or the daemon's own user.
  const std::uint32_t stranger = ::geteuid() == 4242 ? 4243 : 4242;
  Client& other = client(stranger);
  EXPECT_EQ(call([&](ReplyHandler hd) { other.instance->cache_clear(std::move(hd)); }).status,
            ERROR_ACCESS_DENIED);
  EXPECT_EQ(cache_info(other)["bytes"], kSize);
  Client& owner = client(::geteuid());
  EXPECT_EQ(call([&](ReplyHandler hd) { owner.instance->cache_clear(std::move(hd)); }).status,
            ERROR_SUCCESS);
  info = cache_info(c);
  EXPECT_EQ(info["bytes"], 0U);
  EXPECT_EQ(block_read(c, h, 0, 10).status, PEERDIST_ERROR_MISSING_DATA);
}

TEST_F(ClientServiceTest, TheCacheOutlivesARestart) {
  Client& c = client(kUid);
  const std::uint64_t h = ready_content(c);
  ASSERT_EQ(add_data(c, h, 0, content_).status, ERROR_SUCCESS);
  restart();
  Client& again = client(kUid);
  const std::uint64_t h2 = ready_content(again);
  const Reply r = block_read(again, h2, 0, 1 << 20);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, content_);
  EXPECT_EQ(service_->client_counters().bytes_from_cache, kSize);
}

TEST(ServiceInfoJson, HasTheClientCounters) {
  ServiceInfoFacts facts;
  facts.client.bytes_from_cache = 1;
  facts.client.bytes_from_peers = 2;
  facts.client.bytes_from_origin = 3;
  facts.client.bytes_rejected = 4;
  facts.client.peer_blocks_dropped = 5;
  facts.distributed = false;
  const auto json = nlohmann::json::parse(service_info_json(facts));
  EXPECT_EQ(json["bytes_from_cache"], 1);
  EXPECT_EQ(json["bytes_from_peers"], 2);
  EXPECT_EQ(json["bytes_from_origin"], 3);
  EXPECT_EQ(json["bytes_rejected"], 4);
  EXPECT_EQ(json["peer_blocks_dropped"], 5);
  EXPECT_EQ(json["distributed"]["enabled"], false);
}

}  // namespace
}  // namespace peerdist::service::test
