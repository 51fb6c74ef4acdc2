// The streaming, parallel builder: the derived V1 vector byte for byte, equality with a naive
// single-threaded model of spec digest §5-§6 for every scheme, and independence from the
// number of threads and from how the content is fed.
#include "peerdist/pccrc/builder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/errc.hpp"
#include "peerdist/util/hex.hpp"

#include "support/test_data.hpp"
#include "support/vector_file.hpp"

namespace peerdist::pccrc {
namespace {

using Bytes = std::vector<std::uint8_t>;
using test::VectorFile;

constexpr std::size_t kMiB = std::size_t{1} << 20U;

const ServerSecret& test_secret() {
  static const ServerSecret secret(test::random_content(32, 2024));
  return secret;
}

// --- The naive model: one pass, one thread, straight from the spec digest. ---

ContentInformation reference_v1(std::span<const std::uint8_t> content, const ServerSecret& secret,
                                crypto::HashAlgorithm algorithm) {
  ContentInformation ci;
  ci.scheme = HashScheme{Version::v1, algorithm};
  ci.range = {0, content.size()};
  const crypto::Digest ks = secret.ks(ci.scheme);
  for (std::size_t at = 0; at < content.size(); at += kV1SegmentSize) {
    Segment s;
    s.index = SegmentIndex{at / kV1SegmentSize};
    s.offset = at;
    s.length =
        static_cast<std::uint32_t>(std::min<std::size_t>(kV1SegmentSize, content.size() - at));
    Bytes list;
    for (std::size_t b = 0; b < s.length; b += kV1BlockSize) {
      const auto block = content.subspan(at + b, std::min<std::size_t>(kV1BlockSize, s.length - b));
      s.block_hashes.push_back(crypto::hash(algorithm, block));
      list.insert(list.end(), s.block_hashes.back().bytes().begin(),
                  s.block_hashes.back().bytes().end());
    }
    s.hod = crypto::hash(algorithm, list);
    s.kp = derive_kp(ci.scheme, ks, s.hod);
    ci.segments.push_back(std::move(s));
  }
  return ci;
}

ContentInformation reference_v2(std::span<const std::uint8_t> content, const ServerSecret& secret,
                                ChunkerParameters parameters = {}) {
  ContentInformation ci;
  ci.scheme = HashScheme::v2();
  ci.range = {0, content.size()};
  const crypto::Digest ks = secret.ks(ci.scheme);
  const Chunker chunker(parameters);
  for (std::size_t at = 0; at < content.size();) {
    Segment s;
    s.index = SegmentIndex{ci.segments.size()};
    s.offset = at;
    s.length = static_cast<std::uint32_t>(chunker.next_segment(content.subspan(at), true));
    s.hod =
        crypto::hash(crypto::HashAlgorithm::sha512, content.subspan(at, s.length)).truncated(32);
    s.kp = derive_kp(ci.scheme, ks, s.hod);
    at += s.length;
    ci.segments.push_back(std::move(s));
  }
  return ci;
}

// --- Ways of feeding the builder. ---

using Feed = std::function<void(ContentInformationBuilder&, std::span<const std::uint8_t>)>;

Feed whole() {
  return [](ContentInformationBuilder& b, std::span<const std::uint8_t> c) { b.add(c); };
}

Feed pieces_of(std::size_t n) {
  return [n](ContentInformationBuilder& b, std::span<const std::uint8_t> c) {
    for (std::size_t at = 0; at < c.size(); at += n)
      b.add(c.subspan(at, std::min(n, c.size() - at)));
  };
}

// Pseudo-random piece sizes from 0 to ~300 KB, so pieces straddle every kind of boundary.
Feed random_pieces() {
  return [](ContentInformationBuilder& b, std::span<const std::uint8_t> c) {
    std::uint64_t x = 0x243F6A8885A308D3ULL;
    for (std::size_t at = 0; at < c.size();) {
      x ^= x << 13U;
      x ^= x >> 7U;
      x ^= x << 17U;
      const std::size_t n = std::min<std::size_t>(x % 300000U, c.size() - at);
      b.add(c.subspan(at, n));
      at += n;
    }
  };
}

// Zero-copy: prepare() and commit() of whatever prepare() offers, but at most a random amount
// (as read() would return).
Feed prepare_commit() {
  return [](ContentInformationBuilder& b, std::span<const std::uint8_t> c) {
    std::uint64_t x = 0x13198A2E03707344ULL;
    for (std::size_t at = 0; at < c.size();) {
      const std::span<std::uint8_t> space = b.prepare();
      EXPECT_FALSE(space.empty());
      x ^= x << 13U;
      x ^= x >> 7U;
      x ^= x << 17U;
      const std::size_t n =
          std::min({space.size(), c.size() - at, std::size_t{1} + x % (2 * kMiB)});
      std::memcpy(space.data(), c.data() + at, n);
      b.commit(n);
      at += n;
    }
  };
}

ContentInformation build(std::span<const std::uint8_t> content, BuildOptions options,
                         const Feed& feed = whole(), const ServerSecret& secret = test_secret()) {
  ContentInformationBuilder builder(secret, options);
  feed(builder, content);
  EXPECT_EQ(builder.bytes_added(), content.size());
  auto ci = builder.finish();
  if (!ci) {
    ADD_FAILURE() << "finish() failed: " << ci.error().message();
    return {};
  }
  return std::move(ci).value();
}

// --- The derived V1 vector. ---

const Bytes& synthetic_33621202() {
  static const Bytes content = test::synthetic_content(33621202);
  return content;
}

TEST(Builder, ReproducesTheSyntheticV1VectorByteForByte) {
  const auto v = VectorFile::load("derived/synthetic-v1-2seg.txt");
  ASSERT_EQ(v.number("content.length"), synthetic_33621202().size());
  const ServerSecret secret(v.bytes("server_secret_key_hex"));
  EXPECT_EQ(crypto::hash(crypto::HashAlgorithm::sha256, synthetic_33621202()).hex(),
            v.text("content.sha256_hex"));

  for (const unsigned threads : {1U, 0U}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    const ContentInformation ci =
        build(synthetic_33621202(), {HashScheme{}, threads, {}}, whole(), secret);
    EXPECT_EQ(util::to_hex(encode(ci)), v.text("ci_hex"));

    ASSERT_EQ(ci.segments.size(), v.number("ci.cSegments"));
    EXPECT_EQ(ci.range, (ByteRange{0, 33621202}));
    EXPECT_EQ(ci.v1.read_bytes_in_last_segment, 0U);
    for (std::size_t n = 0; n < ci.segments.size(); ++n) {
      const std::string key = "segment." + std::to_string(n) + ".";
      const Segment& s = ci.segments[n];
      EXPECT_EQ(s.index.value(), n);
      EXPECT_EQ(s.offset, v.number(key + "ullOffsetInContent"));
      EXPECT_EQ(s.length, v.number(key + "cbSegment"));
      EXPECT_EQ(s.first_listed_block.value(), 0U);
      EXPECT_EQ(s.block_hashes.size(), v.number(key + "blocks_in_segment"));
      EXPECT_EQ(s.hod.hex(), v.text(key + "hod_hex"));
      EXPECT_EQ(s.kp.hex(), v.text(key + "kp_hex"));
      EXPECT_EQ(ci.segment_id(s).hex(), v.text(key + "hohodk_hex"));
      for (const std::size_t m : {std::size_t{0}, std::size_t{1}, s.block_hashes.size() - 1}) {
        const std::string block = key + "block." + std::to_string(m) + ".";
        if (!v.has(block + "hash_hex")) continue;
        EXPECT_EQ(s.block_hashes[m].hex(), v.text(block + "hash_hex")) << block;
        const auto blocks = ci.blocks(s);
        EXPECT_EQ(blocks[m].offset, v.number(block + "start")) << block;
        EXPECT_EQ(blocks[m].offset + blocks[m].length, v.number(block + "end")) << block;
      }
    }
  }
}

// --- Threads and feeding patterns. ---

struct SchemeCase {
  const char* name;
  HashScheme scheme;
  std::size_t content_size;  // V1: past one 32 MiB segment; V2: across several batches
};

void PrintTo(const SchemeCase& c, std::ostream* os) {
  *os << c.name;
}

class BuilderEquality : public ::testing::TestWithParam<SchemeCase> {
 protected:
  const Bytes& content() {
    // One content per size, generated once (Debug builds make this the slow part).
    static std::vector<std::pair<std::size_t, Bytes>> cache;
    const std::size_t n = GetParam().content_size;
    for (const auto& [size, bytes] : cache) {
      if (size == n) return bytes;
    }
    cache.emplace_back(n, test::random_content(n, n));
    return cache.back().second;
  }
  ContentInformation reference() {
    const HashScheme s = GetParam().scheme;
    return s.version == Version::v2 ? reference_v2(content(), test_secret())
                                    : reference_v1(content(), test_secret(), s.algorithm);
  }
};

TEST_P(BuilderEquality, AnyThreadCountAndFeedingGiveTheReferenceResult) {
  const ContentInformation expected = reference();
  ASSERT_GE(expected.segments.size(), 2U);
  const std::vector<std::pair<const char*, Feed>> feeds = {
      {"whole", whole()},
      {"pieces of 65535", pieces_of(65535)},
      {"pieces of 65537", pieces_of(65537)},
      {"pieces of 1 MiB", pieces_of(kMiB)},
      {"random pieces", random_pieces()},
      {"prepare/commit", prepare_commit()},
  };
  // Every feeding pattern with 2 threads, every thread count with two patterns (16 threads:
  // more batches in flight than the memory budget allows at full size, so smaller ones).
  std::vector<std::pair<unsigned, std::size_t>> runs;  // (threads, index into feeds)
  for (std::size_t f = 0; f < feeds.size(); ++f) runs.emplace_back(2U, f);
  for (const unsigned threads : {1U, 3U, 16U}) {
    runs.emplace_back(threads, 0);
    runs.emplace_back(threads, 4);
  }
  for (const auto& [threads, f] : runs) {
    SCOPED_TRACE(std::string(feeds[f].first) + ", threads " + std::to_string(threads));
    const ContentInformation ci =
        build(content(), {GetParam().scheme, threads, {}}, feeds[f].second);
    EXPECT_TRUE(ci == expected);
  }
}

TEST(Builder, TinyPiecesGiveTheSameResult) {
  // Byte-sized pieces are slow to feed, so 4.5 MiB (past the first batch), V1 and V2 only: the
  // hash algorithm plays no part in how pieces are gathered.
  const Bytes content = test::random_content(4 * kMiB + kMiB / 2, 12);
  for (const HashScheme s : {HashScheme{}, HashScheme::v2()}) {
    const ContentInformation expected = build(content, {s, 1, {}});
    for (const std::size_t n : {std::size_t{1}, std::size_t{7}}) {
      SCOPED_TRACE("pieces of " + std::to_string(n));
      EXPECT_TRUE(build(content, {s, 2, {}}, pieces_of(n)) == expected);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, BuilderEquality,
    ::testing::Values(SchemeCase{"V1Sha256", HashScheme{}, kV1SegmentSize + 70001},
                      SchemeCase{"V1Sha384", HashScheme{Version::v1, crypto::HashAlgorithm::sha384},
                                 kV1SegmentSize + 70001},
                      SchemeCase{"V1Sha512", HashScheme{Version::v1, crypto::HashAlgorithm::sha512},
                                 kV1SegmentSize + 70001},
                      SchemeCase{"V2", HashScheme::v2(), 9 * kMiB + 12345}),
    [](const ::testing::TestParamInfo<SchemeCase>& p) { return std::string(p.param.name); });

TEST(Builder, LargeAddsHashInPlaceWithTheSameResult) {
  // An add() of many batches is hashed from the caller's memory. With 16 threads batches are
  // 1 MiB, so adds of 16 MiB and more take that path; the pieces around them join it to
  // partly filled batches (V1) and undecided V2 tails.
  const Bytes content = test::random_content(44 * kMiB + 777, 13);
  const Feed mixed = [](ContentInformationBuilder& b, std::span<const std::uint8_t> c) {
    std::size_t at = 0;
    const auto add = [&](std::size_t n) {
      b.add(c.subspan(at, n));
      at += n;
    };
    add(100000);         // copied into a new batch
    add(17 * kMiB + 3);  // joins it, then in place
    // Fill the batch holding what is left to 1000 bytes short of full: too little room for
    // the V2 lookahead.
    const std::span<std::uint8_t> space = b.prepare();
    ASSERT_GT(space.size(), 1000U);
    const std::size_t n = space.size() - 1000;
    std::memcpy(space.data(), c.data() + at, n);
    b.commit(n);
    at += n;
    add(20 * kMiB);  // in place again
    add(65537);
    b.add(c.subspan(at));  // copied
  };
  for (const HashScheme s : {HashScheme{}, HashScheme::v2()}) {
    SCOPED_TRACE(s.version == Version::v1 ? "V1" : "V2");
    const ContentInformation expected = s.version == Version::v1
                                            ? reference_v1(content, test_secret(), s.algorithm)
                                            : reference_v2(content, test_secret());
    EXPECT_TRUE(build(content, {s, 16, {}}, whole()) == expected);
    EXPECT_TRUE(build(content, {s, 16, {}}, mixed) == expected);
    EXPECT_TRUE(build(content, {s, 1, {}}, mixed) == expected);
  }
}

// --- Borrowed memory (add_borrowed). ---

// Lends the builder windows of the content the way `peerdist hash` lends mapped file windows:
// each window is a separate allocation that its release callback poisons and frees. A batch
// that read a window after its release would hash the poison (a wrong CI) or, under
// AddressSanitizer, read freed memory. Counts the releases, so that the test can check each
// is called exactly once.
class Lender {
 public:
  struct Window {
    std::unique_ptr<std::uint8_t[]> bytes;
    std::size_t size = 0;
    int releases = 0;
  };

  // Copies a piece of content into a window of its own, to be lent later; returns its index.
  std::size_t make_window(std::span<const std::uint8_t> piece) {
    // A deque: windows keep their address when more are added.
    Window& w = windows_.emplace_back();
    w.size = piece.size();
    w.bytes = std::make_unique_for_overwrite<std::uint8_t[]>(std::max<std::size_t>(w.size, 1));
    if (!piece.empty()) std::memcpy(w.bytes.get(), piece.data(), w.size);
    return windows_.size() - 1;
  }
  void lend_window(ContentInformationBuilder& b, std::size_t i) {
    Window& w = windows_[i];
    outstanding_ += w.size;
    b.add_borrowed({w.bytes.get(), w.size}, [this, i] { release(i); });
  }
  void lend(ContentInformationBuilder& b, std::span<const std::uint8_t> piece) {
    lend_window(b, make_window(piece));
  }

  [[nodiscard]] const std::deque<Window>& windows() const { return windows_; }
  // Bytes lent and not released yet.
  [[nodiscard]] std::size_t outstanding() const { return outstanding_; }

  // Every window released exactly once, and in lending order.
  void expect_all_released_once() const {
    for (std::size_t i = 0; i < windows_.size(); ++i)
      EXPECT_EQ(windows_[i].releases, 1) << "window " << i;
    EXPECT_TRUE(std::is_sorted(order_.begin(), order_.end()));
    EXPECT_EQ(outstanding_, 0U);
  }

 private:
  void release(std::size_t i) {
    Window& w = windows_[i];
    ++w.releases;
    order_.push_back(i);
    if (w.releases != 1 || !w.bytes) return;
    std::memset(w.bytes.get(), 0xA5, w.size);
    w.bytes.reset();
    outstanding_ -= w.size;
  }

  std::deque<Window> windows_;
  std::vector<std::size_t> order_;
  std::size_t outstanding_ = 0;
};

Feed borrowed_windows(std::size_t n, Lender& lender) {
  return [n, &lender](ContentInformationBuilder& b, std::span<const std::uint8_t> c) {
    for (std::size_t at = 0; at < c.size(); at += n)
      lender.lend(b, c.subspan(at, std::min(n, c.size() - at)));
  };
}

// Borrowed windows between copied pieces and prepare()/commit(), so that windows join batches
// partly filled in every way: a V1 block half done, a V2 batch with too little room for the
// lookahead, an undecided V2 tail, an empty batch acquired by prepare().
Feed borrowed_mixed(Lender& lender) {
  return [&lender](ContentInformationBuilder& b, std::span<const std::uint8_t> c) {
    std::size_t at = 0;
    const auto add = [&](std::size_t n) {
      n = std::min(n, c.size() - at);
      b.add(c.subspan(at, n));
      at += n;
    };
    const auto borrow = [&](std::size_t n) {
      n = std::min(n, c.size() - at);
      lender.lend(b, c.subspan(at, n));
      at += n;
    };
    add(100000);
    borrow(5 * kMiB + 3);
    const std::span<std::uint8_t> space = b.prepare();
    ASSERT_GT(space.size(), 1000U);
    const std::size_t n = std::min(space.size() - 1000, c.size() - at);
    std::memcpy(space.data(), c.data() + at, n);
    b.commit(n);
    at += n;
    borrow(9 * kMiB + 65536);
    (void)b.prepare();  // an empty batch, acquired and left empty
    borrow(4 * kMiB + 300000);
    add(65537);
    borrow(3 * kMiB);  // less than a batch with 1-2 threads: copied whole
    borrow(c.size() - at);
  };
}

TEST_P(BuilderEquality, BorrowedWindowsGiveTheReferenceResultAndAreReleasedOnce) {
  const ContentInformation expected = reference();
  // Batches are 4 MiB with 1 and 2 threads, 1 MiB with 16: windows below a batch (copied),
  // of exactly one, of several, and of sizes that are multiples of neither a batch nor a V1
  // block nor anything else.
  const std::vector<std::size_t> windows = {
      65537, 4 * kMiB, 4 * kMiB + 1, 6 * kMiB + 7, 16 * kMiB, 23 * kMiB + 12345, content().size()};
  struct Run {
    unsigned threads;
    std::size_t window;  // 0: borrowed_mixed
  };
  std::vector<Run> runs;
  for (const std::size_t w : windows) runs.push_back({2, w});
  runs.push_back({2, 0});
  for (const unsigned threads : {1U, 16U}) {
    runs.push_back({threads, 4 * kMiB + 1});
    runs.push_back({threads, 16 * kMiB});
    runs.push_back({threads, 0});
  }
  for (const Run& run : runs) {
    SCOPED_TRACE(
        (run.window == 0 ? std::string("mixed") : "windows of " + std::to_string(run.window)) +
        ", threads " + std::to_string(run.threads));
    Lender lender;
    const Feed feed =
        run.window == 0 ? borrowed_mixed(lender) : borrowed_windows(run.window, lender);
    const ContentInformation ci = build(content(), {GetParam().scheme, run.threads, {}}, feed);
    EXPECT_TRUE(ci == expected);
    lender.expect_all_released_once();
  }
}

TEST(Builder, BorrowedMemoryInFlightStaysUnderTheLimit) {
  // Many workers have many batches in flight (62 workers: 64 batches of 512 KiB; 16: 18 of
  // 1 MiB): without the limit, windows of a few batches each could all be held at once, up to
  // about 32 MiB plus a window. The windows are made beforehand, so that they are lent faster
  // than the workers hash them.
  const Bytes content = test::random_content(96 * kMiB, 14);
  const auto sizes = std::to_array<std::pair<unsigned, std::size_t>>(
      {{62U, 4 * kMiB + 65536}, {62U, 8 * kMiB}, {16U, 16 * kMiB}});
  for (const auto& [threads, window] : sizes) {
    SCOPED_TRACE("threads " + std::to_string(threads) + ", windows of " + std::to_string(window));
    Lender lender;
    for (std::size_t at = 0; at < content.size(); at += window)
      lender.make_window(std::span(content).subspan(at, std::min(window, content.size() - at)));
    ContentInformationBuilder builder(test_secret(), {HashScheme{}, threads, {}});
    std::size_t most = 0;
    for (std::size_t i = 0; i < lender.windows().size(); ++i) {
      lender.lend_window(builder, i);
      most = std::max(most, lender.outstanding());
    }
    EXPECT_LE(most, std::max(ContentInformationBuilder::kMaxBorrowedBytes, window));
    auto ci = builder.finish();
    ASSERT_TRUE(ci);
    EXPECT_TRUE(*ci == reference_v1(content, test_secret(), crypto::HashAlgorithm::sha256));
    lender.expect_all_released_once();
  }
}

TEST(Builder, BorrowedEdgeCasesReleaseExactlyOnce) {
  const Bytes content = test::random_content(12 * kMiB, 15);
  for (const HashScheme scheme : {HashScheme{}, HashScheme::v2()}) {
    // An empty window, and an empty release callback.
    {
      Lender lender;
      ContentInformationBuilder builder(test_secret(), {scheme, 2, {}});
      lender.lend(builder, std::span<const std::uint8_t>());
      builder.add_borrowed(content, {});
      lender.lend(builder, std::span<const std::uint8_t>());
      EXPECT_EQ(builder.bytes_added(), content.size());
      auto ci = builder.finish();
      ASSERT_TRUE(ci);
      EXPECT_EQ(ci->range, (ByteRange{0, content.size()}));
      lender.expect_all_released_once();
    }
    // After finish(): ignored, and released at once.
    {
      Lender lender;
      ContentInformationBuilder builder(test_secret(), {scheme, 2, {}});
      builder.add(std::span(content).first(1000));
      ASSERT_TRUE(builder.finish());
      lender.lend(builder, content);
      EXPECT_EQ(lender.windows()[0].releases, 1);
      EXPECT_EQ(builder.bytes_added(), 1000U);
    }
    // Abandoned with windows in flight: released by the destructor, after the workers are done
    // with them (AddressSanitizer would see a worker read a freed window).
    {
      Lender lender;
      {
        ContentInformationBuilder builder(test_secret(), {scheme, 2, {}});
        lender.lend(builder, std::span(content).first(8 * kMiB));
        lender.lend(builder, std::span(content).subspan(8 * kMiB));
      }
      lender.expect_all_released_once();
    }
  }
}

TEST(Builder, ReleaseOldestGivesBorrowedMemoryBackWithoutNewData) {
  // How peerdistd answers a client that waits for its shared-buffer pieces before sending
  // more: it asks for the oldest loan back instead of adding data. Three windows out at a time,
  // then given back one call at a time, oldest first.
  const Bytes content = test::random_content(40 * kMiB + 12345, 16);
  for (const HashScheme scheme : {HashScheme{}, HashScheme::v2()}) {
    for (const unsigned threads : {1U, 2U, 16U}) {
      SCOPED_TRACE(std::string(scheme.version == Version::v1 ? "V1" : "V2") + ", threads " +
                   std::to_string(threads));
      Lender lender;
      ContentInformationBuilder builder(test_secret(), {scheme, threads, {}});
      EXPECT_FALSE(builder.release_oldest());  // nothing borrowed
      const std::size_t window = 5 * kMiB;
      std::size_t at = 0;
      while (at < content.size()) {
        const std::size_t first = lender.windows().size();
        for (int i = 0; i < 3 && at < content.size(); ++i) {
          const std::size_t n = std::min(window, content.size() - at);
          lender.lend(builder, std::span(content).subspan(at, n));
          at += n;
        }
        for (std::size_t w = first; w < lender.windows().size(); ++w) {
          const bool more = builder.release_oldest();
          EXPECT_EQ(lender.windows()[w].releases, 1) << "window " << w;
          EXPECT_EQ(more, lender.outstanding() > 0);
          if (!more) break;
        }
        EXPECT_EQ(lender.outstanding(), 0U);
        EXPECT_FALSE(builder.release_oldest());
      }
      auto ci = builder.finish();
      ASSERT_TRUE(ci);
      EXPECT_TRUE(*ci == (scheme.version == Version::v1
                              ? reference_v1(content, test_secret(), crypto::HashAlgorithm::sha256)
                              : reference_v2(content, test_secret())));
      lender.expect_all_released_once();
    }
  }
}

// --- V2 output, checked without the reference model. ---

TEST(Builder, V2SegmentsTileTheContentAndHashIndependently) {
  const Bytes content = test::random_content(6 * kMiB + 4321, 77);
  const ContentInformation ci = build(content, {HashScheme::v2(), 0, {}});
  EXPECT_EQ(ci.version(), Version::v2);
  EXPECT_EQ(ci.scheme, HashScheme::v2());
  EXPECT_EQ(ci.range, (ByteRange{0, content.size()}));
  EXPECT_EQ(ci.v2.length_of_range, 0U);
  EXPECT_TRUE(ci.v2.segments_per_chunk.empty());
  const crypto::Digest ks = test_secret().ks(HashScheme::v2());
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < ci.segments.size(); ++i) {
    const Segment& s = ci.segments[i];
    SCOPED_TRACE("segment " + std::to_string(i));
    EXPECT_EQ(s.index.value(), i);
    EXPECT_EQ(s.offset, at);
    EXPECT_GE(s.length, 1U);
    EXPECT_LE(s.length, kV2MaxSegmentSize);
    EXPECT_TRUE(s.block_hashes.empty());
    EXPECT_EQ(s.first_listed_block.value(), 0U);
    const auto bytes = std::span(content).subspan(s.offset, s.length);
    EXPECT_EQ(s.hod, crypto::hash(crypto::HashAlgorithm::sha512, bytes).truncated(32));
    EXPECT_EQ(s.kp, derive_kp(HashScheme::v2(), ks, s.hod));
    at += s.length;
  }
  EXPECT_EQ(at, content.size());
  // One chunk of 68-byte descriptions after the 31-byte header.
  EXPECT_EQ(encode(ci).size(),
            kV2HeaderSize + kV2ChunkHeaderSize + ci.segments.size() * kV2SegmentDescriptionSize);
}

TEST(Builder, V2UsesTheChunkerParameters) {
  const Bytes content = test::random_content(2 * kMiB, 8);
  const ChunkerParameters small{1024, 4096, 8192};
  const ContentInformation ci = build(content, {HashScheme::v2(), 2, small});
  EXPECT_TRUE(ci == reference_v2(content, test_secret(), small));
  EXPECT_GT(ci.segments.size(), content.size() / 8192);
}

TEST(Builder, V2IgnoresTheHashAlgorithmItIsGiven) {
  // V2 only knows truncated SHA-512; a V2 scheme with another algorithm still builds that.
  const Bytes content = test::random_content(300000, 9);
  const ContentInformation ci =
      build(content, {HashScheme{Version::v2, crypto::HashAlgorithm::sha256}, 1, {}});
  EXPECT_TRUE(ci == reference_v2(content, test_secret()));
}

// --- Edges. ---

TEST(Builder, EmptyContentIsAnError) {
  for (const HashScheme scheme : {HashScheme{}, HashScheme::v2()}) {
    for (const unsigned threads : {1U, 2U}) {
      ContentInformationBuilder nothing(test_secret(), {scheme, threads, {}});
      auto ci = nothing.finish();
      ASSERT_FALSE(ci);
      EXPECT_EQ(ci.error(), make_error_code(Errc::empty_content));

      ContentInformationBuilder empty_pieces(test_secret(), {scheme, threads, {}});
      empty_pieces.add({});
      EXPECT_FALSE(empty_pieces.prepare().empty());
      empty_pieces.commit(0);
      EXPECT_EQ(empty_pieces.bytes_added(), 0U);
      auto ci2 = empty_pieces.finish();
      ASSERT_FALSE(ci2);
      EXPECT_EQ(ci2.error(), make_error_code(Errc::empty_content));
    }
  }
}

TEST(Builder, SpentBuilderIgnoresInputAndFinishFails) {
  const Bytes content = test::random_content(1000, 10);
  ContentInformationBuilder builder(test_secret(), {HashScheme{}, 2, {}});
  builder.add(content);
  ASSERT_TRUE(builder.finish());
  builder.add(content);
  const auto space = builder.prepare();
  EXPECT_FALSE(space.empty());
  builder.commit(space.size());
  EXPECT_EQ(builder.bytes_added(), content.size());
  EXPECT_FALSE(builder.finish());
}

TEST(Builder, AbandonedBuilderWithWorkInFlightIsDestroyedCleanly) {
  const Bytes content = test::random_content(24 * kMiB, 11);
  for (const HashScheme scheme : {HashScheme{}, HashScheme::v2()}) {
    ContentInformationBuilder builder(test_secret(), {scheme, 2, {}});
    builder.add(content);
    EXPECT_EQ(builder.bytes_added(), content.size());
  }  // destroyed with batches still being hashed
}

class BuilderSmallContent : public ::testing::TestWithParam<std::size_t> {};

TEST_P(BuilderSmallContent, MatchesTheReferenceAndTheSegmentationRules) {
  const std::size_t n = GetParam();
  const Bytes content = test::random_content(n, n + 1);

  const ContentInformation v1 = build(content, {HashScheme{}, 2, {}});
  EXPECT_TRUE(v1 == reference_v1(content, test_secret(), crypto::HashAlgorithm::sha256));
  ASSERT_EQ(v1.segments.size(), (n + kV1SegmentSize - 1) / kV1SegmentSize);
  const Segment& last = v1.segments.back();
  EXPECT_EQ(last.end(), n);
  EXPECT_EQ(last.block_hashes.size(), v1_blocks_in_segment(last.length));
  EXPECT_EQ(encode(v1).size(), kV1HeaderSize + v1.segments.size() * (16 + 2 * 32 + 4) +
                                   (n + kV1BlockSize - 1) / kV1BlockSize * 32);

  const ContentInformation v2 = build(content, {HashScheme::v2(), 2, {}});
  EXPECT_TRUE(v2 == reference_v2(content, test_secret()));
  EXPECT_EQ(v2.segments.back().end(), n);
}

INSTANTIATE_TEST_SUITE_P(Sizes, BuilderSmallContent,
                         ::testing::Values(std::size_t{1}, std::size_t{65535}, std::size_t{65536},
                                           std::size_t{65537}, std::size_t{kV1SegmentSize},
                                           std::size_t{kV1SegmentSize} + 1));

}  // namespace
}  // namespace peerdist::pccrc
