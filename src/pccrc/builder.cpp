// The content-information builder: cuts the stream into V1 blocks or V2 segments, has them
// hashed by a BatchPipeline, and assembles the CI from the results in content order.
#include "peerdist/pccrc/builder.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstring>
#include <deque>
#include <utility>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/constants.hpp"
#include "peerdist/pccrc/errc.hpp"

#include "batch_pipeline.hpp"

namespace peerdist::pccrc {
namespace {

// Batch size when memory allows: large enough that what is paid per batch (a task hand-off, a
// V2 carry of up to 128 KiB to the next batch) is noise, small enough that the in-flight batches
// of a few workers stay far below the memory budget.
constexpr std::size_t kMaxBatchBytes = std::size_t{4} << 20U;
// The smallest batch, for many workers: still 8 V1 blocks, and 4x the largest V2 carry.
constexpr std::size_t kMinBatchBytes = std::size_t{512} << 10U;
// What all batches in flight may use together, whatever the number of workers: the builder's
// peak memory is at most this plus the output.
constexpr std::size_t kInFlightBudgetBytes = std::size_t{32} << 20U;
// An add() of at least this many batches is hashed in place, from the caller's memory, and
// waits for its batches before returning: the copy it saves (~0.1 s of CPU per GiB) outweighs
// the workers idling while the last batches finish (at most a batch's hashing, ~3-7 ms).
// add_borrowed() has no such threshold beyond one batch: it does not wait.
constexpr std::size_t kInPlaceMinBatches = 16;
// Batches beyond one per worker: one being filled by the caller while every worker is busy,
// and one finished batch waiting to be collected so that a worker never idles on the caller.
constexpr std::size_t kExtraBatches = 2;

// Batch sizes are powers of two between 512 KiB and 4 MiB, so V1 batches filled from the
// batch's own buffer (which carry nothing over) always start on a block boundary. (Borrowed
// batches hold whole blocks too; the collector does not mind batches straddling a segment.)
static_assert(kV1SegmentSize % kMaxBatchBytes == 0 && kMinBatchBytes % kV1BlockSize == 0);
static_assert(kMinBatchBytes >= 4 * std::size_t{kV2MaxSegmentSize});

// More workers than this could not all be busy without batches below kMinBatchBytes or the
// memory budget exceeded (62; no single stream needs more: 62 SHA-256 cores outrun memory).
constexpr unsigned kMaxWorkers =
    static_cast<unsigned>(kInFlightBudgetBytes / kMinBatchBytes - kExtraBatches);

struct PipelineShape {
  unsigned workers;         // <= 1: hash on the caller's thread
  std::size_t batches;      // in flight at most
  std::size_t batch_bytes;  // capacity of each
};

PipelineShape pipeline_shape(unsigned requested_threads) {
  PipelineShape shape{};
  shape.workers =
      std::min(requested_threads == 0 ? util::WorkerPool::hardware_threads() : requested_threads,
               kMaxWorkers);
  // Hashing on the caller's thread needs one batch being filled and the one before it, whose
  // undecided V2 tail moves to the new one.
  shape.batches = shape.workers <= 1 ? 2 : shape.workers + kExtraBatches;
  shape.batch_bytes = std::clamp(std::bit_floor(kInFlightBudgetBytes / shape.batches),
                                 kMinBatchBytes, kMaxBatchBytes);
  return shape;
}

// V1 pieces: the 64 KiB blocks of a batch (batches start on block boundaries).
void cut_v1(detail::Batch& batch) {
  for (std::size_t at = 0; at < batch.size; at += kV1BlockSize) {
    batch.pieces.push_back(
        static_cast<std::uint32_t>(std::min<std::size_t>(kV1BlockSize, batch.size - at)));
  }
}

}  // namespace

struct ContentInformationBuilder::Impl {
  Impl(const ServerSecret& secret, BuildOptions options, PipelineShape shape);

  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  [[nodiscard]] std::span<std::uint8_t> prepare();
  void commit(std::size_t n);
  void add_copied(std::span<const std::uint8_t> data);
  void add_in_place(std::span<const std::uint8_t> data);
  std::uint64_t lend(std::span<const std::uint8_t> data, std::function<void()> release);
  void lend_v1(std::span<const std::uint8_t> data);
  void lend_v2(std::span<const std::uint8_t> data);
  void submit_borrowed(detail::Batch& batch);
  void repay(std::uint64_t loan);
  void release_repaid() noexcept;
  void dispatch(bool at_end);
  void dispatch_v2(bool at_end);
  std::size_t cut_v2(std::span<const std::uint8_t> data, std::size_t at, std::size_t until,
                     bool at_end, std::vector<std::uint32_t>& pieces) const;
  void work(detail::Batch& batch) const;  // on a worker
  void collect(detail::Batch& batch);     // in content order
  void collect_v2(const detail::Batch& batch);
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
  // Memory lent by add_borrowed() (and by add() in place), oldest first: each one until no
  // batch reads it any more. Only the newest can be open (still being cut into batches).
  struct Loan {
    std::uint64_t id;
    std::size_t bytes;
    std::function<void()> release;
    std::size_t batches_out = 0;  // submitted and not yet collected
    bool open = true;
  };
  std::deque<Loan> loans;
  std::uint64_t next_loan = 1;                // 0 means "no loan" in a batch
  std::size_t borrowed_bytes = 0;             // the sum of loans[].bytes
  std::array<std::uint8_t, 1> spent_space{};  // what prepare() hands out after finish()
  detail::Batch* current = nullptr;           // the batch being filled
  // Last: its destructor waits for work that uses the members above.
  detail::BatchPipeline pipeline;
};

ContentInformationBuilder::Impl::Impl(const ServerSecret& secret, BuildOptions options,
                                      PipelineShape shape)
    : scheme(options.scheme.version == Version::v2 ? HashScheme::v2() : options.scheme),
      ks(secret.ks(scheme)),
      chunker(options.chunker),
      hod_hasher(scheme.algorithm),
      pipeline(
          shape.workers, shape.batches, shape.batch_bytes, [this](detail::Batch& b) { work(b); },
          [this](detail::Batch& b) { collect(b); }) {
  open_v1.block_hashes.reserve(kV1BlocksPerSegment);
}

ContentInformationBuilder::Impl::~Impl() {
  // Loans still out (finish() not called, or something threw): their batches' results are
  // dropped, but their memory is only given back once no worker reads it.
  pipeline.wait_idle();
  for (Loan& loan : loans) loan.open = false;
  for (Loan& loan : loans) loan.batches_out = 0;
  release_repaid();
}

std::span<std::uint8_t> ContentInformationBuilder::Impl::prepare() {
  if (finished) return spent_space;
  if (current == nullptr) {
    // Every byte added so far is in a submitted batch (V2 keeps its undecided tail in
    // `current`, so it only gets here at the start and after hashing in place).
    current = &pipeline.acquire();
    current->offset = bytes_added;
  }
  return current->free_space();
}

void ContentInformationBuilder::Impl::commit(std::size_t n) {
  if (finished || current == nullptr) return;
  assert(n <= current->free_space().size());
  n = std::min(n, current->free_space().size());
  current->size += n;
  bytes_added += n;
  if (current->size == current->capacity) dispatch(false);
}

void ContentInformationBuilder::Impl::add_copied(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const std::span<std::uint8_t> space = prepare();
    const std::size_t n = std::min(space.size(), data.size());
    std::memcpy(space.data(), data.data(), n);
    commit(n);
    data = data.subspan(n);
  }
}

// Hashed in place like add_borrowed(), but the caller may reuse `data` when add() returns.
void ContentInformationBuilder::Impl::add_in_place(std::span<const std::uint8_t> data) {
  const std::uint64_t loan = lend(data, {});
  // Loans are repaid in order: ours is when no older-or-equal one is left. (Not busy with one
  // left: a batch's work threw earlier, and the destructor will release it.)
  while (!loans.empty() && loans.front().id <= loan && pipeline.busy()) pipeline.collect_oldest();
}

// Records the loan of `data`, hashes what it can of it in place, and returns the loan's id.
std::uint64_t ContentInformationBuilder::Impl::lend(std::span<const std::uint8_t> data,
                                                    std::function<void()> release) {
  // The bound on borrowed memory: wait for older loans to be repaid first. A loan not repaid
  // has batches in flight (unless something threw), so there is an oldest batch to wait for.
  try {
    release_repaid();
    while (borrowed_bytes > 0 && borrowed_bytes + data.size() > kMaxBorrowedBytes &&
           pipeline.busy()) {
      pipeline.collect_oldest();
    }
  } catch (...) {
    // A batch's work threw: nothing reads `data` yet, so it goes back at once.
    if (release) release();
    throw;
  }
  const std::uint64_t id = next_loan++;
  loans.push_back(Loan{id, data.size(), std::move(release)});
  borrowed_bytes += data.size();
  try {
    if (scheme.version == Version::v1) {
      lend_v1(data);
    } else {
      lend_v2(data);
    }
  } catch (...) {
    // Batches already submitted may still read `data`: the loan stays until they are
    // collected, or until the destructor has waited for them.
    loans.back().open = false;
    throw;
  }
  loans.back().open = false;
  // A loan copied whole (or whose batches are already hashed) is repaid now, so that the
  // caller can reuse its memory as early as possible.
  pipeline.collect_finished();
  release_repaid();
  return id;
}

// V1: whole 64 KiB blocks are hashed from `data`; the bytes that complete the block being
// filled and those after the last whole block are copied.
void ContentInformationBuilder::Impl::lend_v1(std::span<const std::uint8_t> data) {
  const std::size_t capacity = pipeline.batch_capacity();
  // Batches start at multiples of kV1BlockSize in the content, so current->size says how far
  // the content is from the next block boundary.
  const std::size_t head =
      current == nullptr ? 0 : (kV1BlockSize - current->size % kV1BlockSize) % kV1BlockSize;
  if (data.size() < head + capacity) {
    // Not even one batch to hash in place: a copy is cheaper than a batch that short.
    add_copied(data);
    return;
  }
  add_copied(data.first(head));
  data = data.subspan(head);
  // The batch being filled ends on a block boundary now: hashed as it is, however short.
  if (current != nullptr && current->size > 0) dispatch(false);

  const std::size_t blocks = data.size() / kV1BlockSize;
  const std::size_t capacity_blocks = capacity / kV1BlockSize;
  // Batches of equal size rather than full ones and a short last one: no batch is so small
  // that its hand-off costs more than its hashing.
  std::size_t batches_left = (blocks + capacity_blocks - 1) / capacity_blocks;
  std::size_t blocks_left = blocks;
  while (blocks_left > 0) {
    const std::size_t n = (blocks_left + batches_left - 1) / batches_left;
    detail::Batch& batch = pipeline.acquire(detail::BatchPipeline::Storage::borrowed);
    batch.data = data.data();
    batch.offset = bytes_added;
    batch.size = n * kV1BlockSize;
    cut_v1(batch);
    bytes_added += batch.size;
    data = data.subspan(batch.size);
    blocks_left -= n;
    --batches_left;
    submit_borrowed(batch);
  }
  // An empty batch acquired before now starts after the batches submitted here.
  if (current != nullptr) current->offset = bytes_added;
  add_copied(data);
}

// V2: the segments that can be decided within `data` (they start at least max_size bytes
// before its end) are hashed from it. Copied: the segments that start in the batch being
// filled need up to max_size bytes of `data` behind them, and what follows the last segment
// decided here (less than max_size bytes) waits in a batch of its own for the next bytes.
void ContentInformationBuilder::Impl::lend_v2(std::span<const std::uint8_t> data) {
  const std::size_t capacity = pipeline.batch_capacity();
  const std::size_t lookahead = chunker.parameters().max_size;
  if (data.size() < capacity + 2 * lookahead) {
    // Less than a batch would be hashed in place after the joins at both ends.
    add_copied(data);
    return;
  }
  if (current != nullptr && current->size > 0 && current->free_space().size() < lookahead) {
    // No room for the lookahead behind it: submit its decided segments now; its undecided
    // tail (< max_size) moves to a new batch, which has room.
    dispatch_v2(false);
  }
  if (current != nullptr && current->size > 0) {
    // Cut the segments that start in `current`, with the lookahead copied behind it, submit
    // them, and drop the copied bytes past the last cut: they are hashed from `data`.
    const std::size_t held = current->size;
    std::memcpy(current->free_space().data(), data.data(), lookahead);
    current->size += lookahead;
    const std::size_t cut =
        cut_v2(current->bytes(0, current->size), 0, held, false, current->pieces);
    assert(cut >= held);  // with the whole lookahead, every segment starting in `held` is decided
    current->size = cut;
    bytes_added += cut - held;
    data = data.subspan(cut - held);
    detail::Batch& batch = *current;
    current = nullptr;
    pipeline.submit(batch);
  }

  // Segments starting at or before `last_start` have their max_size bytes of lookahead.
  const std::size_t last_start = data.size() - lookahead;
  std::size_t at = 0;
  while (at <= last_start) {
    // Batches of about equal size, as in lend_v1; each ends at the first cut past its target,
    // and the next target is recomputed from what is left.
    const std::size_t left = last_start - at + 1;
    const std::size_t batches_left = (left + capacity - 1) / capacity;
    const std::size_t target = (left + batches_left - 1) / batches_left;
    detail::Batch& batch = pipeline.acquire(detail::BatchPipeline::Storage::borrowed);
    batch.data = data.data() + at;
    batch.offset = bytes_added;
    const std::size_t end = cut_v2(data, at, at + target, false, batch.pieces);
    batch.size = end - at;
    bytes_added += batch.size;
    at = end;
    submit_borrowed(batch);
  }
  if (current != nullptr) current->offset = bytes_added;
  add_copied(data.subspan(at));
}

// Submits a batch that reads the newest loan's memory.
void ContentInformationBuilder::Impl::submit_borrowed(detail::Batch& batch) {
  Loan& loan = loans.back();
  assert(loan.open);
  batch.loan = loan.id;
  ++loan.batches_out;
  pipeline.submit(batch);
}

// A batch of `loan` was collected.
void ContentInformationBuilder::Impl::repay(std::uint64_t loan) {
  const auto it =
      std::find_if(loans.begin(), loans.end(), [loan](const Loan& l) { return l.id == loan; });
  assert(it != loans.end() && it->batches_out > 0);
  --it->batches_out;
  release_repaid();
}

// Releases, oldest first, the loans that no batch reads any more. In order, because batches
// are collected in submission order: an older loan is never repaid after a newer one, except a
// loan copied whole, which waits for the older ones (it is small).
void ContentInformationBuilder::Impl::release_repaid() noexcept {
  while (!loans.empty() && !loans.front().open && loans.front().batches_out == 0) {
    Loan loan = std::move(loans.front());
    loans.pop_front();
    borrowed_bytes -= loan.bytes;
    if (loan.release) loan.release();
  }
}

// Appends to `pieces` the segments of data[at, ...) that start before `until` and that the
// chunker can decide: it needs max_size bytes, or the end of the content. Returns where the
// next segment starts.
std::size_t ContentInformationBuilder::Impl::cut_v2(std::span<const std::uint8_t> data,
                                                    std::size_t at, std::size_t until, bool at_end,
                                                    std::vector<std::uint32_t>& pieces) const {
  const std::size_t lookahead = chunker.parameters().max_size;
  while (at < until && at < data.size() && (at_end || data.size() - at >= lookahead)) {
    const std::size_t n = chunker.next_segment(data.subspan(at), at_end);
    pieces.push_back(static_cast<std::uint32_t>(n));
    at += n;
  }
  return at;
}

// Cuts the full (or, at the end, last) batch into pieces and submits it.
void ContentInformationBuilder::Impl::dispatch(bool at_end) {
  if (scheme.version == Version::v2) {
    dispatch_v2(at_end);
    return;
  }
  detail::Batch& batch = *current;
  cut_v1(batch);
  current = nullptr;
  pipeline.submit(batch);
}

// Segments the chunker can decide are submitted; the undecided tail moves to the front of the
// next batch.
void ContentInformationBuilder::Impl::dispatch_v2(bool at_end) {
  detail::Batch& batch = *current;
  const std::size_t at = cut_v2(batch.bytes(0, batch.size), 0, batch.size, at_end, batch.pieces);
  current = nullptr;
  if (!at_end) {
    // Acquired before `batch` is submitted, so it cannot be `batch` recycled.
    detail::Batch& next = pipeline.acquire();
    next.offset = batch.offset + at;
    next.size = batch.size - at;
    std::memcpy(next.storage.get(), batch.data + at, next.size);
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
    for (std::size_t i = 0; i < batch.pieces.size(); ++i)
      collect_v1_block(batch.pieces[i], batch.hashes[i]);
  } else {
    collect_v2(batch);
  }
  if (batch.loan != 0) repay(batch.loan);
}

void ContentInformationBuilder::Impl::collect_v2(const detail::Batch& batch) {
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

void ContentInformationBuilder::Impl::collect_v1_block(std::uint32_t length,
                                                       const crypto::Digest& hash) {
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

ContentInformationBuilder::ContentInformationBuilder(const ServerSecret& secret,
                                                     BuildOptions options)
    : impl_(std::make_unique<Impl>(secret, options, pipeline_shape(options.threads))) {}

ContentInformationBuilder::~ContentInformationBuilder() = default;

void ContentInformationBuilder::add(std::span<const std::uint8_t> data) {
  Impl& m = *impl_;
  if (m.finished) return;
  if (data.size() >= kInPlaceMinBatches * m.pipeline.batch_capacity()) {
    m.add_in_place(data);
  } else {
    m.add_copied(data);
  }
}

void ContentInformationBuilder::add_borrowed(std::span<const std::uint8_t> data,
                                             std::function<void()> release) {
  Impl& m = *impl_;
  if (m.finished) {
    if (release) release();
    return;
  }
  m.lend(data, std::move(release));
}

bool ContentInformationBuilder::release_oldest() {
  Impl& m = *impl_;
  m.release_repaid();
  if (m.loans.empty()) return false;
  // Loans are repaid in order; the oldest stays only while its batches are in flight (or a
  // batch's work threw, which collect_oldest() rethrows, and the destructor releases it).
  const std::uint64_t oldest = m.loans.front().id;
  while (!m.loans.empty() && m.loans.front().id == oldest && m.pipeline.busy()) {
    m.pipeline.collect_oldest();
  }
  // What else finished meanwhile goes back too.
  m.pipeline.collect_finished();
  m.release_repaid();
  return !m.loans.empty();
}

std::span<std::uint8_t> ContentInformationBuilder::prepare() {
  return impl_->prepare();
}

void ContentInformationBuilder::commit(std::size_t n) {
  impl_->commit(n);
}

std::uint64_t ContentInformationBuilder::bytes_added() const noexcept {
  return impl_->bytes_added;
}

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
