// net::PccrrClient against our own server (blocks of V1 and V2 content, not held, block lists,
// connection pooling, a worker pool) and against scripted peers that misbehave: corrupt or
// wrong blocks, lists outside the request, silence, negotiation, HTTP errors, a keep-alive
// connection closed under it, a peer keying AES with the whole Kp (A1).
#include "peerdist/net/pccrr_client.hpp"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <mutex>
#include <variant>

#include "peerdist/crypto/aes.hpp"
#include "peerdist/net/pccrr_server.hpp"
#include "peerdist/wire/pccrr/block_cipher.hpp"
#include "peerdist/wire/pccrr/codec.hpp"

#include "memory_segment_source.hpp"
#include "pccrr_test_support.hpp"

namespace peerdist::net::test {
namespace {

namespace pccrr = wire::pccrr;
using pccrc::BlockIndex;
using namespace std::chrono_literals;
using BlockResult = Expected<pccrc::VerifiedBlock, FetchError>;
using ListResult = Expected<std::vector<pccrr::BlockRange>, FetchError>;

constexpr std::size_t kBlock = 65536;
constexpr std::size_t kContentLength = 4 * kBlock + 1000;  // one V1 segment of 5 blocks

class PccrrClientTest : public ::testing::Test {
 protected:
  PccrrClientTest()
      : content_(make_content(kContentLength, pccrc::HashScheme{})),
        segment_(std::make_shared<const pccrc::SegmentDescriptor>(content_.segments[0])) {}

  void TearDown() override {
    io_.run([&] {
      client_.reset();
      server_.reset();
    });
    // Handlers still queued may refer to members declared after io_ (destroyed first).
    io_.stop();
  }

  void start_server(PccrrServerOptions options = {}) {
    options.endpoints = {tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
    io_.run([&] {
      server_ = std::make_unique<PccrrServer>(io_.executor(), source_, options);
      ASSERT_TRUE(server_->listen().has_value());
    });
    server_endpoint_ = server_->local_endpoints().at(0);
  }

  void start_client(PccrrClientOptions options = {}) {
    io_.run([&] { client_ = std::make_unique<PccrrClient>(io_.executor(), options); });
  }

  // Starts a fetch; the future holds its result.
  std::future<BlockResult> start_fetch(const tcp::endpoint& peer, BlockIndex index,
                                       std::chrono::steady_clock::duration within = kGenerous) {
    auto result = std::make_shared<std::promise<BlockResult>>();
    auto future = result->get_future();
    client_->get_block(peer, segment_, index, std::chrono::steady_clock::now() + within,
                       [result](BlockResult r) { result->set_value(std::move(r)); });
    return future;
  }
  BlockResult fetch(const tcp::endpoint& peer, BlockIndex index,
                    std::chrono::steady_clock::duration within = kGenerous) {
    auto future = start_fetch(peer, index, within);
    return wait_for(future);
  }

  ListResult fetch_list(const tcp::endpoint& peer, const crypto::Digest& id,
                        std::vector<pccrr::BlockRange> ranges) {
    std::promise<ListResult> result;
    auto future = result.get_future();
    client_->get_block_list(peer, id, std::move(ranges),
                            std::chrono::steady_clock::now() + kGenerous,
                            [&](ListResult r) { result.set_value(std::move(r)); });
    return wait_for(future);
  }

  // A MSG_BLK for block `index` of the test segment as our server would write it.
  Bytes blk_body(BlockIndex index, const Bytes& plaintext,
                 pccrr::CryptoAlgorithm algorithm = pccrr::CryptoAlgorithm::aes128) const {
    pccrr::MsgBlk m;
    m.crypto = algorithm;
    m.segment_id = segment_->segment_id;
    m.block_index = index;
    auto body = pccrr::encode_blk_response(m, segment_->kp.bytes(), plaintext);
    if (!body) throw std::runtime_error(body.error());
    return *body;
  }

  IoThread io_;
  TestContent content_;
  std::shared_ptr<const pccrc::SegmentDescriptor> segment_;
  MemorySegmentSource source_{io_.executor()};
  std::unique_ptr<PccrrServer> server_;
  std::unique_ptr<PccrrClient> client_;
  tcp::endpoint server_endpoint_;
};

void expect_block(const BlockResult& result, const Bytes& bytes, BlockIndex index) {
  ASSERT_TRUE(result.has_value()) << to_string(result.error());
  EXPECT_EQ(result->index(), index);
  EXPECT_EQ(Bytes(result->bytes().begin(), result->bytes().end()), bytes);
}

void expect_error(const BlockResult& result, FetchError error) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), error) << to_string(result.error());
}

// --- Against our server ---

TEST_F(PccrrClientTest, FetchesEveryBlockOfAV1Segment) {
  source_.add_segment_bytes(*segment_, content_.segment_bytes(0));
  start_server();
  start_client();
  for (BlockIndex i{0}; i.value() < segment_->block_count(); ++i) {
    SCOPED_TRACE(i.value());
    const auto result = fetch(server_endpoint_, i);
    expect_block(result, content_.block(0, i), i);
    if (result) {
      EXPECT_EQ(result->segment_id(), segment_->segment_id);
    }
  }
}

TEST_F(PccrrClientTest, FetchesAV2Segment) {
  const TestContent v2 = make_content(100'000, pccrc::HashScheme::v2(), 3);
  source_.add_segment_bytes(v2.segments[0], v2.segment_bytes(0));
  start_server();
  start_client();
  std::promise<BlockResult> result;
  auto future = result.get_future();
  client_->get_block(server_endpoint_, v2.segments[0], BlockIndex{0},
                     std::chrono::steady_clock::now() + kGenerous,
                     [&](BlockResult r) { result.set_value(std::move(r)); });
  const auto expected = v2.segment_bytes(0);
  expect_block(wait_for(future), Bytes(expected.begin(), expected.end()), BlockIndex{0});
}

TEST_F(PccrrClientTest, ABlockTheServerLacksIsNotHeld) {
  source_.add_segment_bytes(*segment_, content_.segment_bytes(0));
  source_.remove_block(segment_->segment_id, BlockIndex{3});
  start_server();
  start_client();
  expect_error(fetch(server_endpoint_, BlockIndex{3}), FetchError::not_held);
}

TEST_F(PccrrClientTest, ABusyServerIsNotHeld) {
  source_.add_segment_bytes(*segment_, content_.segment_bytes(0));
  PccrrServerOptions options;
  options.max_uploads = 0;
  start_server(options);
  start_client();
  expect_error(fetch(server_endpoint_, BlockIndex{0}), FetchError::not_held);
  EXPECT_EQ(server_->counters().busy, 1U);
}

TEST_F(PccrrClientTest, GetsTheBlockListOfASegment) {
  source_.add_segment_bytes(*segment_, content_.segment_bytes(0));
  source_.remove_block(segment_->segment_id, BlockIndex{1});
  start_server();
  start_client();
  const auto list = fetch_list(server_endpoint_, segment_->segment_id, {{BlockIndex{0}, 5}});
  ASSERT_TRUE(list.has_value()) << to_string(list.error());
  EXPECT_EQ(*list, (std::vector<pccrr::BlockRange>{{BlockIndex{0}, 1}, {BlockIndex{2}, 3}}));
  const Bytes other(32, 0x42);
  const auto none = fetch_list(server_endpoint_, crypto::Digest(other), {{BlockIndex{0}, 5}});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  // Requests no PCCRR message can carry are refused without asking.
  const auto no_range = fetch_list(server_endpoint_, segment_->segment_id, {});
  ASSERT_FALSE(no_range.has_value());
  EXPECT_EQ(no_range.error(), FetchError::malformed);
  const auto zero_count = fetch_list(server_endpoint_, segment_->segment_id, {{BlockIndex{0}, 0}});
  ASSERT_FALSE(zero_count.has_value());
  EXPECT_EQ(zero_count.error(), FetchError::malformed);
  EXPECT_EQ(server_->counters().getblklist_requests, 2U);
}

TEST_F(PccrrClientTest, ABlockTheDescriptorCannotVerifyIsBadDataWithoutAsking) {
  start_server();
  start_client();
  expect_error(fetch(server_endpoint_, BlockIndex{5}), FetchError::bad_data);  // past the end
  EXPECT_EQ(server_->counters().connections, 0U);
}

// Many blocks in flight to one peer share a few keep-alive connections.
TEST_F(PccrrClientTest, KeepsSeveralBlocksInFlightOnPooledConnections) {
  source_.add_segment_bytes(*segment_, content_.segment_bytes(0));
  start_server();
  start_client();
  for (int round = 0; round < 2; ++round) {
    std::vector<std::future<BlockResult>> futures;
    for (int n = 0; n < 20; ++n) {
      futures.push_back(
          start_fetch(server_endpoint_, BlockIndex{static_cast<std::uint32_t>(n % 5)}));
    }
    for (std::size_t n = 0; n < futures.size(); ++n) {
      const BlockIndex i{static_cast<std::uint32_t>(n % 5)};
      expect_block(wait_for(futures[n]), content_.block(0, i), i);
    }
  }
  EXPECT_EQ(server_->counters().blocks_served, 40U);
  EXPECT_LE(server_->counters().connections, PccrrClientOptions::kDefaultConnectionsPerPeer);
  EXPECT_GE(server_->counters().connections, 1U);
  EXPECT_LE(client_->open_connections(), PccrrClientOptions::kDefaultConnectionsPerPeer);
}

TEST_F(PccrrClientTest, DecryptsAndVerifiesOnAWorkerPool) {
  util::WorkerPool pool(2);
  source_.add_segment_bytes(*segment_, content_.segment_bytes(0));
  PccrrServerOptions server_options;
  server_options.crypto_pool = &pool;
  server_options.algorithm = pccrr::CryptoAlgorithm::aes256;
  start_server(server_options);
  PccrrClientOptions client_options;
  client_options.crypto_pool = &pool;
  start_client(client_options);
  std::vector<std::future<BlockResult>> futures;
  for (std::uint32_t n = 0; n < 10; ++n)
    futures.push_back(start_fetch(server_endpoint_, BlockIndex{n % 5}));
  for (std::uint32_t n = 0; n < 10; ++n) {
    expect_block(wait_for(futures[n]), content_.block(0, BlockIndex{n % 5}), BlockIndex{n % 5});
  }
  io_.run([&] {
    client_.reset();
    server_.reset();
  });
}

TEST_F(PccrrClientTest, ADeadlineAlreadyPastTimesOut) {
  source_.add_segment_bytes(*segment_, content_.segment_bytes(0));
  start_server();
  start_client();
  expect_error(fetch(server_endpoint_, BlockIndex{0}, -1s), FetchError::timed_out);
}

TEST_F(PccrrClientTest, NoListenerIsAConnectionFailure) {
  start_client();
  tcp::endpoint closed;
  {
    boost::asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    closed = acceptor.local_endpoint();
  }
  expect_error(fetch(closed, BlockIndex{0}), FetchError::connection_failed);
}

// --- Against scripted peers ---

TEST_F(PccrrClientTest, SendsGetBlksOf1_0WithAes128AndOneRange) {
  std::mutex mutex;
  std::optional<pccrr::Request> seen;
  const Bytes reply = blk_body(BlockIndex{2}, content_.block(0, BlockIndex{2}));
  ScriptedPeer peer([&](const Bytes& body) {
    const std::lock_guard lock(mutex);
    auto decoded = pccrr::decode_request(body);
    if (decoded) seen = *decoded;
    return ScriptedPeer::Reply{ScriptedPeer::ok(reply)};
  });
  start_client();
  expect_block(fetch(peer.endpoint(), BlockIndex{2}), content_.block(0, BlockIndex{2}),
               BlockIndex{2});
  const std::lock_guard lock(mutex);
  ASSERT_TRUE(seen.has_value());
  ASSERT_TRUE(std::holds_alternative<pccrr::MsgGetBlks>(*seen));
  const auto& request = std::get<pccrr::MsgGetBlks>(*seen);
  EXPECT_EQ(request.version, pccrr::kVersion1);
  EXPECT_EQ(request.crypto, pccrr::CryptoAlgorithm::aes128);  // A4
  EXPECT_EQ(request.segment_id, segment_->segment_id);
  EXPECT_EQ(request.ranges, (std::vector<pccrr::BlockRange>{{BlockIndex{2}, 1}}));
  EXPECT_TRUE(request.data_for_vrf_block.empty());
}

TEST_F(PccrrClientTest, ACorruptBlockIsBadData) {
  Bytes reply = blk_body(BlockIndex{0}, content_.block(0, BlockIndex{0}));
  reply[reply.size() / 2] ^= 0x01;  // inside the ciphertext
  ScriptedPeer peer([&](const Bytes&) { return ScriptedPeer::Reply{ScriptedPeer::ok(reply)}; });
  start_client();
  expect_error(fetch(peer.endpoint(), BlockIndex{0}), FetchError::bad_data);
}

TEST_F(PccrrClientTest, AnotherBlockOrSegmentThanAskedIsBadData) {
  // Block 1, correctly encrypted, in answer to a request for block 0.
  const Bytes other_block = blk_body(BlockIndex{1}, content_.block(0, BlockIndex{1}));
  // Block 0's bytes under another segment ID.
  pccrr::MsgBlk m;
  m.crypto = pccrr::CryptoAlgorithm::aes128;
  const Bytes other_id_bytes(32, 0x99);
  m.segment_id = crypto::Digest(other_id_bytes);
  m.block_index = BlockIndex{0};
  const Bytes other_segment =
      *pccrr::encode_blk_response(m, segment_->kp.bytes(), content_.block(0, BlockIndex{0}));
  for (const Bytes* reply : {&other_block, &other_segment}) {
    ScriptedPeer peer([&](const Bytes&) { return ScriptedPeer::Reply{ScriptedPeer::ok(*reply)}; });
    start_client();
    expect_error(fetch(peer.endpoint(), BlockIndex{0}), FetchError::bad_data);
  }
}

// A1: a peer that keys AES-128 with the whole 32-byte Kp (AES-256 in effect) is understood.
TEST_F(PccrrClientTest, ABlockEncryptedUnderTheWholeKpIsAccepted) {
  const Bytes plaintext = content_.block(0, BlockIndex{4});
  pccrr::Iv iv{};
  for (std::size_t n = 0; n < iv.size(); ++n) iv[n] = static_cast<std::uint8_t>(n * 7);
  auto ciphertext =
      crypto::aes_cbc_encrypt(segment_->kp.bytes(), iv, plaintext, crypto::Padding::pkcs7);
  ASSERT_TRUE(ciphertext.has_value());
  pccrr::MsgBlk m;
  m.crypto = pccrr::CryptoAlgorithm::aes128;
  m.segment_id = segment_->segment_id;
  m.block_index = BlockIndex{4};
  m.block = *ciphertext;
  m.iv = iv;
  const Bytes reply = pccrr::encode_response(m);
  ScriptedPeer peer([&](const Bytes&) { return ScriptedPeer::Reply{ScriptedPeer::ok(reply)}; });
  start_client();
  expect_block(fetch(peer.endpoint(), BlockIndex{4}), plaintext, BlockIndex{4});
}

TEST_F(PccrrClientTest, APlaintextBlockIsAccepted) {
  const Bytes plaintext = content_.block(0, BlockIndex{1});
  const Bytes reply = blk_body(BlockIndex{1}, plaintext, pccrr::CryptoAlgorithm::none);
  ScriptedPeer peer([&](const Bytes&) { return ScriptedPeer::Reply{ScriptedPeer::ok(reply)}; });
  start_client();
  expect_block(fetch(peer.endpoint(), BlockIndex{1}), plaintext, BlockIndex{1});
}

TEST_F(PccrrClientTest, APeerThatNeverAnswersTimesOut) {
  ScriptedPeer peer([](const Bytes&) { return ScriptedPeer::Reply{"", false, true}; });
  // The caller's deadline, and the request timer on its own.
  start_client();
  expect_error(fetch(peer.endpoint(), BlockIndex{0}, 300ms), FetchError::timed_out);
  io_.run([&] { client_.reset(); });
  PccrrClientOptions options;
  options.request_timeout = 300ms;
  start_client(options);
  expect_error(fetch(peer.endpoint(), BlockIndex{0}), FetchError::timed_out);
  EXPECT_EQ(peer.requests(), 2U);
}

TEST_F(PccrrClientTest, NegoRespIsAVersionMismatch) {
  const Bytes reply = pccrr::encode_response(
      pccrr::MsgNegoResp{pccrr::kVersion1, pccrr::CryptoAlgorithm::none, {3, 0}, {3, 0}});
  ScriptedPeer peer([&](const Bytes&) { return ScriptedPeer::Reply{ScriptedPeer::ok(reply)}; });
  start_client();
  expect_error(fetch(peer.endpoint(), BlockIndex{0}), FetchError::version_mismatch);
  const auto list = fetch_list(peer.endpoint(), segment_->segment_id, {{BlockIndex{0}, 1}});
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error(), FetchError::version_mismatch);
}

TEST_F(PccrrClientTest, HttpErrorsGarbageAndOtherMessagesAreMalformed) {
  const Bytes garbage(100, 0xAB);
  pccrr::MsgBlkList list;
  list.segment_id = segment_->segment_id;
  const Bytes blklist = pccrr::encode_response(list);
  const std::vector<std::string> replies = {
      ScriptedPeer::status(500),
      ScriptedPeer::status(404),
      ScriptedPeer::ok(garbage),
      ScriptedPeer::ok(blklist),                            // a list in answer to GETBLKS
      "HTTP/1.1 200 OK\r\nContent-Length: 400000\r\n\r\n",  // over the response limit
      "not http at all\r\n\r\n"};
  for (const std::string& reply : replies) {
    SCOPED_TRACE(reply.substr(0, 20));
    ScriptedPeer peer([&](const Bytes&) { return ScriptedPeer::Reply{reply}; });
    start_client();
    expect_error(fetch(peer.endpoint(), BlockIndex{0}), FetchError::malformed);
  }
}

TEST_F(PccrrClientTest, ABlockListOutsideTheRequestOrOfAnotherSegmentIsBadData) {
  pccrr::MsgBlkList outside;
  outside.segment_id = segment_->segment_id;
  outside.ranges = {{BlockIndex{1}, 3}};  // asked [0, 2]
  pccrr::MsgBlkList other;
  const Bytes other_id(32, 0x01);
  other.segment_id = crypto::Digest(other_id);
  other.ranges = {{BlockIndex{0}, 1}};
  pccrr::MsgBlkList within;
  within.segment_id = segment_->segment_id;
  within.ranges = {{BlockIndex{1}, 1}};
  struct Case {
    pccrr::MsgBlkList reply;
    bool ok;
  };
  for (const Case& c : {Case{outside, false}, Case{other, false}, Case{within, true}}) {
    const Bytes body = pccrr::encode_response(c.reply);
    ScriptedPeer peer([&](const Bytes&) { return ScriptedPeer::Reply{ScriptedPeer::ok(body)}; });
    start_client();
    const auto list = fetch_list(peer.endpoint(), segment_->segment_id, {{BlockIndex{0}, 2}});
    if (c.ok) {
      ASSERT_TRUE(list.has_value());
      EXPECT_EQ(*list, c.reply.ranges);
    } else {
      ASSERT_FALSE(list.has_value());
      EXPECT_EQ(list.error(), FetchError::bad_data);
    }
  }
}

// A peer that closes a keep-alive connection while it is idle: the next request on it comes
// back with nothing, and is sent once more on a new connection.
TEST_F(PccrrClientTest, ARequestOnAKeepAliveConnectionThePeerClosedIsSentAgain) {
  ScriptedPeer peer([&](const Bytes& body) {
    auto request = pccrr::decode_request(body);
    const auto index = std::get<pccrr::MsgGetBlks>(*request).ranges[0].index;
    // Says keep-alive, then closes.
    return ScriptedPeer::Reply{ScriptedPeer::ok(blk_body(index, content_.block(0, index))), true};
  });
  start_client();
  expect_block(fetch(peer.endpoint(), BlockIndex{0}), content_.block(0, BlockIndex{0}),
               BlockIndex{0});
  expect_block(fetch(peer.endpoint(), BlockIndex{1}), content_.block(0, BlockIndex{1}),
               BlockIndex{1});
  EXPECT_EQ(peer.connections(), 2U);
  EXPECT_EQ(peer.requests(), 2U);
}

TEST_F(PccrrClientTest, APeerThatClosesAFreshConnectionIsAConnectionFailure) {
  ScriptedPeer peer([](const Bytes&) { return ScriptedPeer::Reply{"", true}; });
  start_client();
  expect_error(fetch(peer.endpoint(), BlockIndex{0}), FetchError::connection_failed);
  EXPECT_EQ(peer.connections(), 1U);  // not sent again: the connection was new
}

}  // namespace
}  // namespace peerdist::net::test
