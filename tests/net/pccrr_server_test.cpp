// net::PccrrServer on 127.0.0.1 with an in-memory SegmentSource, driven by requests written
// with the codec (and one by hand, as iPXE writes it) over blocking sockets: every message
// type, every cipher, blocks not held, MSG_BLKLIST's intersection and NextBlockIndex,
// MSG_SEGLIST with ages, version negotiation, the upload limits and timers, and HTTP-level
// rejects that close only their own connection.
#include "peerdist/net/pccrr_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <variant>

#include "peerdist/crypto/aes.hpp"
#include "peerdist/net/pccrr_client.hpp"
#include "peerdist/wire/pccrd/segment_ages.hpp"
#include "peerdist/wire/pccrr/block_cipher.hpp"
#include "peerdist/wire/pccrr/codec.hpp"
#include "peerdist/wire/pccrr/transport.hpp"

#include "memory_segment_source.hpp"
#include "pccrr_test_support.hpp"

namespace peerdist::net::test {
namespace {

namespace pccrr = wire::pccrr;
using pccrc::BlockIndex;
using namespace std::chrono_literals;

constexpr std::size_t kBlock = 65536;
// Five blocks, the last one short: 4 x 64 KiB + 1,000 bytes, one V1 segment.
constexpr std::size_t kContentLength = 4 * kBlock + 1000;

template <class M>
M response_as(const Bytes& body) {
  auto decoded = pccrr::decode_response(body);  // strict: transport Size == MsgSize
  if (!decoded) throw std::runtime_error("bad response: " + decoded.error().message());
  if (!std::holds_alternative<M>(*decoded)) throw std::runtime_error("unexpected response type");
  return std::get<M>(*decoded);
}

pccrr::MsgGetBlks getblks(const crypto::Digest& id, std::vector<pccrr::BlockRange> ranges) {
  pccrr::MsgGetBlks m;
  m.segment_id = id;
  m.ranges = std::move(ranges);
  return m;
}

pccrr::MsgGetBlkList getblklist(const crypto::Digest& id, std::vector<pccrr::BlockRange> ranges) {
  pccrr::MsgGetBlkList m;
  m.segment_id = id;
  m.needed_ranges = std::move(ranges);
  return m;
}

crypto::Digest digest_of(std::uint8_t fill) {
  const Bytes bytes(32, fill);
  return crypto::Digest(bytes);
}

class PccrrServerTest : public ::testing::Test {
 protected:
  PccrrServerTest() : content_(make_content(kContentLength, pccrc::HashScheme{})) {}

  void TearDown() override {
    io_.run([&] {
      server_.reset();
      client_.reset();
    });
    // Handlers still queued may refer to members declared after io_ (destroyed first).
    io_.stop();
  }

  [[nodiscard]] const pccrc::SegmentDescriptor& segment() const { return content_.segments[0]; }

  // Holds every block but block 2.
  void hold_all_but_block_2() {
    source_.add_segment_bytes(segment(), content_.segment_bytes(0));
    source_.remove_block(segment().segment_id, BlockIndex{2});
  }

  void start(PccrrServerOptions options = {}) {
    options.endpoints = {tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
    io_.run([&] {
      server_ = std::make_unique<PccrrServer>(io_.executor(), source_, options);
      auto listening = server_->listen();
      ASSERT_TRUE(listening.has_value()) << listening.error();
    });
    ASSERT_EQ(server_->local_endpoints().size(), 1U);
    endpoint_ = server_->local_endpoints()[0];
    EXPECT_NE(endpoint_.port(), 0);
  }

  Bytes post(const pccrr::Request& request) {
    const HttpReply reply = post_once(endpoint_, pccrr::encode_request(request));
    EXPECT_EQ(reply.status, 200U);
    return reply.body;
  }

  // Waits (generously) until the source has been asked for `n` blocks.
  void wait_for_read_calls(std::size_t n) const {
    const auto give_up = std::chrono::steady_clock::now() + kGenerous;
    while (source_.read_block_calls() < n && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(5ms);
    }
    ASSERT_GE(source_.read_block_calls(), n);
  }

  Expected<pccrc::VerifiedBlock, FetchError> fetch(BlockIndex index) {
    if (!client_) io_.run([&] { client_ = std::make_unique<PccrrClient>(io_.executor()); });
    std::promise<Expected<pccrc::VerifiedBlock, FetchError>> result;
    auto future = result.get_future();
    client_->get_block(
        endpoint_, segment(), index, std::chrono::steady_clock::now() + kGenerous,
        [&](Expected<pccrc::VerifiedBlock, FetchError> r) { result.set_value(std::move(r)); });
    return wait_for(future);
  }

  IoThread io_;
  TestContent content_;
  MemorySegmentSource source_{io_.executor()};
  std::unique_ptr<PccrrServer> server_;
  std::unique_ptr<PccrrClient> client_;
  tcp::endpoint endpoint_;
};

// --- Negotiation ---

TEST_F(PccrrServerTest, NegoReqIsAnsweredWithVersions1To2) {
  start();
  const auto nego = response_as<pccrr::MsgNegoResp>(post(pccrr::MsgNegoReq{}));
  EXPECT_EQ(nego.version, pccrr::kVersion1);  // A13
  EXPECT_EQ(nego.min_supported, pccrr::kVersion1);
  EXPECT_EQ(nego.max_supported, pccrr::kVersion2);
  EXPECT_EQ(server_->counters().nego_requests, 1U);
}

TEST_F(PccrrServerTest, RequestsOfAnUnknownMajorVersionGetNegoResp) {
  hold_all_but_block_2();
  start();
  auto request = getblks(segment().segment_id, {{BlockIndex{0}, 1}});
  request.version = {3, 0};
  const auto nego = response_as<pccrr::MsgNegoResp>(post(request));
  EXPECT_EQ(nego.min_supported, pccrr::kVersion1);
  EXPECT_EQ(nego.max_supported, pccrr::kVersion2);
  // A NEGO_REQ of any version is a negotiation, answered the same.
  pccrr::MsgNegoReq v3;
  v3.version = {3, 0};
  v3.min_supported = {3, 0};
  v3.max_supported = {3, 5};
  EXPECT_EQ(response_as<pccrr::MsgNegoResp>(post(v3)).max_supported, pccrr::kVersion2);
  const auto c = server_->counters();
  EXPECT_EQ(c.version_mismatches, 1U);
  EXPECT_EQ(c.nego_requests, 1U);
  EXPECT_EQ(c.getblks_requests, 0U);
  EXPECT_EQ(source_.read_block_calls(), 0U);
}

TEST_F(PccrrServerTest, AMinorVersionOfAKnownMajorIsServed) {
  hold_all_but_block_2();
  start();
  auto request = getblks(segment().segment_id, {{BlockIndex{0}, 1}});
  request.version = {1, 7};
  const auto blk = response_as<pccrr::MsgBlk>(post(request));
  EXPECT_EQ(blk.block_index, BlockIndex{0});
  EXPECT_FALSE(blk.block.empty());
}

// --- MSG_BLK ---

class PccrrServerCipherTest : public PccrrServerTest,
                              public ::testing::WithParamInterface<pccrr::CryptoAlgorithm> {};

TEST_P(PccrrServerCipherTest, ServesABlockEncryptedWithTheConfiguredCipher) {
  const pccrr::CryptoAlgorithm algorithm = GetParam();
  hold_all_but_block_2();
  PccrrServerOptions options;
  options.algorithm = algorithm;
  start(options);
  const Bytes body = post(getblks(segment().segment_id, {{BlockIndex{1}, 1}}));
  const auto blk = response_as<pccrr::MsgBlk>(body);
  EXPECT_EQ(blk.version, pccrr::kVersion1);
  EXPECT_EQ(blk.crypto, algorithm);
  EXPECT_EQ(blk.segment_id, segment().segment_id);
  EXPECT_EQ(blk.block_index, BlockIndex{1});
  EXPECT_EQ(blk.next_block_index, BlockIndex{3});  // block 2 is not held
  EXPECT_EQ(blk.block.size(), pccrr::encrypted_block_size(algorithm, kBlock));
  EXPECT_EQ(blk.iv.size(), algorithm == pccrr::CryptoAlgorithm::none ? 0U : pccrr::kIvSize);
  EXPECT_TRUE(blk.vrf_block.empty());
  auto plaintext = pccrr::decrypt_block(blk, segment().kp.bytes(), kBlock);
  ASSERT_TRUE(plaintext.has_value()) << plaintext.error();
  EXPECT_EQ(*plaintext, content_.block(0, BlockIndex{1}));

  // And the client takes it, whatever the cipher (the short last block too).
  for (const BlockIndex index : {BlockIndex{0}, BlockIndex{4}}) {
    auto block = fetch(index);
    ASSERT_TRUE(block.has_value()) << to_string(block.error());
    EXPECT_EQ(Bytes(block->bytes().begin(), block->bytes().end()), content_.block(0, index));
  }
  const auto c = server_->counters();
  EXPECT_EQ(c.getblks_requests, 3U);
  EXPECT_EQ(c.blocks_served, 3U);
  EXPECT_EQ(c.block_bytes_served, 2 * kBlock + 1000);
  EXPECT_GE(c.response_bytes, c.block_bytes_served);
}

INSTANTIATE_TEST_SUITE_P(EveryCipher, PccrrServerCipherTest,
                         ::testing::Values(pccrr::CryptoAlgorithm::none,
                                           pccrr::CryptoAlgorithm::aes128,
                                           pccrr::CryptoAlgorithm::aes192,
                                           pccrr::CryptoAlgorithm::aes256),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case pccrr::CryptoAlgorithm::none: return "none";
                             case pccrr::CryptoAlgorithm::aes128: return "aes128";
                             case pccrr::CryptoAlgorithm::aes192: return "aes192";
                             case pccrr::CryptoAlgorithm::aes256: break;
                           }
                           return "aes256";
                         });

TEST_F(PccrrServerTest, EachResponseHasAFreshIv) {
  hold_all_but_block_2();
  start();
  const auto request = getblks(segment().segment_id, {{BlockIndex{0}, 1}});
  const Bytes first_body = post(request);
  const Bytes second_body = post(request);
  const auto first = response_as<pccrr::MsgBlk>(first_body);
  const auto second = response_as<pccrr::MsgBlk>(second_body);
  EXPECT_FALSE(std::equal(first.iv.begin(), first.iv.end(), second.iv.begin(), second.iv.end()));
  EXPECT_FALSE(
      std::equal(first.block.begin(), first.block.end(), second.block.begin(), second.block.end()));
}

TEST_F(PccrrServerTest, ABlockNotHeldGetsTheEmptyBlk) {
  hold_all_but_block_2();
  start();
  for (const auto& id : {segment().segment_id, digest_of(0x55)}) {
    const Bytes body = post(getblks(id, {{BlockIndex{2}, 1}}));
    const auto blk = response_as<pccrr::MsgBlk>(body);
    // A30: SegmentId and BlockIndex from the request, the rest empty.
    EXPECT_EQ(blk.segment_id, id);
    EXPECT_EQ(blk.block_index, BlockIndex{2});
    EXPECT_EQ(blk.next_block_index, BlockIndex{0});
    EXPECT_EQ(blk.crypto, pccrr::CryptoAlgorithm::none);
    EXPECT_TRUE(blk.block.empty());
    EXPECT_TRUE(blk.iv.empty());
  }
  EXPECT_EQ(server_->counters().not_held, 2U);
  EXPECT_EQ(server_->counters().blocks_served, 0U);
  const auto fetched = fetch(BlockIndex{2});
  ASSERT_FALSE(fetched.has_value());
  EXPECT_EQ(fetched.error(), FetchError::not_held);
}

TEST_F(PccrrServerTest, SeveralRequestedBlocksServeTheLowest) {
  hold_all_but_block_2();
  start();
  const Bytes body = post(getblks(segment().segment_id, {{BlockIndex{3}, 2}, {BlockIndex{1}, 1}}));
  const auto blk = response_as<pccrr::MsgBlk>(body);
  EXPECT_EQ(blk.block_index, BlockIndex{1});
  auto plaintext = pccrr::decrypt_block(blk, segment().kp.bytes(), kBlock);
  ASSERT_TRUE(plaintext.has_value());
  EXPECT_EQ(*plaintext, content_.block(0, BlockIndex{1}));
}

TEST_F(PccrrServerTest, TheLastHeldBlockHasNextBlockIndexZero) {
  hold_all_but_block_2();
  start();
  const Bytes body = post(getblks(segment().segment_id, {{BlockIndex{4}, 1}}));
  const auto blk = response_as<pccrr::MsgBlk>(body);
  EXPECT_EQ(blk.block_index, BlockIndex{4});
  EXPECT_EQ(blk.next_block_index, BlockIndex{0});
  EXPECT_EQ(blk.block.size(), pccrr::encrypted_block_size(pccrr::CryptoAlgorithm::aes128, 1000));
}

TEST_F(PccrrServerTest, AV2SegmentIsOneBlock) {
  const TestContent v2 = make_content(100'000, pccrc::HashScheme::v2(), 7);
  ASSERT_FALSE(v2.segments.empty());
  const auto& d = v2.segments[0];
  EXPECT_EQ(d.block_count(), 1U);
  source_.add_segment_bytes(d, v2.segment_bytes(0));
  start();
  const Bytes body = post(getblks(d.segment_id, {{BlockIndex{0}, 1}}));
  const auto blk = response_as<pccrr::MsgBlk>(body);
  EXPECT_EQ(blk.next_block_index, BlockIndex{0});
  auto plaintext = pccrr::decrypt_block(blk, d.kp.bytes(), d.segment_length);
  ASSERT_TRUE(plaintext.has_value());
  const auto expected = v2.segment_bytes(0);
  EXPECT_EQ(*plaintext, Bytes(expected.begin(), expected.end()));
}

// The request iPXE sends, byte for byte as the spec digest gives it (§1.5): 68 bytes, CryptoAlgoId
// 1 in the request header, no Content-Type, a target in another case.
TEST_F(PccrrServerTest, AnIpxeStyleRequestGetsABlockTheFirst16BytesOfKpDecrypt) {
  hold_all_but_block_2();
  start();
  const auto id = segment().segment_id.bytes();
  Bytes message = {0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0x44, 0, 0, 0, 1, 0, 0, 0, 0x20};
  message.insert(message.end(), id.begin(), id.end());
  const Bytes tail = {0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0};  // [3, 1], no VrfBlock
  message.insert(message.end(), tail.begin(), tail.end());
  ASSERT_EQ(message.size(), 68U);
  RawConnection connection(endpoint_);
  connection.send(
      "POST /116B50EB-ECE2-41AC-8429-9F9E963361B7/ HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\n"
      "Content-Length: 68\r\n"
      "\r\n");
  connection.send(message);
  const auto reply = connection.read_reply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200U);
  // Transport header, then MSG_BLK of 1.0 with CryptoAlgoId 1 (Windows' default).
  const Bytes& body = reply->body;
  ASSERT_GE(body.size(), 20U);
  const auto be32 = [&](std::size_t at) {
    return std::uint32_t{body[at]} << 24U | std::uint32_t{body[at + 1]} << 16U |
           std::uint32_t{body[at + 2]} << 8U | body[at + 3];
  };
  EXPECT_EQ(be32(0), body.size() - 4);
  EXPECT_EQ(be32(4), 1U);  // ProtVer 1.0
  EXPECT_EQ(be32(8), 5U);  // MSG_BLK
  EXPECT_EQ(be32(12), body.size() - 4);
  EXPECT_EQ(be32(16), 1U);               // AES-128
  EXPECT_EQ(body.size(), 4U + 65'640U);  // the spec digest's full 64 KiB AES block
  const auto blk = response_as<pccrr::MsgBlk>(body);
  EXPECT_EQ(blk.block_index, BlockIndex{3});
  // The whole Block is PKCS#7-padded AES-128-CBC under Kp[0..16) and the IV sent.
  auto plaintext = crypto::aes_cbc_decrypt(segment().kp.bytes().first(16), blk.iv, blk.block,
                                           crypto::Padding::pkcs7);
  ASSERT_TRUE(plaintext.has_value()) << plaintext.error();
  EXPECT_EQ(*plaintext, content_.block(0, BlockIndex{3}));
}

// --- MSG_BLKLIST ---

TEST_F(PccrrServerTest, BlockListIsTheIntersectionWithHeldBlocksAndTheNextHeldIndex) {
  hold_all_but_block_2();
  start();
  const auto& id = segment().segment_id;
  struct Case {
    std::vector<pccrr::BlockRange> requested;
    std::vector<pccrr::BlockRange> listed;
    std::uint32_t next;
  };
  const std::vector<Case> cases = {
      {{{BlockIndex{0}, 2}}, {{BlockIndex{0}, 2}}, 3},
      {{{BlockIndex{1}, 3}}, {{BlockIndex{1}, 1}, {BlockIndex{3}, 1}}, 4},
      {{{BlockIndex{2}, 1}}, {}, 3},
      // Unsorted, overlapping, past the end: normalised, clipped.
      {{{BlockIndex{4}, 9}, {BlockIndex{0}, 3}, {BlockIndex{2}, 2}},
       {{BlockIndex{0}, 2}, {BlockIndex{3}, 2}},
       0},
  };
  for (const Case& c : cases) {
    const Bytes body = post(getblklist(id, c.requested));
    const auto list = response_as<pccrr::MsgBlkList>(body);
    EXPECT_EQ(list.version, pccrr::kVersion1);
    EXPECT_EQ(list.segment_id, id);
    EXPECT_EQ(list.ranges, c.listed);
    EXPECT_EQ(list.next_block_index, BlockIndex{c.next});
  }
  const Bytes unknown = post(getblklist(digest_of(0x77), {{BlockIndex{0}, 5}}));
  const auto none = response_as<pccrr::MsgBlkList>(unknown);
  EXPECT_EQ(none.segment_id, digest_of(0x77));
  EXPECT_TRUE(none.ranges.empty());
  EXPECT_EQ(none.next_block_index, BlockIndex{0});
  EXPECT_EQ(server_->counters().getblklist_requests, cases.size() + 1);
}

// --- MSG_SEGLIST ---

TEST_F(PccrrServerTest, SegListListsHeldSegmentsWithTheirAgesInCentiseconds) {
  const TestContent v2 = make_content(400'000, pccrc::HashScheme::v2(), 9);
  ASSERT_GE(v2.segments.size(), 2U);
  source_.add_segment_bytes(segment(), content_.segment_bytes(0), 600s);
  source_.remove_block(segment().segment_id, BlockIndex{2});  // held partly: listed
  source_.add_segment_bytes(v2.segments[0], v2.segment_bytes(0), 5s);
  source_.add_segment_bytes(v2.segments[1], v2.segment_bytes(1), 0s);
  start();
  pccrr::MsgGetSegList request;
  request.request_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  request.segment_ids = {segment().segment_id, digest_of(0x11), v2.segments[0].segment_id,
                         v2.segments[1].segment_id, digest_of(0x22)};
  const Bytes body = post(request);
  const auto list = response_as<pccrr::MsgSegList>(body);
  EXPECT_EQ(list.version, pccrr::kVersion2);  // A13
  EXPECT_EQ(list.request_id, request.request_id);
  EXPECT_EQ(list.ranges, (std::vector<pccrr::SegmentRange>{{0, 1}, {2, 2}}));
  auto ages = wire::pccrd::decode_segment_ages(list.extensible_blob);
  ASSERT_TRUE(ages.has_value()) << ages.error().message();
  EXPECT_EQ(ages->units, wire::pccrd::AgeUnit::centiseconds);
  EXPECT_EQ(ages->entries, (std::vector<wire::pccrd::SegmentAge>{{0, 60'000}, {2, 500}, {3, 0}}));
  EXPECT_EQ(server_->counters().getseglist_requests, 1U);

  // None held: no ranges, an empty blob.
  request.segment_ids = {digest_of(0x33)};
  const Bytes none_body = post(request);
  const auto none = response_as<pccrr::MsgSegList>(none_body);
  EXPECT_TRUE(none.ranges.empty());
  EXPECT_TRUE(none.extensible_blob.empty());
}

// --- Upload limits and timers ---

class PccrrServerBusyTest : public PccrrServerTest,
                            public ::testing::WithParamInterface<bool /*per peer*/> {};

TEST_P(PccrrServerBusyTest, AtTheUploadLimitRequestsGetTheEmptyForms) {
  hold_all_but_block_2();
  PccrrServerOptions options;
  if (GetParam()) {
    options.max_uploads_per_peer = 1;
  } else {
    options.max_uploads = 1;
  }
  start(options);
  source_.set_delay(500ms);  // the first upload holds the only slot meanwhile
  RawConnection slow(endpoint_);
  slow.post(pccrr::encode_request(getblks(segment().segment_id, {{BlockIndex{0}, 1}})));
  wait_for_read_calls(1);

  const Bytes blk_body = post(getblks(segment().segment_id, {{BlockIndex{1}, 1}}));
  const auto blk = response_as<pccrr::MsgBlk>(blk_body);
  EXPECT_TRUE(blk.block.empty());
  EXPECT_EQ(blk.block_index, BlockIndex{1});
  const Bytes list_body = post(getblklist(segment().segment_id, {{BlockIndex{0}, 5}}));
  EXPECT_TRUE(response_as<pccrr::MsgBlkList>(list_body).ranges.empty());
  pccrr::MsgGetSegList seglist;
  seglist.segment_ids = {segment().segment_id};
  const Bytes seglist_body = post(seglist);
  EXPECT_TRUE(response_as<pccrr::MsgSegList>(seglist_body).ranges.empty());
  // Negotiation is not an upload: answered whatever the load.
  EXPECT_EQ(response_as<pccrr::MsgNegoResp>(post(pccrr::MsgNegoReq{})).max_supported,
            pccrr::kVersion2);
  EXPECT_EQ(server_->counters().busy, 3U);
  EXPECT_EQ(source_.read_block_calls(), 1U);  // busy answers never ask the source

  const auto first = slow.read_reply();
  ASSERT_TRUE(first.has_value());
  const auto served = response_as<pccrr::MsgBlk>(first->body);
  EXPECT_EQ(served.block.size(),
            pccrr::encrypted_block_size(pccrr::CryptoAlgorithm::aes128, kBlock));

  // The slot is free again once the response is sent.
  source_.set_delay(0ms);
  const Bytes again = post(getblks(segment().segment_id, {{BlockIndex{1}, 1}}));
  EXPECT_FALSE(response_as<pccrr::MsgBlk>(again).block.empty());
  EXPECT_EQ(server_->counters().busy, 3U);
}

INSTANTIATE_TEST_SUITE_P(PerPeerAndGlobal, PccrrServerBusyTest, ::testing::Bool(),
                         [](const auto& param_info) {
                           return param_info.param ? "PerPeer" : "Global";
                         });

TEST_F(PccrrServerTest, TheUploadTimerClosesAStuckRequestAndFreesItsSlot) {
  hold_all_but_block_2();
  PccrrServerOptions options;
  options.upload_timeout = 200ms;
  options.max_uploads_per_peer = 1;
  start(options);
  source_.set_silent(true);
  RawConnection stuck(endpoint_);
  stuck.post(pccrr::encode_request(getblks(segment().segment_id, {{BlockIndex{0}, 1}})));
  EXPECT_TRUE(stuck.closed_by_server());
  EXPECT_EQ(server_->counters().timed_out, 1U);
  source_.set_silent(false);
  const Bytes body = post(getblks(segment().segment_id, {{BlockIndex{0}, 1}}));
  EXPECT_FALSE(response_as<pccrr::MsgBlk>(body).block.empty());
  EXPECT_EQ(server_->counters().busy, 0U);
}

TEST_F(PccrrServerTest, ABodyThatDoesNotArriveInTimeClosesTheConnection) {
  PccrrServerOptions options;
  options.body_timeout = 200ms;
  start(options);
  RawConnection connection(endpoint_);
  connection.send(std::string("POST ") + std::string(pccrr::kRetrievalPath) +
                  " HTTP/1.1\r\nHost: x\r\nContent-Length: 68\r\n\r\n0123456789");
  EXPECT_TRUE(connection.closed_by_server());
  // The stream closes the socket from its timer, then the read ends: the count may lag a little.
  const auto give_up = std::chrono::steady_clock::now() + kGenerous;
  while (server_->counters().timed_out == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(server_->counters().timed_out, 1U);
}

// --- HTTP ---

TEST_F(PccrrServerTest, KeepAliveCarriesSeveralRequestsAndConnectionCloseIsHonoured) {
  hold_all_but_block_2();
  start();
  RawConnection connection(endpoint_);
  for (const std::uint32_t i : {0U, 1U, 3U}) {
    connection.post(pccrr::encode_request(getblks(segment().segment_id, {{BlockIndex{i}, 1}})));
    const auto reply = connection.read_reply();
    ASSERT_TRUE(reply.has_value());
    EXPECT_TRUE(reply->keep_alive);
    EXPECT_EQ(response_as<pccrr::MsgBlk>(reply->body).block_index, BlockIndex{i});
  }
  const Bytes body = pccrr::encode_request(pccrr::MsgNegoReq{});
  connection.send(std::string("POST ") + std::string(pccrr::kRetrievalPath) +
                  " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n");
  connection.send(body);
  const auto last = connection.read_reply();
  ASSERT_TRUE(last.has_value());
  EXPECT_FALSE(last->keep_alive);
  EXPECT_TRUE(connection.closed_by_server());
  EXPECT_EQ(server_->counters().connections, 1U);
}

TEST_F(PccrrServerTest, TheRetrievalPathMatchesInAnyCaseWithOrWithoutTheTrailingSlash) {
  start();
  for (const std::string_view target :
       {"/116b50eb-ece2-41ac-8429-9f9e963361b7/", "/116B50EB-ECE2-41AC-8429-9F9E963361B7"}) {
    RawConnection connection(endpoint_);
    connection.post(pccrr::encode_request(pccrr::MsgNegoReq{}), target);
    const auto reply = connection.read_reply();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, 200U) << target;
  }
}

// Every bad request is answered (or cut) on its own connection while a good transfer, started
// before them and answered after them, completes untouched.
TEST_F(PccrrServerTest, BadRequestsCloseOnlyTheirOwnConnection) {
  hold_all_but_block_2();
  start();
  source_.set_delay(300ms);
  RawConnection good(endpoint_);
  good.post(pccrr::encode_request(getblks(segment().segment_id, {{BlockIndex{1}, 1}})));
  wait_for_read_calls(1);

  struct Bad {
    std::string name;
    std::string raw;
    unsigned status;
  };
  const std::string path(pccrr::kRetrievalPath);
  const Bytes garbage(40, 0xEE);
  const std::vector<Bad> bads = {
      {"garbage body",
       "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n" +
           std::string(garbage.begin(), garbage.end()),
       400},
      {"a response type", "", 400},
      {"oversize Content-Length",
       "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n", 413},
      {"no Content-Length", "POST " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", 411},
      {"chunked",
       "POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411},
      {"wrong path", "POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 404},
      {"GET", "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", 405},
      {"not HTTP", "\x01\x02\x03 nonsense\r\n\r\n", 400},
  };
  for (const Bad& bad : bads) {
    SCOPED_TRACE(bad.name);
    RawConnection connection(endpoint_);
    if (bad.raw.empty()) {
      // A MSG_BLK posted as if it were a request.
      connection.post(
          pccrr::encode_response(pccrr::missing_block(segment().segment_id, BlockIndex{0})));
    } else {
      connection.send(bad.raw);
    }
    const auto reply = connection.read_reply();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, bad.status);
    EXPECT_TRUE(reply->body.empty());  // no PCCRR body on an HTTP error (A31)
    EXPECT_TRUE(connection.closed_by_server());
  }
  const auto reply = good.read_reply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200U);
  const auto blk = response_as<pccrr::MsgBlk>(reply->body);
  auto plaintext = pccrr::decrypt_block(blk, segment().kp.bytes(), kBlock);
  ASSERT_TRUE(plaintext.has_value());
  EXPECT_EQ(*plaintext, content_.block(0, BlockIndex{1}));
  const auto c = server_->counters();
  EXPECT_EQ(c.malformed, 3U);
  EXPECT_EQ(c.rejected, 5U);
  EXPECT_EQ(c.blocks_served, 1U);
}

TEST_F(PccrrServerTest, ListeningOnAPortInUseFailsAndNamesIt) {
  start();
  PccrrServerOptions options;
  options.endpoints = {endpoint_};
  std::unique_ptr<PccrrServer> second;
  io_.run([&] {
    second = std::make_unique<PccrrServer>(io_.executor(), source_, options);
    auto listening = second->listen();
    ASSERT_FALSE(listening.has_value());
    EXPECT_NE(listening.error().find(std::to_string(endpoint_.port())), std::string::npos)
        << listening.error();
    EXPECT_TRUE(second->local_endpoints().empty());
    second.reset();
  });
}

TEST_F(PccrrServerTest, StopClosesOpenConnections) {
  start();
  RawConnection idle(endpoint_);
  idle.post(pccrr::encode_request(pccrr::MsgNegoReq{}));
  ASSERT_TRUE(idle.read_reply().has_value());
  server_->stop();
  EXPECT_TRUE(idle.closed_by_server());
  boost::asio::io_context io;
  tcp::socket refused(io);
  boost::system::error_code ec;
  refused.connect(endpoint_, ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace peerdist::net::test
