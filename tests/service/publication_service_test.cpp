// The service core without sockets: every code path of docs/api.md's server-side and general
// rules, through Instance calls and their replies.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <deque>

#include "peerdist/ipc/shared_buffer.hpp"
#include "peerdist/pccrc/range.hpp"
#include "service_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

namespace peerdist::service::test {
namespace {

using peerdist::test::random_content;

constexpr std::uint32_t kUid = 1000;
constexpr std::size_t kMiB = std::size_t{1} << 20U;
constexpr std::uint32_t kOtherUid = 1001;

// "m0", "m1", ... (built with += : GCC 12 at -O3 warns wrongly about "literal" + std::string).
std::vector<std::uint8_t> numbered(std::size_t i) {
  std::string name("m");
  name += std::to_string(i);
  return {name.begin(), name.end()};
}

// ~300 KiB: several V1 blocks and several V2 segments, hashed in well under a second.
std::vector<std::uint8_t> content() { return random_content(300'000, 7); }

class PublicationServiceTest : public ServiceFixture {};

// ---------------------------------------------------------------------------------------------
// Publishing and reading back

TEST_F(PublicationServiceTest, PublishedContentInformationEqualsTheBuilders) {
  Client& c = client(kUid);
  const auto data = content();
  ASSERT_NE(publish_all(c, id_of("a"), data), 0U);
  // Non-Ex (0, 0): the highest configured version, V2 (docs/api.md, Q16).
  EXPECT_EQ(read_ci(c, id_of("a")), reference(data, pccrc::Version::v2));
  // Ex [1, 1] and [2, 2], and a piece size larger than the CI.
  EXPECT_EQ(read_ci(c, id_of("a"), 0, 0, 1, 1, 1 << 20), reference(data, pccrc::Version::v1));
  EXPECT_EQ(read_ci(c, id_of("a"), 0, 0, 2, 2, 7), reference(data, pccrc::Version::v2));
  // Ex [1, 5]: the highest the publication has within it.
  EXPECT_EQ(read_ci(c, id_of("a"), 0, 0, 1, 5), reference(data, pccrc::Version::v2));
}

TEST_F(PublicationServiceTest, PiecesOfAnyShapeGiveTheSameContentInformation) {
  Client& c = client(kUid);
  const auto data = content();
  Reply opened = publish(c, id_of("pieces"));  // length not known
  ASSERT_TRUE(opened.ok());
  // One application call in three pieces, an empty call, then two one-piece calls.
  const std::size_t cuts[] = {0, 1, 70'000, 70'001, 200'000, data.size()};
  const auto slice = [&](std::size_t i) {
    return std::vector<std::uint8_t>(data.begin() + static_cast<std::ptrdiff_t>(cuts[i]),
                                     data.begin() + static_cast<std::ptrdiff_t>(cuts[i + 1]));
  };
  EXPECT_EQ(add(c, opened.value, slice(0), false).bytes, 1U);
  EXPECT_EQ(add(c, opened.value, slice(1), false).bytes, 69'999U);
  EXPECT_EQ(add(c, opened.value, slice(2), true).bytes, 1U);
  EXPECT_EQ(add(c, opened.value, {}, true).status, ERROR_SUCCESS);
  EXPECT_EQ(add(c, opened.value, slice(3)).status, ERROR_SUCCESS);
  EXPECT_EQ(add(c, opened.value, slice(4)).status, ERROR_SUCCESS);
  ASSERT_EQ(complete(c, opened.value).status, ERROR_SUCCESS);
  EXPECT_EQ(read_ci(c, id_of("pieces"), 0, 0, 1, 1), reference(data, pccrc::Version::v1));
}

TEST_F(PublicationServiceTest, SharedBufferPiecesAreReadInPlace) {
  auto buffer = ipc::SharedBuffer::create(64 * 1024);
  ASSERT_TRUE(buffer);
  auto shared = std::make_shared<ipc::SharedBuffer>(std::move(*buffer));
  Client& c = client(kUid, shared);
  const auto data = content();
  Reply opened = publish(c, id_of("shm"), data.size());
  ASSERT_TRUE(opened.ok());
  for (std::size_t at = 0; at < data.size(); at += 40'000) {
    const std::size_t n = std::min<std::size_t>(40'000, data.size() - at);
    auto span = shared->writable_span(1000, n);
    ASSERT_TRUE(span);
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(at), n, span->begin());
    ipc::AddToStream m;
    m.stream = opened.value;
    m.data = ipc::SharedData{1000, static_cast<std::uint32_t>(n)};
    Reply r = call([&](ReplyHandler h) { c.instance->add_to_stream(next_request++, m, std::move(h)); });
    ASSERT_EQ(r.status, ERROR_SUCCESS);
    EXPECT_EQ(r.bytes, n);
  }
  ASSERT_EQ(complete(c, opened.value).status, ERROR_SUCCESS);
  EXPECT_EQ(read_ci(c, id_of("shm")), reference(data, pccrc::Version::v2));

  // A range outside the buffer, or shared data on an instance without one.
  Reply other = publish(c, id_of("shm2"));
  ipc::AddToStream outside;
  outside.stream = other.value;
  outside.data = ipc::SharedData{60 * 1024, 8 * 1024};
  EXPECT_EQ(call([&](ReplyHandler h) { c.instance->add_to_stream(next_request++, outside, std::move(h)); }).status,
            ERROR_INVALID_PARAMETER);
  Client& plain = client(kUid);
  Reply third = publish(plain, id_of("shm3"));
  outside.stream = third.value;
  outside.data = ipc::SharedData{0, 10};
  EXPECT_EQ(call([&](ReplyHandler h) { plain.instance->add_to_stream(next_request++, outside, std::move(h)); }).status,
            ERROR_INVALID_PARAMETER);
}

// A client of a shared ring, as libpeerdist is: one application call cut into 4 MiB pieces,
// each written into a free slot of the ring and sent at once; a slot is free again when its
// piece's Result arrives, and is then overwritten with garbage at once. Builders with hashing
// threads of their own hash shared pieces in place (no copy), so a Result sent while a worker
// still read the slot would make the published CI describe the garbage.
class SharedRingTest : public ServiceFixture {
 protected:
  static constexpr std::size_t kSlot = std::size_t{4} << 20U;

  void SetUp() override {
    ServiceOptions options = default_options();
    options.builder_threads = 2;
    open(options);
  }

  struct Ring {
    std::shared_ptr<ipc::SharedBuffer> buffer;
    std::size_t slot_size = kSlot;
    std::deque<std::size_t> free;
  };
  static Ring make_ring(std::size_t slots, std::size_t slot_size = kSlot) {
    auto buffer = ipc::SharedBuffer::create(slots * slot_size);
    EXPECT_TRUE(buffer);
    Ring ring{std::make_shared<ipc::SharedBuffer>(std::move(*buffer)), slot_size, {}};
    for (std::size_t i = 0; i < slots; ++i) ring.free.push_back(i);
    return ring;
  }

  // Sends `content` through `ring` as one call on `stream`; every piece's Result in order,
  // with its length. Returns when every piece is answered.
  void send_through(Client& c, Ring& ring, std::uint64_t stream,
                    const std::vector<std::uint8_t>& content) {
    const std::size_t size = ring.slot_size;
    const std::size_t pieces = (content.size() + size - 1) / size;
    std::size_t at = 0;
    std::size_t sent = 0;
    std::size_t answered = 0;
    while (answered < pieces) {
      while (at < content.size() && !ring.free.empty()) {
        const std::size_t slot = ring.free.front();
        ring.free.pop_front();
        const std::size_t n = std::min(size, content.size() - at);
        auto span = ring.buffer->writable_span(slot * size, n);
        ASSERT_TRUE(span);
        std::copy_n(content.begin() + static_cast<std::ptrdiff_t>(at), n, span->begin());
        ipc::AddToStream m;
        m.stream = stream;
        m.last_piece = at + n == content.size();
        m.data = ipc::SharedData{slot * size, static_cast<std::uint32_t>(n)};
        c.instance->add_to_stream(
            next_request++, m, [&ring, &answered, slot, n, size, index = sent++](Reply r) {
              EXPECT_EQ(r.status, ERROR_SUCCESS);
              EXPECT_EQ(r.bytes, n);
              EXPECT_EQ(index, answered) << "Results out of order";
              ++answered;
              // The slot is the client's again: it writes something else there at once.
              auto bytes = ring.buffer->writable_span(slot * size, size);
              std::fill(bytes->begin(), bytes->end(), std::uint8_t{0xA5});
              ring.free.push_back(slot);
            });
        at += n;
      }
      const std::size_t before = answered;
      if (!run_until([&] { return answered > before; })) return;
    }
  }
};

TEST_F(SharedRingTest, PiecesHashedInPlaceAreAnsweredOnlyOnceTheBuildersAreDone) {
  // One slot or two: the client waits for a Result before each new piece, so the daemon must
  // give pieces back without newer data behind them; 8 slots: pieces pipelined, as
  // libpeerdist's 32 MiB ring does. V1 is hashed in place from 4 MiB pieces (a batch), V2
  // from pieces a little over a batch plus the chunker's lookahead at both ends.
  struct Run {
    std::uint32_t flags;  // the versions: V1, V2, or both (0)
    std::size_t slot_size;
    std::size_t slots;
  };
  constexpr std::uint32_t kV1 = PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V1;
  constexpr std::uint32_t kV2 = PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V2;
  const std::size_t v2_slot = kSlot + (std::size_t{1} << 20U);
  const Run runs[] = {{kV1, kSlot, 1},   {kV1, kSlot, 2},      {kV1, kSlot, 8},
                      {kV2, v2_slot, 1}, {kV2, v2_slot, 6},    {0, v2_slot, 2},
                      {0, kSlot, 8},     {kV1, 300'000, 3}};
  std::size_t n = 0;
  for (const Run& run : runs) {
    SCOPED_TRACE("flags " + std::to_string(run.flags) + ", " + std::to_string(run.slots) +
                 " slots of " + std::to_string(run.slot_size));
    const auto data = random_content(7 * run.slot_size + 12345, 31 + n);
    Ring ring = make_ring(run.slots, run.slot_size);
    Client& c = client(kUid, ring.buffer);
    const auto id = numbered(n++);
    Reply opened = publish(c, id, data.size(), run.flags);
    ASSERT_TRUE(opened.ok());
    send_through(c, ring, opened.value, data);
    ASSERT_EQ(complete(c, opened.value).status, ERROR_SUCCESS);
    if (run.flags != kV2) {
      EXPECT_EQ(read_ci(c, id, 0, 0, 1, 1, 1 << 20), reference(data, pccrc::Version::v1));
    }
    if (run.flags != kV1) {
      EXPECT_EQ(read_ci(c, id, 0, 0, 2, 2, 1 << 20), reference(data, pccrc::Version::v2));
    }
    EXPECT_TRUE(close_stream(c, opened.value).ok());
  }
}

TEST_F(SharedRingTest, PiecesInFlightEndOnceInOrderWhateverEndsTheStream) {
  // Cancel, close, unpublish or the end of the instance, after a varying head start: whether
  // the pieces are queued, being fed or lent to the builders, each ends exactly once, in
  // request order, successes before failures; the builders never outlive what they read
  // (AddressSanitizer would see a read of the unmapped ring).
  const auto data = random_content(6 * kSlot, 32);
  enum class End { cancel, close, unpublish, end };
  for (const End how : {End::cancel, End::close, End::unpublish, End::end}) {
    for (const int head_start : {0, 1, 2, 4, 8, 16, 64}) {
      SCOPED_TRACE("end " + std::to_string(static_cast<int>(how)) + " after " +
                   std::to_string(head_start) + " handlers");
      Ring ring = make_ring(6);
      Client& c = client(kUid, ring.buffer);
      const auto id = numbered(100 + static_cast<std::size_t>(head_start));
      Reply opened = publish(c, id, data.size());
      ASSERT_TRUE(opened.ok());
      Journal pieces;
      const std::uint64_t first = next_request;
      for (std::size_t i = 0; i < 6; ++i) {
        auto span = ring.buffer->writable_span(i * kSlot, kSlot);
        std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(i * kSlot), kSlot, span->begin());
        ipc::AddToStream m;
        m.stream = opened.value;
        m.last_piece = i == 5;
        m.data = ipc::SharedData{i * kSlot, static_cast<std::uint32_t>(kSlot)};
        c.instance->add_to_stream(next_request++, m, pieces.handler(std::to_string(i)));
      }
      for (int i = 0; i < head_start; ++i) io.run_one_for(std::chrono::milliseconds(20));
      Slot ended;
      switch (how) {
        case End::cancel: c.instance->cancel(first, ended.handler()); break;
        case End::close: c.instance->close_stream(opened.value, ended.handler()); break;
        case End::unpublish: c.instance->unpublish(id, ended.handler()); break;
        case End::end: c.instance->end(); break;
      }
      if (how != End::end) run_until([&] { return ended.reply.has_value(); });
      // (A cancel that came too late leaves the later pieces to finish normally.)
      run_until([&] { return pieces.entries.size() >= 6; });
      drain();
      // Each piece once, in order; whatever succeeded came before what was aborted.
      ASSERT_EQ(pieces.entries.size(), 6U);
      bool failed = false;
      for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(pieces.entries[i].first, std::to_string(i));
        const Reply& r = pieces.entries[i].second;
        if (r.ok()) {
          EXPECT_FALSE(failed) << "a success after a failure";
          EXPECT_EQ(r.bytes, kSlot);
        } else {
          EXPECT_EQ(r.status, ERROR_OPERATION_ABORTED);
          failed = true;
        }
      }
      if (how == End::cancel) {
        // The cancelled piece was the first: it may have been answered already (NOTFOUND).
        EXPECT_TRUE(ended.reply->ok() || ended.reply->status == PEERDIST_ERROR_OPERATION_NOTFOUND);
        EXPECT_EQ(ended.reply->ok(), failed);
      } else if (how != End::end) {
        EXPECT_TRUE(ended.reply->ok());
      }
      // The client unmaps its ring now; the daemon's mapping stays until the builders are done.
      ring.buffer.reset();
      if (how != End::end && how != End::close) {
        EXPECT_TRUE(close_stream(c, opened.value).ok());
      }
      drain();
      EXPECT_EQ(service_->parallel_streams(), 0U);
    }
  }
}

// File pieces (AddFileToStream, docs/ipc.md "File pieces"): the daemon maps the client's file
// and hashes it in place, as `peerdist hash` does.
class FilePieceTest : public SharedRingTest {
 protected:
  // A file of `content` in the test's directory, opened with `flags`.
  ipc::UniqueFd file_of(const std::vector<std::uint8_t>& content, int flags = O_RDONLY) {
    path = files.write("content.bin", content);
    return ipc::UniqueFd(::open(path.c_str(), flags | O_CLOEXEC));  // NOLINT
  }
  static ipc::UniqueFd duplicate(const ipc::UniqueFd& fd) {
    return ipc::UniqueFd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));  // NOLINT
  }
  void add_file(Client& c, std::uint64_t stream, const ipc::UniqueFd& fd, std::uint64_t offset,
                std::uint32_t length, bool last, ReplyHandler reply) {
    c.instance->add_file_to_stream(next_request++, ipc::AddFileToStream{stream, last, offset, length},
                                   duplicate(fd), std::move(reply));
  }
  Reply add_file(Client& c, std::uint64_t stream, const ipc::UniqueFd& fd, std::uint64_t offset,
                 std::uint32_t length, bool last = true) {
    return call([&](ReplyHandler h) { add_file(c, stream, fd, offset, length, last, std::move(h)); });
  }

  peerdist::test::TempDir files;
  std::string path;
};

TEST_F(FilePieceTest, FilePiecesAreHashedInPlaceAndEqualTheBuilder) {
  // One call of file pieces of odd sizes and offsets, pipelined, with an inline piece and a
  // shared-buffer piece among them; V1 and V2 at once.
  const auto data = random_content(45 * kMiB + 12345, 51);
  const auto fd = file_of(data);
  ASSERT_TRUE(fd);
  Ring ring = make_ring(1);
  Client& c = client(kUid, ring.buffer);
  Reply opened = publish(c, id_of("file"), data.size());
  ASSERT_TRUE(opened.ok());
  Journal pieces;
  std::size_t at = 0;
  const auto file_piece = [&](std::size_t n, bool last = false) {
    add_file(c, opened.value, fd, at, static_cast<std::uint32_t>(n), last,
             pieces.handler("file " + std::to_string(n)));
    at += n;
  };
  file_piece(13 * kMiB + 3);
  file_piece(1);
  {
    ipc::AddToStream m{opened.value, false,
                       ipc::InlineData{{data.begin() + static_cast<std::ptrdiff_t>(at),
                                        data.begin() + static_cast<std::ptrdiff_t>(at + 100'000)}}};
    c.instance->add_to_stream(next_request++, std::move(m), pieces.handler("inline"));
    at += 100'000;
  }
  {
    auto span = ring.buffer->writable_span(0, kSlot);
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(at), kSlot, span->begin());
    ipc::AddToStream m{opened.value, false, ipc::SharedData{0, static_cast<std::uint32_t>(kSlot)}};
    c.instance->add_to_stream(next_request++, std::move(m), pieces.handler("shared"));
    at += kSlot;
  }
  file_piece(20 * kMiB);
  const std::size_t last = data.size() - at;
  file_piece(last, true);
  ASSERT_TRUE(run_until([&] { return pieces.entries.size() == 6; }));
  const std::vector<std::string> order = {"file " + std::to_string(13 * kMiB + 3), "file 1",
                                          "inline", "shared", "file " + std::to_string(20 * kMiB),
                                          "file " + std::to_string(last)};
  EXPECT_EQ(pieces.labels(), order);
  for (const auto& [label, reply] : pieces.entries) {
    EXPECT_EQ(reply.status, ERROR_SUCCESS) << label;
  }
  ASSERT_EQ(complete(c, opened.value).status, ERROR_SUCCESS);
  EXPECT_EQ(read_ci(c, id_of("file"), 0, 0, 1, 1, 1 << 20), reference(data, pccrc::Version::v1));
  EXPECT_EQ(read_ci(c, id_of("file"), 0, 0, 2, 2, 1 << 20), reference(data, pccrc::Version::v2));
}

TEST_F(FilePieceTest, DescriptorsTheDaemonDoesNotReadAreRefusedWhole) {
  const auto data = random_content(3 * kMiB, 52);
  const auto fd = file_of(data);
  ASSERT_TRUE(fd);
  Client& c = client(kUid);
  Reply opened = publish(c, id_of("refused"), data.size());
  ASSERT_TRUE(opened.ok());
  // Past the end of the file; a writable descriptor; a pipe; a directory. Each refused whole
  // (its own call), the stream still open.
  EXPECT_EQ(add_file(c, opened.value, fd, data.size() - 10, 11).status,
            PEERDIST_ERROR_OUT_OF_BOUNDS);
  const ipc::UniqueFd writable(::open(path.c_str(), O_RDWR | O_CLOEXEC));  // NOLINT
  EXPECT_EQ(add_file(c, opened.value, writable, 0, 10).status, ERROR_INVALID_PARAMETER);
  int pipe_fds[2] = {-1, -1};
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  const ipc::UniqueFd read_end(pipe_fds[0]);
  const ipc::UniqueFd write_end(pipe_fds[1]);
  EXPECT_EQ(add_file(c, opened.value, read_end, 0, 10).status, ERROR_INVALID_PARAMETER);
  const ipc::UniqueFd directory(::open(files.path().c_str(), O_RDONLY | O_CLOEXEC));  // NOLINT
  EXPECT_EQ(add_file(c, opened.value, directory, 0, 10).status, ERROR_INVALID_PARAMETER);
  // A call whose first piece is refused fails its later pieces the same way.
  Journal call_pieces;
  add_file(c, opened.value, read_end, 0, 10, false, call_pieces.handler("bad"));
  add_file(c, opened.value, fd, 0, 10, true, call_pieces.handler("good"));
  ASSERT_TRUE(run_until([&] { return call_pieces.entries.size() == 2; }));
  EXPECT_EQ(call_pieces.entries[0].second.status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(call_pieces.entries[1].second.status, ERROR_INVALID_PARAMETER);
  // Nothing was appended: the whole file still publishes, and equals the builder.
  EXPECT_EQ(add_file(c, opened.value, fd, 0, static_cast<std::uint32_t>(data.size())).status,
            ERROR_SUCCESS);
  ASSERT_EQ(complete(c, opened.value).status, ERROR_SUCCESS);
  EXPECT_EQ(read_ci(c, id_of("refused"), 0, 0, 2, 2, 1 << 20), reference(data, pccrc::Version::v2));
}

TEST_F(FilePieceTest, AFileThatShrinksWhileHashedFailsItsStreamNotTheDaemon) {
  // The client truncates its file right after sending its pieces: depending on how far the
  // daemon got, a piece is refused (past the new end), fails when its windows are found
  // damaged (the daemon caught the SIGBUS), or was hashed before. Whatever happened, the
  // daemon lives, Results come once each and in order, and a publication that completes
  // describes the original bytes.
  const auto data = random_content(64 * kMiB, 53);
  int failed_runs = 0;
  std::size_t runs = 0;
  for (const int head_start : {0, 0, 1, 2, 4}) {
    SCOPED_TRACE("head start " + std::to_string(head_start));
    const auto fd = file_of(data);
    ASSERT_TRUE(fd);
    Client& c = client(kUid);
    const auto id = numbered(200 + runs++);
    Reply opened = publish(c, id, data.size());
    ASSERT_TRUE(opened.ok());
    Journal pieces;
    for (std::size_t i = 0; i < 4; ++i) {
      add_file(c, opened.value, fd, i * 16 * kMiB, static_cast<std::uint32_t>(16 * kMiB), i == 3,
               pieces.handler(std::to_string(i)));
    }
    for (int i = 0; i < head_start; ++i) io.run_one_for(std::chrono::milliseconds(5));
    ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(5 * kMiB)), 0);
    ASSERT_TRUE(run_until([&] { return pieces.entries.size() == 4; }));
    bool failed = false;
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(pieces.entries[i].first, std::to_string(i));
      const std::uint32_t status = pieces.entries[i].second.status;
      if (status == ERROR_SUCCESS) {
        EXPECT_FALSE(failed) << "a success after a failure";
      } else {
        EXPECT_TRUE(status == PEERDIST_ERROR_OUT_OF_BOUNDS) << status;
        failed = true;
      }
    }
    const Reply completed = complete(c, opened.value);
    if (failed) {
      ++failed_runs;
      EXPECT_NE(completed.status, ERROR_SUCCESS);
      EXPECT_EQ(open_ci(c, id).status, ERROR_NOT_FOUND);
    } else {
      ASSERT_EQ(completed.status, ERROR_SUCCESS);
      EXPECT_EQ(read_ci(c, id, 0, 0, 1, 1, 1 << 20), reference(data, pccrc::Version::v1));
    }
    EXPECT_TRUE(close_stream(c, opened.value).ok());
  }
  // 64 MiB take far longer to hash than to truncate: nearly every run sees the truncation.
  EXPECT_GT(failed_runs, 0);
}

// ---------------------------------------------------------------------------------------------
// Versions and ranges

TEST_F(PublicationServiceTest, VersionFlagsRestrictOnePublication) {
  Client& c = client(kUid);
  const auto data = content();
  ASSERT_NE(publish_all(c, id_of("v1"), data, PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V1), 0U);
  EXPECT_EQ(read_ci(c, id_of("v1")), reference(data, pccrc::Version::v1));  // non-Ex
  EXPECT_EQ(open_ci(c, id_of("v1"), 0, 0, 2, 2).status,
            PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED);
  ASSERT_NE(publish_all(c, id_of("v2"), data, PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V2), 0U);
  EXPECT_EQ(open_ci(c, id_of("v2"), 0, 0, 1, 1).status,
            PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED);
  // Both bits: the configured versions.
  ASSERT_NE(publish_all(c, id_of("both"), data,
                        PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V1 |
                            PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V2),
            0U);
  EXPECT_EQ(read_ci(c, id_of("both"), 0, 0, 1, 1), reference(data, pccrc::Version::v1));
  // Min above max; unknown flags; an unknown options version; flags without options.
  EXPECT_EQ(open_ci(c, id_of("both"), 0, 0, 2, 1).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(publish(c, id_of("x"), 0, 0x1).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(publish(c, id_of("x"), 0, 0, 3).status, ERROR_INVALID_PARAMETER);
  ipc::PublishStream no_options{id_of("x"), 0, 0, PEERDIST_PUBLICATION_FLAG_PERSISTENT};
  EXPECT_EQ(call([&](ReplyHandler h) { c.instance->publish_stream(no_options, std::move(h)); }).status,
            ERROR_INVALID_PARAMETER);
  // Options version 1 and no options at all are both fine.
  EXPECT_TRUE(publish(c, id_of("o1"), 0, 0, 1).ok());
  EXPECT_TRUE(publish(c, id_of("o0"), 0, 0, 0).ok());
}

TEST_F(PublicationServiceTest, ConfiguredVersionsBoundWhatIsProducedAndServed) {
  ServiceOptions options = default_options();
  options.versions = {pccrc::Version::v1};
  restart(options);
  Client& c = client(kUid);
  const auto data = content();
  EXPECT_EQ(publish(c, id_of("v2"), 0, PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V2).status,
            ERROR_INVALID_PARAMETER);
  ASSERT_NE(publish_all(c, id_of("a"), data), 0U);
  EXPECT_EQ(read_ci(c, id_of("a")), reference(data, pccrc::Version::v1));
  EXPECT_EQ(open_ci(c, id_of("a"), 0, 0, 2, 2).status,
            PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED);
  EXPECT_EQ(c.instance->get_status().value, PEERDIST_STATUS_AVAILABLE);
  EXPECT_EQ(service_->status().min_ci_version, 1U);
  EXPECT_EQ(service_->status().max_ci_version, 1U);
}

TEST_F(PublicationServiceTest, RangesAreSlicedFromTheWholeContentInformation) {
  Client& c = client(kUid);
  const auto data = content();
  ASSERT_NE(publish_all(c, id_of("r"), data), 0U);
  for (pccrc::Version v : {pccrc::Version::v1, pccrc::Version::v2}) {
    const auto whole = reference_ci(data, v);
    const std::uint32_t n = static_cast<std::uint32_t>(v);
    auto sliced = pccrc::slice(whole, {100'000, 150'000});
    ASSERT_TRUE(sliced);
    EXPECT_EQ(read_ci(c, id_of("r"), 100'000, 50'000, n, n), pccrc::encode(*sliced));
    // A non-zero offset with length 0 runs to the end (Q10).
    auto tail = pccrc::slice(whole, {200'000, data.size()});
    ASSERT_TRUE(tail);
    EXPECT_EQ(read_ci(c, id_of("r"), 200'000, 0, n, n), pccrc::encode(*tail));
    // The whole content spelt as a range is the whole CI.
    EXPECT_EQ(read_ci(c, id_of("r"), 0, data.size(), n, n), pccrc::encode(whole));
  }
  EXPECT_EQ(open_ci(c, id_of("r"), data.size(), 0).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(open_ci(c, id_of("r"), 1, data.size()).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(open_ci(c, id_of("r"), 10, UINT64_MAX).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(open_ci(c, id_of("r"), UINT64_MAX, 1).status, ERROR_INVALID_PARAMETER);
}

TEST_F(PublicationServiceTest, RetrieveEndsWithNoMoreAndChecksItsArguments) {
  Client& c = client(kUid);
  ASSERT_NE(publish_all(c, id_of("n"), content()), 0U);
  Reply opened = open_ci(c, id_of("n"));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(retrieve(c, opened.value, 0).status, ERROR_INVALID_PARAMETER);
  Reply all = retrieve(c, opened.value, UINT32_MAX);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value, 0U);
  EXPECT_EQ(all.bytes, all.data.size());
  Reply end = retrieve(c, opened.value, 100);
  EXPECT_EQ(end.status, PEERDIST_ERROR_NO_MORE);
  EXPECT_EQ(end.bytes, 0U);
  EXPECT_EQ(retrieve(c, opened.value, 100).status, PEERDIST_ERROR_NO_MORE);
  EXPECT_EQ(retrieve(c, opened.value + 100, 100).status, ERROR_INVALID_HANDLE);
  EXPECT_TRUE(call([&](ReplyHandler h) { c.instance->close_content_information(opened.value, std::move(h)); }).ok());
  EXPECT_EQ(retrieve(c, opened.value, 100).status, ERROR_INVALID_HANDLE);
  EXPECT_EQ(call([&](ReplyHandler h) { c.instance->close_content_information(opened.value, std::move(h)); }).status,
            ERROR_INVALID_HANDLE);
}

// ---------------------------------------------------------------------------------------------
// Users and identifiers

TEST_F(PublicationServiceTest, AlreadyExistsIsPerUserAndCoversStreamsInProgress) {
  Client& a = client(kUid);
  Client& a2 = client(kUid);  // another instance of the same user
  Client& b = client(kOtherUid);
  const auto data = content();
  Reply in_progress = publish(a, id_of("x"));
  ASSERT_TRUE(in_progress.ok());
  EXPECT_EQ(publish(a, id_of("x")).status, PEERDIST_ERROR_ALREADY_EXISTS);
  EXPECT_EQ(publish(a2, id_of("x")).status, PEERDIST_ERROR_ALREADY_EXISTS);
  // Not complete: not found, even for its owner.
  EXPECT_EQ(open_ci(a, id_of("x")).status, ERROR_NOT_FOUND);
  // Another user: an independent publication.
  ASSERT_NE(publish_all(b, id_of("x"), random_content(5000, 1)), 0U);
  EXPECT_EQ(open_ci(a, id_of("x")).status, ERROR_NOT_FOUND);
  ASSERT_TRUE(add(a, in_progress.value, data).ok());
  ASSERT_TRUE(complete(a, in_progress.value).ok());
  EXPECT_EQ(publish(a2, id_of("x")).status, PEERDIST_ERROR_ALREADY_EXISTS);
  EXPECT_EQ(read_ci(a2, id_of("x")), reference(data, pccrc::Version::v2));
  EXPECT_EQ(read_ci(b, id_of("x")), reference(random_content(5000, 1), pccrc::Version::v2));
  // Unpublish sees only the caller's own.
  EXPECT_TRUE(unpublish(b, id_of("x")).ok());
  EXPECT_TRUE(open_ci(a, id_of("x")).ok());
  EXPECT_EQ(open_ci(b, id_of("x")).status, ERROR_NOT_FOUND);
}

TEST_F(PublicationServiceTest, IdentifierLimits) {
  Client& c = client(kUid);
  EXPECT_EQ(publish(c, {}).status, ERROR_INVALID_PARAMETER);
  EXPECT_TRUE(publish(c, std::vector<std::uint8_t>(ipc::kMaxContentIdSize, 1)).ok());
  EXPECT_EQ(publish(c, std::vector<std::uint8_t>(ipc::kMaxContentIdSize + 1, 1)).status,
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(open_ci(c, {}).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(unpublish(c, {}).status, ERROR_INVALID_PARAMETER);
}

// ---------------------------------------------------------------------------------------------
// Lengths

TEST_F(PublicationServiceTest, LengthMismatchAndEmptyContentPublishNothing) {
  Client& c = client(kUid);
  Reply s = publish(c, id_of("len"), 10);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(complete(c, s.value).status, ERROR_INVALID_PARAMETER);  // zero bytes
  EXPECT_TRUE(add(c, s.value, std::vector<std::uint8_t>(6, 1)).ok());
  EXPECT_EQ(complete(c, s.value).status, ERROR_INVALID_PARAMETER);  // 6 of 10
  EXPECT_EQ(open_ci(c, id_of("len")).status, ERROR_NOT_FOUND);
  // Past the length: refused whole, nothing consumed; the stream goes on.
  Reply over = add(c, s.value, std::vector<std::uint8_t>(5, 2));
  EXPECT_EQ(over.status, PEERDIST_ERROR_OUT_OF_BOUNDS);
  EXPECT_EQ(over.bytes, 0U);
  EXPECT_TRUE(add(c, s.value, std::vector<std::uint8_t>(4, 2)).ok());
  EXPECT_TRUE(complete(c, s.value).ok());
  const std::vector<std::uint8_t> expected{1, 1, 1, 1, 1, 1, 2, 2, 2, 2};
  EXPECT_EQ(read_ci(c, id_of("len")), reference(expected, pccrc::Version::v2));

  // Unknown length and no data.
  Reply empty = publish(c, id_of("empty"));
  EXPECT_EQ(complete(c, empty.value).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(open_ci(c, id_of("empty")).status, ERROR_NOT_FOUND);
}

TEST_F(PublicationServiceTest, AFailedPieceFailsTheRestOfItsCall) {
  Client& c = client(kUid);
  Reply s = publish(c, id_of("call"), 10);
  ASSERT_TRUE(s.ok());
  // One call in three pieces; the second would pass the length.
  Journal& j = journal;
  auto piece = [&](std::size_t n, bool last, const char* label) {
    ipc::AddToStream m;
    m.stream = s.value;
    m.last_piece = last;
    m.data = ipc::InlineData{std::vector<std::uint8_t>(n, 3)};
    c.instance->add_to_stream(next_request++, std::move(m), j.handler(label));
  };
  piece(4, false, "first");
  piece(8, false, "second");
  piece(1, true, "third");
  run_until([&] { return j.entries.size() == 3; });
  ASSERT_EQ(j.labels(), (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(j.entries[0].second.status, ERROR_SUCCESS);
  EXPECT_EQ(j.entries[1].second.status, PEERDIST_ERROR_OUT_OF_BOUNDS);
  EXPECT_EQ(j.entries[2].second.status, PEERDIST_ERROR_OUT_OF_BOUNDS);
  // The next call starts afresh.
  EXPECT_TRUE(add(c, s.value, std::vector<std::uint8_t>(6, 3)).ok());
  EXPECT_TRUE(complete(c, s.value).ok());
  EXPECT_EQ(read_ci(c, id_of("call")), reference(std::vector<std::uint8_t>(10, 3), pccrc::Version::v2));
}

// ---------------------------------------------------------------------------------------------
// Stream handle rules

TEST_F(PublicationServiceTest, StreamHandleRules) {
  Client& c = client(kUid);
  Reply s = publish(c, id_of("h"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(add(c, s.value + 1000, {1}).status, ERROR_INVALID_HANDLE);
  EXPECT_EQ(complete(c, s.value + 1000).status, ERROR_INVALID_HANDLE);
  EXPECT_EQ(close_stream(c, s.value + 1000).status, ERROR_INVALID_HANDLE);
  // A stream id is no content-information handle, and the other way round.
  EXPECT_EQ(retrieve(c, s.value, 10).status, ERROR_INVALID_HANDLE);

  // A second AddToStream call while one is in flight.
  ipc::AddToStream first{s.value, true, ipc::InlineData{random_content(100'000, 2)}};
  ipc::AddToStream second{s.value, true, ipc::InlineData{{1, 2, 3}}};
  c.instance->add_to_stream(next_request++, first, journal.handler("first"));
  c.instance->add_to_stream(next_request++, second, journal.handler("second"));
  ASSERT_EQ(journal.labels(), std::vector<std::string>{"second"});
  EXPECT_EQ(journal.entries[0].second.status, ERROR_INVALID_PARAMETER);
  run_until([&] { return journal.entries.size() == 2; });
  EXPECT_TRUE(journal.entries[1].second.ok());

  // After success only Close: Add and Complete are refused; Close does not unpublish.
  ASSERT_TRUE(complete(c, s.value).ok());
  EXPECT_EQ(add(c, s.value, {1}).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(complete(c, s.value).status, ERROR_INVALID_PARAMETER);
  EXPECT_TRUE(close_stream(c, s.value).ok());
  EXPECT_TRUE(open_ci(c, id_of("h")).ok());
  EXPECT_EQ(close_stream(c, s.value).status, ERROR_INVALID_HANDLE);
}

TEST_F(PublicationServiceTest, CompleteQueuedBehindPiecesAndSecondCompleteRefused) {
  Client& c = client(kUid);
  Reply s = publish(c, id_of("q"));
  const auto data = content();
  c.instance->add_to_stream(next_request++, ipc::AddToStream{s.value, true, ipc::InlineData{data}},
                            journal.handler("add"));
  c.instance->complete_stream(next_request++, s.value, journal.handler("complete"));
  c.instance->complete_stream(next_request++, s.value, journal.handler("again"));
  ASSERT_EQ(journal.labels(), std::vector<std::string>{"again"});
  EXPECT_EQ(journal.entries[0].second.status, ERROR_INVALID_PARAMETER);
  run_until([&] { return journal.entries.size() == 3; });
  EXPECT_EQ(journal.labels(), (std::vector<std::string>{"again", "add", "complete"}));
  EXPECT_TRUE(journal.entries[2].second.ok());
  EXPECT_EQ(read_ci(c, id_of("q")), reference(data, pccrc::Version::v2));
}

TEST_F(PublicationServiceTest, HandleLimitPerInstance) {
  ServiceOptions options = default_options();
  options.max_handles_per_connection = 2;
  restart(options);
  Client& c = client(kUid);
  ASSERT_NE(publish_all(c, id_of("one"), {1, 2, 3}), 0U);
  EXPECT_TRUE(open_ci(c, id_of("one")).ok());
  EXPECT_EQ(publish(c, id_of("two")).status, ERROR_TOO_MANY_OPEN_FILES);
  EXPECT_EQ(open_ci(c, id_of("one")).status, ERROR_TOO_MANY_OPEN_FILES);
  Client& other = client(kUid);
  EXPECT_TRUE(publish(other, id_of("two")).ok());
}

// ---------------------------------------------------------------------------------------------
// Cancellation

TEST_F(PublicationServiceTest, CancelAPendingAddAbandonsThePublication) {
  Client& c = client(kUid);
  Reply s = publish(c, id_of("c"));
  const std::uint64_t add_id = next_request++;
  c.instance->add_to_stream(add_id, ipc::AddToStream{s.value, true, ipc::InlineData{content()}},
                            journal.handler("add"));
  c.instance->cancel(add_id, journal.handler("cancel"));
  // Cancelled first, then the canceller (docs/ipc.md rule 4).
  ASSERT_EQ(journal.labels(), (std::vector<std::string>{"add", "cancel"}));
  EXPECT_EQ(journal.entries[0].second.status, ERROR_OPERATION_ABORTED);
  EXPECT_EQ(journal.entries[1].second.status, ERROR_SUCCESS);
  drain();
  EXPECT_EQ(journal.entries.size(), 2U);  // exactly one completion
  // The stream only accepts Close; the identifier is free again.
  EXPECT_EQ(add(c, s.value, {1}).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(complete(c, s.value).status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(open_ci(c, id_of("c")).status, ERROR_NOT_FOUND);
  ASSERT_NE(publish_all(c, id_of("c"), {9}), 0U);
  EXPECT_TRUE(close_stream(c, s.value).ok());
}

TEST_F(PublicationServiceTest, CancelAQueuedCompleteAndUnknownOrFinishedOperations) {
  Client& c = client(kUid);
  Reply s = publish(c, id_of("cc"));
  c.instance->add_to_stream(next_request++, ipc::AddToStream{s.value, true, ipc::InlineData{content()}},
                            journal.handler("add"));
  const std::uint64_t complete_id = next_request++;
  c.instance->complete_stream(complete_id, s.value, journal.handler("complete"));
  c.instance->cancel(complete_id, journal.handler("cancel"));
  // The complete and the add before it end aborted, before the cancel's own reply.
  ASSERT_EQ(journal.entries.size(), 3U);
  EXPECT_EQ(journal.entries.back().first, "cancel");
  EXPECT_TRUE(journal.entries.back().second.ok());
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(journal.entries[i].second.status, ERROR_OPERATION_ABORTED);
  }
  drain();
  EXPECT_EQ(journal.entries.size(), 3U);
  EXPECT_EQ(open_ci(c, id_of("cc")).status, ERROR_NOT_FOUND);

  // Unknown, and already completed.
  EXPECT_EQ(call([&](ReplyHandler h) { c.instance->cancel(424242, std::move(h)); }).status,
            PEERDIST_ERROR_OPERATION_NOTFOUND);
  Reply t = publish(c, id_of("done"));
  const std::uint64_t done_id = next_request;
  ASSERT_TRUE(add(c, t.value, {1, 2}).ok());
  EXPECT_EQ(call([&](ReplyHandler h) { c.instance->cancel(done_id, std::move(h)); }).status,
            PEERDIST_ERROR_OPERATION_NOTFOUND);
  // Another instance's operation is not found either.
  Client& other = client(kUid);
  c.instance->add_to_stream(next_request, ipc::AddToStream{t.value, true, ipc::InlineData{{3}}},
                            journal.handler("mine"));
  EXPECT_EQ(call([&](ReplyHandler h) { other.instance->cancel(next_request, std::move(h)); }).status,
            PEERDIST_ERROR_OPERATION_NOTFOUND);
  ++next_request;
  run_until([&] { return journal.entries.size() == 4; });
}

TEST_F(PublicationServiceTest, CloseStreamCancelsWhatIsPending) {
  Client& c = client(kUid);
  Reply s = publish(c, id_of("close"));
  c.instance->add_to_stream(next_request++, ipc::AddToStream{s.value, true, ipc::InlineData{content()}},
                            journal.handler("add"));
  c.instance->close_stream(s.value, journal.handler("close"));
  ASSERT_EQ(journal.labels(), (std::vector<std::string>{"add", "close"}));
  EXPECT_EQ(journal.entries[0].second.status, ERROR_OPERATION_ABORTED);
  EXPECT_TRUE(journal.entries[1].second.ok());
  drain();
  EXPECT_EQ(journal.entries.size(), 2U);
  EXPECT_TRUE(publish(c, id_of("close")).ok());  // the identifier is free
  EXPECT_EQ(service_->parallel_streams(), 0U);
}

// ---------------------------------------------------------------------------------------------
// Unpublish

TEST_F(PublicationServiceTest, UnpublishRemovesAndAbortsAndIsQuietForUnknownIds) {
  Client& c = client(kUid);
  EXPECT_TRUE(unpublish(c, id_of("never")).ok());
  ASSERT_NE(publish_all(c, id_of("u"), content()), 0U);
  Reply reader = open_ci(c, id_of("u"));
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE(unpublish(c, id_of("u")).ok());
  EXPECT_EQ(open_ci(c, id_of("u")).status, ERROR_NOT_FOUND);
  // An open reader on it no longer hands it out; it still needs closing.
  EXPECT_EQ(retrieve(c, reader.value, 100).status, ERROR_NOT_FOUND);
  EXPECT_TRUE(call([&](ReplyHandler h) { c.instance->close_content_information(reader.value, std::move(h)); }).ok());

  // A stream in progress for that identifier: its pending operation is aborted first.
  Reply s = publish(c, id_of("u"));
  c.instance->add_to_stream(next_request++, ipc::AddToStream{s.value, true, ipc::InlineData{content()}},
                            journal.handler("add"));
  Reply removed = call([&](ReplyHandler h) { c.instance->unpublish(id_of("u"), std::move(h)); });
  EXPECT_TRUE(removed.ok());
  ASSERT_EQ(journal.labels(), std::vector<std::string>{"add"});
  EXPECT_EQ(journal.entries[0].second.status, ERROR_OPERATION_ABORTED);
  EXPECT_EQ(complete(c, s.value).status, ERROR_INVALID_PARAMETER);
  drain();
  EXPECT_EQ(open_ci(c, id_of("u")).status, ERROR_NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// Status, policy and invalidation

TEST_F(PublicationServiceTest, StatusNotificationBaselineAndUnregister) {
  Client& c = client(kUid);
  EXPECT_EQ(c.instance->get_status().value, PEERDIST_STATUS_AVAILABLE);
  // First registration: baseline DISABLED, so it fires at once with AVAILABLE (Q12).
  Reply first = call([&](ReplyHandler h) {
    c.instance->register_status_notification(next_request++, PEERDIST_STATUS_DISABLED, std::move(h));
  });
  EXPECT_TRUE(first.ok());
  EXPECT_EQ(first.value, PEERDIST_STATUS_AVAILABLE);
  // Same status: pending; a second registration is refused; unregister aborts it.
  c.instance->register_status_notification(next_request++, PEERDIST_STATUS_AVAILABLE,
                                           journal.handler("armed"));
  c.instance->register_status_notification(next_request++, PEERDIST_STATUS_AVAILABLE,
                                           journal.handler("second"));
  c.instance->unregister_status_notification(journal.handler("unregister"));
  ASSERT_EQ(journal.labels(), (std::vector<std::string>{"second", "armed", "unregister"}));
  EXPECT_EQ(journal.entries[0].second.status, ERROR_INVALID_PARAMETER);
  EXPECT_EQ(journal.entries[1].second.status, ERROR_OPERATION_ABORTED);
  EXPECT_TRUE(journal.entries[2].second.ok());
  // Unregister with nothing registered is fine; cancelling a registration works too.
  EXPECT_TRUE(call([&](ReplyHandler h) { c.instance->unregister_status_notification(std::move(h)); }).ok());
  const std::uint64_t reg = next_request++;
  c.instance->register_status_notification(reg, PEERDIST_STATUS_AVAILABLE, journal.handler("reg"));
  EXPECT_TRUE(call([&](ReplyHandler h) { c.instance->cancel(reg, std::move(h)); }).ok());
  EXPECT_EQ(journal.entries.back().first, "reg");
  EXPECT_EQ(journal.entries.back().second.status, ERROR_OPERATION_ABORTED);
}

TEST_F(PublicationServiceTest, DisableInvalidatesHandlesAndRefusesNewOnes) {
  Client& c = client(kUid);
  Client& watcher = client(kOtherUid);
  const auto data = content();
  ASSERT_NE(publish_all(c, id_of("kept"), data, PEERDIST_PUBLICATION_FLAG_PERSISTENT), 0U);
  Reply reader = open_ci(c, id_of("kept"));
  Reply s = publish(c, id_of("streaming"));
  c.instance->add_to_stream(next_request++, ipc::AddToStream{s.value, true, ipc::InlineData{data}},
                            journal.handler("pending add"));
  watcher.instance->register_status_notification(next_request++, PEERDIST_STATUS_AVAILABLE,
                                                 journal.handler("notification"));

  service_->set_policy(false, {pccrc::Version::v1, pccrc::Version::v2});
  // Everyone is told first (StatusChanged), then pending operations end.
  ASSERT_EQ(c.statuses.size(), 1U);
  EXPECT_EQ(c.statuses[0].status, PEERDIST_STATUS_DISABLED);
  ASSERT_EQ(watcher.statuses.size(), 1U);
  ASSERT_EQ(journal.entries.size(), 2U);
  EXPECT_EQ(journal.entries[0].first, "pending add");
  EXPECT_EQ(journal.entries[0].second.status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(journal.entries[1].first, "notification");
  EXPECT_EQ(journal.entries[1].second.value, PEERDIST_STATUS_DISABLED);

  EXPECT_EQ(c.instance->get_status().value, PEERDIST_STATUS_DISABLED);
  EXPECT_EQ(add(c, s.value, {1}).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(complete(c, s.value).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(retrieve(c, reader.value, 100).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(publish(c, id_of("new")).status, ERROR_ACCESS_DISABLED_BY_POLICY);
  EXPECT_EQ(open_ci(c, id_of("kept")).status, ERROR_ACCESS_DISABLED_BY_POLICY);
  EXPECT_EQ(unpublish(c, id_of("kept")).status, ERROR_ACCESS_DISABLED_BY_POLICY);
  // The close functions still succeed.
  EXPECT_TRUE(close_stream(c, s.value).ok());
  EXPECT_TRUE(call([&](ReplyHandler h) { c.instance->close_content_information(reader.value, std::move(h)); }).ok());

  // Enabled again: new handles work, the publication is still there, the stream's identifier
  // is free.
  service_->set_policy(true, {pccrc::Version::v1, pccrc::Version::v2});
  ASSERT_EQ(c.statuses.size(), 2U);
  EXPECT_EQ(c.statuses[1].status, PEERDIST_STATUS_AVAILABLE);
  EXPECT_EQ(read_ci(c, id_of("kept")), reference(data, pccrc::Version::v2));
  EXPECT_TRUE(publish(c, id_of("streaming")).ok());
  // No change, no broadcast; a versions change alone is broadcast.
  service_->set_policy(true, {pccrc::Version::v1, pccrc::Version::v2});
  EXPECT_EQ(c.statuses.size(), 2U);
  service_->set_policy(true, {pccrc::Version::v2});
  ASSERT_EQ(c.statuses.size(), 3U);
  EXPECT_EQ(c.statuses[2].min_ci_version, 2U);
}

TEST_F(PublicationServiceTest, StopMakesTheServiceUnavailable) {
  Client& c = client(kUid);
  Reply s = publish(c, id_of("s"));
  service_->stop();
  ASSERT_EQ(c.statuses.size(), 1U);
  EXPECT_EQ(c.statuses[0].status, PEERDIST_STATUS_UNAVAILABLE);
  EXPECT_EQ(add(c, s.value, {1}).status, PEERDIST_ERROR_INVALIDATED);
  EXPECT_EQ(publish(c, id_of("t")).status, PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  service_->set_policy(true, {pccrc::Version::v1});  // ignored once stopping
  EXPECT_EQ(service_->status().status, PEERDIST_STATUS_UNAVAILABLE);
}

// ---------------------------------------------------------------------------------------------
// Instance lifetime and persistence

TEST_F(PublicationServiceTest, ShutdownRemovesOnlyTheInstancesNonPersistentPublications) {
  Client& a = client(kUid);
  Client& b = client(kUid);
  const auto data = content();
  ASSERT_NE(publish_all(a, id_of("temp"), data), 0U);
  ASSERT_NE(publish_all(a, id_of("keep"), data, PEERDIST_PUBLICATION_FLAG_PERSISTENT), 0U);
  ASSERT_NE(publish_all(b, id_of("b-temp"), data), 0U);
  // b takes over "moved": a publishes it, b unpublishes it and publishes its own.
  ASSERT_NE(publish_all(a, id_of("moved"), data), 0U);
  ASSERT_TRUE(unpublish(b, id_of("moved")).ok());
  ASSERT_NE(publish_all(b, id_of("moved"), data), 0U);
  // A pending operation ends before the shutdown's reply.
  Reply s = publish(a, id_of("pending"));
  a.instance->add_to_stream(next_request++, ipc::AddToStream{s.value, true, ipc::InlineData{data}},
                            journal.handler("add"));
  a.instance->shutdown(journal.handler("shutdown"));
  run_until([&] { return journal.entries.size() == 2; });
  EXPECT_EQ(journal.labels(), (std::vector<std::string>{"add", "shutdown"}));
  EXPECT_EQ(journal.entries[0].second.status, ERROR_OPERATION_ABORTED);
  EXPECT_TRUE(journal.entries[1].second.ok());

  EXPECT_EQ(open_ci(b, id_of("temp")).status, ERROR_NOT_FOUND);
  EXPECT_TRUE(open_ci(b, id_of("keep")).ok());
  EXPECT_TRUE(open_ci(b, id_of("b-temp")).ok());
  EXPECT_TRUE(open_ci(b, id_of("moved")).ok());
  EXPECT_EQ(open_ci(b, id_of("pending")).status, ERROR_NOT_FOUND);
  EXPECT_TRUE(publish(b, id_of("pending")).ok());
}

TEST_F(PublicationServiceTest, PersistentPublicationsSurviveARestart) {
  const auto data = content();
  {
    Client& a = client(kUid);
    ASSERT_NE(publish_all(a, id_of("keep"), data, PEERDIST_PUBLICATION_FLAG_PERSISTENT), 0U);
    ASSERT_NE(publish_all(a, id_of("temp"), data), 0U);
  }
  restart();
  Client& c = client(kUid);
  EXPECT_EQ(read_ci(c, id_of("keep")), reference(data, pccrc::Version::v2));
  EXPECT_EQ(read_ci(c, id_of("keep"), 0, 0, 1, 1), reference(data, pccrc::Version::v1));
  EXPECT_EQ(open_ci(c, id_of("temp")).status, ERROR_NOT_FOUND);
  EXPECT_EQ(startup.counts.publications, 1U);
  EXPECT_EQ(startup.counts.persistent, 1U);
  // Persistent until unpublished.
  EXPECT_TRUE(unpublish(c, id_of("keep")).ok());
  restart();
  Client& d = client(kUid);
  EXPECT_EQ(open_ci(d, id_of("keep")).status, ERROR_NOT_FOUND);
}

TEST_F(PublicationServiceTest, NonPersistentPublicationsLeftByACrashAreRemovedAtStart) {
  close();
  {
    // What a killed daemon leaves: rows it wrote for instances that are gone.
    auto catalog = store::Catalog::open(catalog_file());
    ASSERT_TRUE(catalog);
    const auto data = content();
    const auto v2 = reference(data, pccrc::Version::v2);
    for (bool persistent : {false, true}) {
      store::NewPublication p;
      p.owner_uid = kUid;
      const auto id = id_of(persistent ? "persistent" : "crashed");
      p.content_id = id;
      p.content_length = data.size();
      p.persistent = persistent;
      p.content_information.push_back({pccrc::Version::v2, v2});
      ASSERT_TRUE(catalog->insert_publication(p));
    }
  }
  open();
  EXPECT_EQ(startup.removed_non_persistent, 1U);
  Client& c = client(kUid);
  EXPECT_EQ(open_ci(c, id_of("crashed")).status, ERROR_NOT_FOUND);
  EXPECT_EQ(read_ci(c, id_of("persistent")), reference(content(), pccrc::Version::v2));
}

TEST_F(PublicationServiceTest, AnInstanceEndedWithoutShutdownStillDropsItsPublications) {
  Client& a = client(kUid);
  ASSERT_NE(publish_all(a, id_of("gone"), {1, 2, 3}), 0U);
  a.instance->end();
  a.instance.reset();
  Client& b = client(kUid);
  EXPECT_EQ(open_ci(b, id_of("gone")).status, ERROR_NOT_FOUND);
}

TEST_F(PublicationServiceTest, ManyStreamsAtOnce) {
  Client& c = client(kUid);
  std::vector<std::uint64_t> streams;
  for (std::size_t i = 0; i < 6; ++i) {
    Reply s = publish(c, numbered(i));
    ASSERT_TRUE(s.ok());
    streams.push_back(s.value);
  }
  // All fed at the same time, completed while still being fed.
  for (std::size_t i = 0; i < streams.size(); ++i) {
    c.instance->add_to_stream(next_request++,
                              ipc::AddToStream{streams[i], true, ipc::InlineData{random_content(200'000, i)}},
                              journal.handler("add"));
    c.instance->complete_stream(next_request++, streams[i], journal.handler("complete"));
  }
  run_until([&] { return journal.entries.size() == 2 * streams.size(); });
  for (const auto& [label, reply] : journal.entries) EXPECT_TRUE(reply.ok()) << label;
  // Every stream gave its builders back.
  EXPECT_EQ(service_->parallel_streams(), 0U);
  for (std::size_t i = 0; i < streams.size(); ++i) {
    EXPECT_EQ(read_ci(c, numbered(i), 0, 0, 0, 0, 1 << 20),
              reference(random_content(200'000, i), pccrc::Version::v2));
  }
}

}  // namespace
}  // namespace peerdist::service::test
