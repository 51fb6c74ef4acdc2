// ClientContent: every rule of docs/distributed-cache.md "Read semantics", on a real DataCache
// and a fake peer source: handle states, every read outcome and its range, StreamRead's
// cursor, AddData's verification and partial blocks, peers (served, corrupt, unasked-for,
// silent, late), timeouts, cancel, end and invalidation.
#include <gtest/gtest.h>

#include "peerdist/ipc/messages.hpp"

#include "client_content_fixture.hpp"
#include "support/test_data.hpp"

namespace peerdist::service::test {
namespace {

using peerdist::test::random_content;

// ~500 KB: eight V1 blocks (the last one short) in one segment; at least four V2 segments
// (each at most 128 KiB).
constexpr std::size_t kContentSize = 500'000;

std::vector<std::uint8_t> bytes_of(const std::vector<std::uint8_t>& content, std::uint64_t from,
                                   std::uint64_t to) {
  return {content.begin() + static_cast<std::ptrdiff_t>(from),
          content.begin() + static_cast<std::ptrdiff_t>(to)};
}

class ClientContentTest : public ClientContentFixture,
                          public ::testing::WithParamInterface<pccrc::Version> {
 protected:
  void SetUp() override {
    ClientContentFixture::SetUp();
    content_ = random_content(kContentSize, 11);
    ci_ = build_ci(content_, GetParam());
  }
  // The handle, ready.
  std::shared_ptr<ClientContent> ready_handle(std::uint8_t tag = 1) {
    auto c = open(tag);
    EXPECT_TRUE(ready(*c, ci_));
    return c;
  }
  // The places of the blocks, in content order.
  static std::vector<BlockPlace> blocks(const ClientContent& c) {
    std::vector<BlockPlace> out;
    for (auto p = c.layout()->locate(0); p; p = c.layout()->next(*p)) out.push_back(*p);
    return out;
  }
  void add_block(ClientContent& c, const BlockPlace& p) {
    EXPECT_EQ(add_data(c, p.offset, bytes_of(content_, p.offset, p.end())).status, ERROR_SUCCESS);
  }

  std::vector<std::uint8_t> content_;
  std::vector<std::uint8_t> ci_;
};

// ---------------------------------------------------------------------------------------------
// States

TEST_P(ClientContentTest, CallsBeforeTheContentInformationIsComplete) {
  auto c = open();
  EXPECT_EQ(read(*c, 0, 100).status, PEERDIST_ERROR_NOT_INITIALIZED);
  EXPECT_EQ(stream_read(*c, 100).status, PEERDIST_ERROR_NOT_INITIALIZED);
  EXPECT_EQ(add_data(*c, 0, bytes_of(content_, 0, 10)).status, PEERDIST_ERROR_NOT_INITIALIZED);
  // Nothing added: there is nothing to parse.
  EXPECT_EQ(complete_ci(*c).status, PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO);
  EXPECT_EQ(c->state(), ClientContent::State::need_ci);
  const Reply added = add_ci(*c, ci_);
  EXPECT_EQ(added.status, ERROR_SUCCESS);
  EXPECT_EQ(added.bytes, ci_.size());
  ASSERT_EQ(complete_ci(*c).status, ERROR_SUCCESS);
  EXPECT_EQ(c->state(), ClientContent::State::ready);
  EXPECT_EQ(add_ci(*c, ci_).status, PEERDIST_ERROR_ALREADY_COMPLETED);
  EXPECT_EQ(complete_ci(*c).status, PEERDIST_ERROR_ALREADY_COMPLETED);
}

TEST_P(ClientContentTest, AContentInformationThatDoesNotParseCanBeAddedAgain) {
  auto c = open();
  // Q18: an unknown version is reported as soon as the header is seen.
  const std::vector<std::uint8_t> v3 = {0x00, 0x03, 0x00, 0x00};
  EXPECT_EQ(add_ci(*c, v3).status, PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED);
  // One byte: not enough to tell; the next byte tells.
  EXPECT_EQ(add_ci(*c, std::vector<std::uint8_t>{0x01}).status, ERROR_SUCCESS);
  EXPECT_EQ(add_ci(*c, std::vector<std::uint8_t>{0x01}).status,
            PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED);
  // Truncated: the version is fine, the rest does not parse; the pieces are dropped.
  EXPECT_EQ(add_ci(*c, std::span(ci_).first(ci_.size() - 1)).status, ERROR_SUCCESS);
  EXPECT_EQ(complete_ci(*c).status, PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO);
  EXPECT_EQ(c->state(), ClientContent::State::need_ci);
  EXPECT_TRUE(ready(*c, ci_));
}

TEST_P(ClientContentTest, ACancelledCompleteLeavesTheContentInformationToCompleteAgain) {
  auto c = open();
  ASSERT_EQ(add_ci(*c, ci_).status, ERROR_SUCCESS);
  Pending completing = operation();
  c->complete_content_information(completing.op);
  // Parsing is on the pool: the cancel comes first.
  c->cancel(completing.op);
  EXPECT_EQ(wait(completing).status, ERROR_OPERATION_ABORTED);
  EXPECT_EQ(c->state(), ClientContent::State::need_ci);
  drain();
  EXPECT_EQ(c->state(), ClientContent::State::need_ci);
  ASSERT_EQ(complete_ci(*c).status, ERROR_SUCCESS);
  EXPECT_EQ(read(*c, 0, 10).status, PEERDIST_ERROR_MISSING_DATA);
}

// ---------------------------------------------------------------------------------------------
// Reads and AddData

TEST_P(ClientContentTest, MissingRangesThenTheBytesAddedBack) {
  auto c = ready_handle();
  const auto all = blocks(*c);
  ASSERT_GE(all.size(), 4U);
  // Nothing cached: the missing range runs from the offset to the end of the content.
  Reply r = read(*c, 1000, 100);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(r.value, 1000U);
  EXPECT_EQ(r.bytes, kContentSize - 1000);
  EXPECT_TRUE(r.data.empty());

  // The third block only: the missing range now ends where it starts.
  add_block(*c, all[2]);
  r = read(*c, 1000, 100);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(r.value, 1000U);
  EXPECT_EQ(r.bytes, all[2].offset - 1000);
  // A read inside it returns its bytes, up to its end (the next is missing).
  r = read(*c, all[2].offset + 10, 4 * 1024 * 1024);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.value, all[2].offset + 10);
  EXPECT_EQ(r.data, bytes_of(content_, all[2].offset + 10, all[2].end()));
  EXPECT_EQ(r.bytes, r.data.size());
  // max_bytes smaller than the block.
  r = read(*c, all[2].offset + 10, 7);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, bytes_of(content_, all[2].offset + 10, all[2].offset + 17));

  // Everything, in one AddData: one read returns it all.
  EXPECT_EQ(add_data(*c, 0, content_).bytes, kContentSize);
  r = read(*c, 0, 4 * 1024 * 1024);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, content_);
  // Queries: the contiguous bytes held at the offset, no data.
  r = read(*c, 0, 0);
  EXPECT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.bytes, kContentSize);
  EXPECT_TRUE(r.data.empty());
  r = read(*c, 1234, 0);
  EXPECT_EQ(r.bytes, kContentSize - 1234);
  EXPECT_GT(context_.counters.bytes_from_cache, 0U);
  EXPECT_EQ(context_.counters.bytes_from_origin, kContentSize + all[2].length);
}

TEST_P(ClientContentTest, QueriesCountOnlyTheLocalContiguousBytes) {
  auto c = ready_handle();
  const auto all = blocks(*c);
  add_block(*c, all[0]);
  add_block(*c, all[1]);
  add_block(*c, all[3]);
  EXPECT_EQ(read(*c, 5, 0).bytes, all[1].end() - 5);
  EXPECT_EQ(read(*c, all[2].offset, 0).bytes, 0U);  // missing: 0, a success
  EXPECT_EQ(read(*c, all[2].offset, 0).status, ERROR_SUCCESS);
  EXPECT_EQ(read(*c, all[3].offset, 0).bytes, all[3].length);
  // A query never asks peers.
  peers_->hold_all(*c->layout(), content_);
  EXPECT_EQ(read(*c, all[2].offset, 0, PEERDIST_READ_TIMEOUT_DEFAULT).bytes, 0U);
  EXPECT_TRUE(peers_->requests().empty());
}

TEST_P(ClientContentTest, ReadsOutsideTheRangeAreNoMore) {
  auto c = ready_handle();
  EXPECT_EQ(add_data(*c, 0, content_).status, ERROR_SUCCESS);
  EXPECT_EQ(read(*c, kContentSize, 10).status, PEERDIST_ERROR_NO_MORE);
  EXPECT_EQ(read(*c, kContentSize + 1, 10).status, PEERDIST_ERROR_NO_MORE);
  EXPECT_EQ(read(*c, ~std::uint64_t{0}, 10).status, PEERDIST_ERROR_NO_MORE);
  EXPECT_EQ(read(*c, kContentSize, 0).status, PEERDIST_ERROR_NO_MORE);
  const Reply last = read(*c, kContentSize - 1, 10);
  ASSERT_EQ(last.status, ERROR_SUCCESS);
  EXPECT_EQ(last.data, bytes_of(content_, kContentSize - 1, kContentSize));
}

TEST_P(ClientContentTest, ARangeContentInformationCoversItsRangeOnly) {
  const pccrc::ByteRange range{100'000, 200'000};
  const auto ranged = build_ci(content_, GetParam(), range);
  auto c = open();
  ASSERT_TRUE(ready(*c, ranged));
  EXPECT_EQ(c->stream_position(), range.start);
  EXPECT_EQ(read(*c, range.start - 1, 10).status, PEERDIST_ERROR_NO_MORE);
  EXPECT_EQ(read(*c, range.end, 10).status, PEERDIST_ERROR_NO_MORE);
  Reply r = read(*c, range.start, 10);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(r.value, range.start);
  EXPECT_EQ(r.bytes, range.length());  // clipped to the range
  // AddData of the listed segments' bytes (all of them here: the first segment may start
  // before the range); past their end: out of bounds.
  const std::uint64_t start = c->layout()->data_start();
  const std::uint64_t end = c->layout()->data_end();
  EXPECT_EQ(add_data(*c, end, bytes_of(content_, end - 1, end)).status,
            PEERDIST_ERROR_OUT_OF_BOUNDS);
  EXPECT_EQ(add_data(*c, start, bytes_of(content_, start, end)).status, ERROR_SUCCESS);
  r = read(*c, range.start, 4 * 1024 * 1024);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, bytes_of(content_, range.start, range.end));
}

TEST_P(ClientContentTest, AddDataInPiecesThatIgnoreBlockBoundaries) {
  auto c = ready_handle();
  // Odd pieces, out of order within a window, overlapping once.
  const std::size_t piece = 9'973;
  std::vector<std::pair<std::size_t, std::size_t>> pieces;
  for (std::size_t at = 0; at < kContentSize; at += piece) {
    pieces.emplace_back(at, std::min(kContentSize, at + piece));
  }
  for (std::size_t i = 0; i + 1 < pieces.size(); i += 2) std::swap(pieces[i], pieces[i + 1]);
  // Overlapping two others, before the block they share is whole.
  pieces.insert(pieces.begin() + 1, {5'000, 15'000});
  bool partial_seen = false;
  for (const auto& [from, to] : pieces) {
    const Reply r = add_data(*c, from, bytes_of(content_, from, to));
    EXPECT_EQ(r.status, ERROR_SUCCESS);
    EXPECT_EQ(r.bytes, to - from);
    partial_seen = partial_seen || c->partial_bytes() > 0;
  }
  EXPECT_TRUE(partial_seen);
  EXPECT_EQ(c->partial_bytes(), 0U);
  const Reply r = read(*c, 0, 4 * 1024 * 1024);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, content_);
  EXPECT_EQ(context_.counters.bytes_rejected, 0U);
}

TEST_P(ClientContentTest, DataThatDoesNotVerifyIsDroppedNeverStored) {
  auto c = ready_handle();
  const auto all = blocks(*c);
  auto wrong = bytes_of(content_, all[0].offset, all[0].end());
  wrong[100] ^= 0xFFU;
  // Not an error for the application (Windows documents none); dropped and counted.
  EXPECT_EQ(add_data(*c, all[0].offset, wrong).status, ERROR_SUCCESS);
  EXPECT_EQ(context_.counters.bytes_rejected, all[0].length);
  EXPECT_EQ(read(*c, 0, 10).status, PEERDIST_ERROR_MISSING_DATA);
  settle();
  EXPECT_FALSE(cached(c->layout()->key(all[0])));
  // A wrong partial block too, once it is whole.
  EXPECT_EQ(
      add_data(*c, all[1].offset, bytes_of(content_, all[1].offset, all[1].offset + 10)).status,
      ERROR_SUCCESS);
  EXPECT_EQ(
      add_data(*c, all[1].offset + 10, std::vector<std::uint8_t>(all[1].length - 10, 0)).status,
      ERROR_SUCCESS);
  EXPECT_EQ(context_.counters.bytes_rejected, all[0].length + all[1].length);
  settle();
  EXPECT_FALSE(cached(c->layout()->key(all[1])));
  EXPECT_EQ(context_.counters.bytes_from_origin, 0U);
}

TEST_P(ClientContentTest, TheBlocksOfOneAddDataShareOneCommit) {
  auto c = ready_handle();
  ASSERT_GE(blocks(*c).size(), 4U);
  EXPECT_EQ(add_data(*c, 0, content_).status, ERROR_SUCCESS);
  // Group commit: one transaction (one fdatasync) for all of them.
  EXPECT_EQ(context_.cache->commits(), 1U);
  for (const BlockPlace& p : blocks(*c)) EXPECT_TRUE(cached(c->layout()->key(p)));
}

TEST_P(ClientContentTest, AddDataPastTheEndIsOutOfBounds) {
  auto c = ready_handle();
  EXPECT_EQ(add_data(*c, kContentSize, std::vector<std::uint8_t>(10)).status,
            PEERDIST_ERROR_OUT_OF_BOUNDS);
  EXPECT_EQ(add_data(*c, ~std::uint64_t{0}, std::vector<std::uint8_t>(10)).status,
            PEERDIST_ERROR_OUT_OF_BOUNDS);
  // Starting inside and running past the end: what is inside counts.
  auto tail = bytes_of(content_, kContentSize - 100, kContentSize);
  tail.resize(1000);
  EXPECT_EQ(add_data(*c, kContentSize - 100, tail).status, ERROR_SUCCESS);
  EXPECT_EQ(add_data(*c, 0, {}).status, ERROR_SUCCESS);
}

TEST_P(ClientContentTest, StreamReadsMoveTheCursorPastDataAndPastMissingRanges) {
  auto c = ready_handle();
  const auto all = blocks(*c);
  add_block(*c, all[0]);
  add_block(*c, all[2]);
  // A query does not move the cursor (Q11).
  EXPECT_EQ(stream_read(*c, 0).bytes, all[0].length);
  EXPECT_EQ(c->stream_position(), 0U);
  // Four reads in flight at once: answered in order, each where the previous left the cursor.
  std::vector<Pending> reads;
  for (int i = 0; i < 4; ++i) reads.push_back(start_read(*c, std::nullopt, 4 << 20, 0));
  Reply r = wait(reads[0]);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.value, 0U);
  EXPECT_EQ(r.data, bytes_of(content_, 0, all[0].end()));
  r = wait(reads[1]);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(r.value, all[1].offset);
  EXPECT_EQ(r.bytes, all[1].length);
  r = wait(reads[2]);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.value, all[2].offset);
  EXPECT_EQ(r.data, bytes_of(content_, all[2].offset, all[2].end()));
  r = wait(reads[3]);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(r.value, all[3].offset);
  EXPECT_EQ(r.bytes, kContentSize - all[3].offset);
  // Past the end now.
  EXPECT_EQ(c->stream_position(), kContentSize);
  EXPECT_EQ(stream_read(*c, 10).status, PEERDIST_ERROR_NO_MORE);
  EXPECT_EQ(c->stream_position(), kContentSize);
}

TEST_P(ClientContentTest, ReadsReturnAtMostOneInlineResult) {
  const auto big = random_content(ipc::kMaxInlineData + 200'000, 12);
  auto c = open();
  ASSERT_TRUE(ready(*c, build_ci(big, GetParam())));
  ASSERT_EQ(add_data(*c, 0, big).status, ERROR_SUCCESS);
  Reply r = read(*c, 0, 0xFFFFFFFFU);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  ASSERT_LE(r.data.size(), ipc::kMaxInlineData);
  EXPECT_GT(r.data.size(), ipc::kMaxInlineData / 2);
  EXPECT_TRUE(std::equal(r.data.begin(), r.data.end(), big.begin()));
  // StreamRead goes on from there.
  const std::uint64_t first = r.data.size();
  ASSERT_EQ(stream_read(*c, 0xFFFFFFFFU).bytes, first);
  r = stream_read(*c, 0xFFFFFFFFU);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.value, first);
  EXPECT_TRUE(std::equal(r.data.begin(), r.data.end(), big.begin() + static_cast<long>(first)));
}

// ---------------------------------------------------------------------------------------------
// Peers

TEST_P(ClientContentTest, MissingBlocksComeFromPeersAndAreStored) {
  auto c = ready_handle();
  peers_->hold_all(*c->layout(), content_);
  peers_->delay = std::chrono::milliseconds(20);
  const auto all = blocks(*c);
  // Local only: no peer is asked.
  EXPECT_EQ(read(*c, 0, 100).status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_TRUE(peers_->requests().empty());
  Reply r = read(*c, 0, 100, PEERDIST_READ_TIMEOUT_DEFAULT);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, bytes_of(content_, 0, 100));
  ASSERT_EQ(peers_->requests().size(), 1U);
  // One segment's missing blocks of the read, with a deadline in the future.
  EXPECT_EQ(peers_->requests()[0].segment.segment_id, c->layout()->key(all[0]).segment_id);
  EXPECT_EQ(peers_->requests()[0].blocks.front(), all[0].index);
  EXPECT_GT(context_.counters.bytes_from_peers, 0U);
  settle();
  EXPECT_TRUE(cached(c->layout()->key(all[0])));
  // Now local.
  r = read(*c, 0, 100);
  EXPECT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, bytes_of(content_, 0, 100));
}

TEST_P(ClientContentTest, FetchedBlocksKeptInMemoryAreNotServedAfterAFlush) {
  auto c = ready_handle();
  peers_->hold_all(*c->layout(), content_);
  const auto all = blocks(*c);
  // Part of the first block: the rest of it stays in the handle's memory for the next read.
  Reply r = read(*c, 0, 10, PEERDIST_READ_TIMEOUT_DEFAULT);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  r = read(*c, 10, 10);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, bytes_of(content_, 10, 20));
  // FlushContent of the handle's tag removes the block from the cache: no read finds it after.
  store::ContentTag tag{};
  tag.fill(1);
  std::promise<bool> flushed;
  auto done = flushed.get_future();
  context_.cache->post_after_puts([&flushed, tag](store::DataCache& cache) {
    flushed.set_value(static_cast<bool>(cache.flush(tag)));
  });
  run_until([&] { return done.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  ASSERT_TRUE(done.get());
  settle();
  EXPECT_FALSE(cached(c->layout()->key(all[0])));
  r = read(*c, 20, 10);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
}

TEST_P(ClientContentTest, BlocksFromPeersAreCommittedWithoutAnyoneWaiting) {
  auto c = ready_handle();
  peers_->hold_all(*c->layout(), content_);
  const auto all = blocks(*c);
  ASSERT_EQ(read(*c, 0, 10, PEERDIST_READ_TIMEOUT_DEFAULT).status, ERROR_SUCCESS);
  // No settle(): the batch nobody waits for is committed on its own.
  run_until([&] { return context_.cache->pending()->empty(); });
  EXPECT_TRUE(cached(c->layout()->key(all[0])));
  // commit_now() (shutdown) sends a batch still collecting: the cache thread's next job finds it.
  ASSERT_EQ(read(*c, all[1].offset, 10, PEERDIST_READ_TIMEOUT_DEFAULT).status, ERROR_SUCCESS);
  context_.cache->commit_now();
  EXPECT_TRUE(cached(c->layout()->key(all[1])));
}

TEST_P(ClientContentTest, CorruptPeerDataIsNeverStored) {
  auto c = ready_handle();
  peers_->hold_all(*c->layout(), content_);
  peers_->corrupt_all();
  const auto all = blocks(*c);
  const Reply r = read(*c, 0, 100, kLongTimeoutMs);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(r.value, 0U);
  EXPECT_EQ(r.bytes, kContentSize);
  settle();
  EXPECT_FALSE(cached(c->layout()->key(all[0])));
  EXPECT_EQ(context_.counters.bytes_from_peers, 0U);
}

TEST_P(ClientContentTest, BlocksNobodyAskedForAreDropped) {
  auto c = ready_handle();
  peers_->hold_all(*c->layout(), content_);
  peers_->mode = FakePeerSource::Mode::wrong_block;
  const auto all = blocks(*c);
  // One block asked for (V1: one of five in the segment; V2: the first segment, whose single
  // block cannot be mistaken, so the source finds nothing else to hand over).
  const Reply r = read(*c, 0, 10, kLongTimeoutMs);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  settle();
  if (GetParam() == pccrc::Version::v1) {
    EXPECT_GE(context_.counters.peer_blocks_dropped, 1U);
    for (const BlockPlace& p : all) EXPECT_FALSE(cached(c->layout()->key(p)));
  }
  EXPECT_EQ(context_.counters.bytes_from_peers, 0U);
}

TEST_P(ClientContentTest, NoPeerAnswersBeforeTheTimeout) {
  auto c = ready_handle();
  peers_->mode = FakePeerSource::Mode::silent;  // ends timed_out at the deadline
  Reply r = read(*c, 500, 100, 50);
  EXPECT_EQ(r.status, ERROR_TIMEOUT);
  EXPECT_EQ(r.value, 500U);
  EXPECT_EQ(r.bytes, kContentSize - 500);
  // A source that never ends: the read's own timer.
  peers_->mode = FakePeerSource::Mode::mute;
  r = read(*c, 500, 100, 50);
  EXPECT_EQ(r.status, ERROR_TIMEOUT);
  EXPECT_EQ(r.bytes, kContentSize - 500);
  // A peer slower than the timeout.
  peers_->mode = FakePeerSource::Mode::serve;
  peers_->hold_all(*c->layout(), content_);
  peers_->delay = std::chrono::seconds(30);
  r = read(*c, 500, 100, 50);
  EXPECT_EQ(r.status, ERROR_TIMEOUT);
}

TEST_P(ClientContentTest, AddDataSatisfiesAReadWaitingForPeers) {
  auto c = ready_handle();
  peers_->mode = FakePeerSource::Mode::mute;
  const auto all = blocks(*c);
  Pending waiting = start_read(*c, all[1].offset + 3, 50, kLongTimeoutMs);
  drain();
  EXPECT_FALSE(waiting.done());
  // On another handle of the same content: the block is shared by segment ID.
  auto other = ready_handle(2);
  add_block(*other, all[1]);
  const Reply r = wait(waiting);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, bytes_of(content_, all[1].offset + 3, all[1].offset + 53));
}

TEST_P(ClientContentTest, ManyReadsInFlightShareTheFetches) {
  auto c = ready_handle();
  peers_->hold_all(*c->layout(), content_);
  // Long enough that every read has started waiting before the first block comes.
  peers_->delay = std::chrono::milliseconds(300);
  const auto all = blocks(*c);
  std::vector<Pending> reads;
  std::vector<std::uint64_t> offsets;
  for (std::size_t i = 0; i < all.size(); ++i) {
    offsets.push_back(all[i].offset + 7);
    reads.push_back(start_read(*c, offsets.back(), 20, kLongTimeoutMs));
  }
  reads.push_back(start_read(*c, 0, 20, kLongTimeoutMs));
  offsets.push_back(0);
  for (std::size_t i = 0; i < reads.size(); ++i) {
    const Reply r = wait(reads[i]);
    ASSERT_EQ(r.status, ERROR_SUCCESS) << i;
    EXPECT_EQ(r.value, offsets[i]);
    EXPECT_EQ(r.data, bytes_of(content_, offsets[i], offsets[i] + 20)) << i;
  }
  // The last read's block was being fetched already: no second request for it.
  EXPECT_LE(peers_->requests().size(), all.size());
}

// ---------------------------------------------------------------------------------------------
// Cancel, end, invalidation, information

TEST_P(ClientContentTest, AReadWaitingOnAnotherReadsFetchReportsTheMissingRangeItEndsWith) {
  auto c = ready_handle();
  const auto all = blocks(*c);
  ASSERT_GE(all.size(), 4U);
  add_block(*c, all[3]);
  peers_->mode = FakePeerSource::Mode::mute;  // never ends: only the reads' own timers
  Pending first = start_read(*c, 0, 10, kLongTimeoutMs);
  drain();
  // Block 0 is being fetched for the first read: the second waits for it without looking, and
  // looks when it times out. Block 2, stored meanwhile by another handle, ends its range.
  Pending second = start_read(*c, 5, 10, 200);
  auto other = ready_handle(2);
  add_block(*other, all[2]);
  Reply r = wait(second);
  EXPECT_EQ(r.status, ERROR_TIMEOUT);
  EXPECT_EQ(r.value, 5U);
  EXPECT_EQ(r.bytes, all[2].offset - 5);
  // And a block that came while it waited, but was not the one it waited for, is no data.
  EXPECT_TRUE(r.data.empty());
  EXPECT_FALSE(first.done());
  c->cancel(first.op);
  EXPECT_EQ(wait(first).status, ERROR_OPERATION_ABORTED);
}

TEST_P(ClientContentTest, CancelEndsOneRequest) {
  auto c = ready_handle();
  peers_->mode = FakePeerSource::Mode::mute;
  Pending first = start_read(*c, 0, 10, kLongTimeoutMs);
  Pending second = start_read(*c, std::nullopt, 10, kLongTimeoutMs);
  Pending third = start_read(*c, std::nullopt, 10, PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY);
  drain();
  c->cancel(second.op);
  EXPECT_EQ(wait(second).status, ERROR_OPERATION_ABORTED);
  // The next stream read starts at the cursor, which did not move.
  const Reply r = wait(third);
  EXPECT_EQ(r.status, PEERDIST_ERROR_MISSING_DATA);
  EXPECT_EQ(r.value, 0U);
  EXPECT_FALSE(first.done());
  c->cancel(first.op);
  EXPECT_EQ(wait(first).status, ERROR_OPERATION_ABORTED);
  EXPECT_EQ(c->reads_pending(), 0U);
}

TEST_P(ClientContentTest, EndAbortsEverythingAndStopsTheFetches) {
  auto c = ready_handle();
  peers_->mode = FakePeerSource::Mode::mute;
  Pending a = start_read(*c, 0, 10, kLongTimeoutMs);
  Pending b = start_read(*c, std::nullopt, 10, kLongTimeoutMs);
  drain();
  EXPECT_EQ(c->fetches(), 1U);
  c->end(ERROR_OPERATION_ABORTED);
  EXPECT_EQ(wait(a).status, ERROR_OPERATION_ABORTED);
  EXPECT_EQ(wait(b).status, ERROR_OPERATION_ABORTED);
  EXPECT_EQ(c->fetches(), 0U);
  EXPECT_EQ(peers_->cancels(), 1U);
}

TEST_P(ClientContentTest, InvalidatedHandlesRefuseEverything) {
  auto c = ready_handle();
  peers_->mode = FakePeerSource::Mode::mute;
  Pending a = start_read(*c, 0, 10, kLongTimeoutMs);
  drain();
  c->invalidate();
  EXPECT_EQ(wait(a).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(read(*c, 0, 10).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(add_data(*c, 0, bytes_of(content_, 0, 10)).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(add_ci(*c, ci_).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(complete_ci(*c).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(c->information(PeerDistClientBasicInfo).status, PEERDIST_ERROR_INVALIDATED);
}

TEST_P(ClientContentTest, BasicInformationSaysNoFlashCrowd) {
  auto c = ready_handle();
  const Reply info = c->information(PeerDistClientBasicInfo);
  ASSERT_EQ(info.status, ERROR_SUCCESS);
  ASSERT_EQ(info.data.size(), sizeof(PEERDIST_CLIENT_BASIC_INFO));
  EXPECT_EQ(info.bytes, sizeof(PEERDIST_CLIENT_BASIC_INFO));
  EXPECT_EQ(info.data, std::vector<std::uint8_t>(sizeof(PEERDIST_CLIENT_BASIC_INFO), 0));
  EXPECT_EQ(c->information(1).status, ERROR_INVALID_PARAMETER);
}

TEST_P(ClientContentTest, TwoHandlesOfTheSameContent) {
  auto a = ready_handle(1);
  auto b = ready_handle(2);
  EXPECT_EQ(add_data(*a, 0, content_).status, ERROR_SUCCESS);
  const Reply r = read(*b, 0, 4 * 1024 * 1024);
  ASSERT_EQ(r.status, ERROR_SUCCESS);
  EXPECT_EQ(r.data, content_);
}

INSTANTIATE_TEST_SUITE_P(Versions, ClientContentTest,
                         ::testing::Values(pccrc::Version::v1, pccrc::Version::v2),
                         [](const auto& param_info) {
                           return param_info.param == pccrc::Version::v1 ? "V1" : "V2";
                         });

}  // namespace
}  // namespace peerdist::service::test
