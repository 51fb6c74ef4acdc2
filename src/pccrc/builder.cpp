// The content-information builder: cuts the stream into V1 blocks or V2 segments, has them
// hashed by a BatchPipeline, and assembles the CI from the results in content order.
#include "peerdist/pccrc/builder.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstring>

#include "batch_pipeline.hpp"
#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/errc.hpp"

namespace peerdist::pccrc {
namespace {

// Batch size when memory allows: large enough that what is paid per batch (a task hand-off, a
// V2 carry of up to 128 KiB to the next batch) is noise, small enough that the in-flight batches
// of a few workers stay far below the memory budget.
constexpr std::size_t kMaxBatchBytes = std::size_t{4} << 20U;
// The smallest batch, for many workers: still 8 V1 blocks, and 4x the largest V2 carry.
constexpr std::size_t kMinBatchBytes = std::size_t{512} << 10U;
// What all batches in flight may use together, whatever the number of workers (the builder's
// peak memory is this plus the output, unless so many workers are asked for that even
// kMinBatchBytes per batch exceeds it).
constexpr std::size_t kInFlightBudgetBytes = std::size_t{32} << 20U;
// Batches beyond one per worker: one being filled by the caller while every worker is busy,
// and one finished batch waiting to be collected so that a worker never idles on the caller.
constexpr std::size_t kExtraBatches = 2;

// Batch sizes are powers of two between 512 KiB and 4 MiB, so V1 batches (which carry nothing
// over) always start on a block boundary and never straddle a 32 MiB segment.
static_assert(kV1SegmentSize % kMaxBatchBytes == 0 && kMinBatchBytes % kV1BlockSize == 0);
static_assert(kMinBatchBytes >= 4 * std::size_t{kV2MaxSegmentSize});

std::size_t batch_bytes(std::size_t batch_count) {
  const std::size_t share = std::bit_floor(kInFlightBudgetBytes / batch_count);
  return std::clamp(share, kMinBatchBytes, kMaxBatchBytes);
}

unsigned resolve_threads(unsigned requested) {
  return requested == 0 ? util::WorkerPool::hardware_threads() : requested;
}

}  // namespace

struct ContentInformationBuilder::Impl {
  Impl(const ServerSecret& secret, BuildOptions options);

  void dispatch(bool at_end);
  void dispatch_v2(bool at_end);
  void work(detail::Batch& batch) const;  // on a worker
  void collect(detail::Batch& batch);     // in content order
  void collect_v1_block(std::uint32_t length, const crypto::Digest& hash);
  void close_v1_segment();

  HashScheme scheme;
  crypto::Digest ks;
  Chunker chunker;
  std::uint64_t bytes_added = 0;
  bool finished = false;
  std::vector<Segment> segments;  // completed, in content order
  Segment open_v1;                // V1: the segment whose block hashes are being collected
  crypto::Hasher hod_hasher;      // V1: HoD over the block hashes, on the owner's thread
  std::array<std::uint8_t, 1> spent_space{};  // what prepare() hands out after finish()
  detail::Batch* current = nullptr;           // the batch being filled
  // Last: its destructor waits for work that uses the members above.
  detail::BatchPipeline pipeline;
};

ContentInformationBuilder::Impl::Impl(const ServerSecret& secret, BuildOptions options)
    : scheme(options.scheme.version == Version::v2 ? HashScheme::v2() : options.scheme),
      ks(secret.ks(scheme)),
      chunker(options.chunker),
      hod_hasher(scheme.algorithm),
      pipeline(resolve_threads(options.threads),
               std::max<std::size_t>(2, resolve_threads(options.threads) + kExtraBatches),
               batch_bytes(resolve_threads(options.threads) + kExtraBatches),
               [this](detail::Batch& b) { work(b); }, [this](detail::Batch& b) { collect(b); }) {
  open_v1.block_hashes.reserve(kV1BlocksPerSegment);
}

// Cuts the full (or, at the end, last) batch into pieces and submits it.
void ContentInformationBuilder::Impl::dispatch(bool at_end) {
  if (scheme.version == Version::v2) {
    dispatch_v2(at_end);
    return;
  }
  detail::Batch& batch = *current;
  for (std::size_t at = 0; at < batch.size; at += kV1BlockSize) {
    batch.pieces.push_back(static_cast<std::uint32_t>(std::min<std::size_t>(kV1BlockSize, batch.size - at)));
  }
  current = nullptr;
  pipeline.submit(batch);
}

// Segments whose end the chunker can decide (it needs max_size bytes, or the end of the
// content) are submitted; the undecided tail moves to the front of the next batch.
void ContentInformationBuilder::Impl::dispatch_v2(bool at_end) {
  detail::Batch& batch = *current;
  const std::size_t lookahead = chunker.parameters().max_size;
  std::size_t at = 0;
  while (at < batch.size && (at_end || batch.size - at >= lookahead)) {
    const std::size_t n = chunker.next_segment(batch.bytes(at, batch.size - at), at_end);
    batch.pieces.push_back(static_cast<std::uint32_t>(n));
    at += n;
  }
  current = nullptr;
  if (!at_end) {
    // Acquired before `batch` is submitted, so it cannot be `batch` recycled.
    detail::Batch& next = pipeline.acquire();
    next.offset = batch.offset + at;
    next.size = batch.size - at;
    std::memcpy(next.storage.get(), batch.storage.get() + at, next.size);
    current = &next;
  }
  pipeline.submit(batch);
}

void ContentInformationBuilder::Impl::work(detail::Batch& batch) const {
  crypto::Hasher hasher(scheme.algorithm);
  batch.hashes.reserve(batch.pieces.size());
  std::size_t at = 0;
  for (const std::uint32_t n : batch.pieces) {
    const crypto::Digest h = hasher.digest(batch.bytes(at, n));
    at += n;
    if (scheme.version == Version::v1) {
      batch.hashes.push_back(h);
    } else {
      batch.hashes.push_back(h.truncated(scheme.hash_size()));
      batch.keys.push_back(derive_kp(scheme, ks, batch.hashes.back()));
    }
  }
}

void ContentInformationBuilder::Impl::collect(detail::Batch& batch) {
  if (scheme.version == Version::v1) {
    for (std::size_t i = 0; i < batch.pieces.size(); ++i) collect_v1_block(batch.pieces[i], batch.hashes[i]);
    return;
  }
  std::uint64_t offset = batch.offset;
  for (std::size_t i = 0; i < batch.pieces.size(); ++i) {
    Segment s;
    s.index = SegmentIndex{segments.size()};
    s.offset = offset;
    s.length = batch.pieces[i];
    s.hod = batch.hashes[i];
    s.kp = batch.keys[i];
    offset += s.length;
    segments.push_back(std::move(s));
  }
}

void ContentInformationBuilder::Impl::collect_v1_block(std::uint32_t length, const crypto::Digest& hash) {
  if (open_v1.block_hashes.empty()) {
    open_v1.index = SegmentIndex{segments.size()};
    open_v1.offset = std::uint64_t{segments.size()} * kV1SegmentSize;
    open_v1.length = 0;
  }
  open_v1.length += length;
  open_v1.block_hashes.push_back(hash);
  hod_hasher.update(hash.bytes());
  if (open_v1.block_hashes.size() == kV1BlocksPerSegment) close_v1_segment();
}

void ContentInformationBuilder::Impl::close_v1_segment() {
  if (open_v1.block_hashes.empty()) return;
  open_v1.hod = hod_hasher.finish();
  open_v1.kp = derive_kp(scheme, ks, open_v1.hod);
  segments.push_back(std::move(open_v1));
  open_v1 = Segment{};
  open_v1.block_hashes.reserve(kV1BlocksPerSegment);
}

ContentInformationBuilder::ContentInformationBuilder(const ServerSecret& secret, BuildOptions options)
    : impl_(std::make_unique<Impl>(secret, options)) {}

ContentInformationBuilder::~ContentInformationBuilder() = default;

void ContentInformationBuilder::add(std::span<const std::uint8_t> data) {
  while (!data.empty() && !impl_->finished) {
    const std::span<std::uint8_t> space = prepare();
    const std::size_t n = std::min(space.size(), data.size());
    std::memcpy(space.data(), data.data(), n);
    commit(n);
    data = data.subspan(n);
  }
}

std::span<std::uint8_t> ContentInformationBuilder::prepare() {
  Impl& m = *impl_;
  if (m.finished) return m.spent_space;
  if (m.current == nullptr) {
    // Only V1 gets here after the first batch (V2 always moves on to a next batch); V1 batches
    // are full until the last, so the next one starts where the content added so far ends.
    m.current = &m.pipeline.acquire();
    m.current->offset = m.bytes_added;
  }
  return m.current->free_space();
}

void ContentInformationBuilder::commit(std::size_t n) {
  Impl& m = *impl_;
  if (m.finished || m.current == nullptr) return;
  assert(n <= m.current->free_space().size());
  n = std::min(n, m.current->free_space().size());
  m.current->size += n;
  m.bytes_added += n;
  if (m.current->size == m.current->capacity) m.dispatch(false);
}

std::uint64_t ContentInformationBuilder::bytes_added() const noexcept { return impl_->bytes_added; }

Expected<ContentInformation, std::error_code> ContentInformationBuilder::finish() {
  Impl& m = *impl_;
  if (m.finished) return Unexpected(make_error_code(Errc::empty_content));
  m.finished = true;
  if (m.current != nullptr) m.dispatch(true);
  m.pipeline.drain();
  m.pipeline.release_memory();
  m.close_v1_segment();
  if (m.bytes_added == 0) return Unexpected(make_error_code(Errc::empty_content));

  ContentInformation ci;
  ci.scheme = m.scheme;
  ci.range = ByteRange{0, m.bytes_added};
  ci.segments = std::move(m.segments);
  // Whole-content CIs as IIS sends them: dwReadBytesInLastSegment 0 (V1), ullLengthOfRange 0
  // and a single chunk (V2).
  ci.v1 = V1Wire{0};
  ci.v2 = V2Wire{0, {}};
  return ci;
}

}  // namespace peerdist::pccrc
