// Builds content information from a byte stream fed in pieces of any size, with bounded memory
// and all cores: V1 blocks and V2 segments are hashed in parallel, and the result is identical
// to a single-threaded run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <system_error>

#include "peerdist/pccrc/chunker.hpp"
#include "peerdist/pccrc/content_information.hpp"
#include "peerdist/pccrc/keys.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::pccrc {

struct BuildOptions {
  HashScheme scheme{};            // V1 SHA-256 by default
  unsigned threads = 0;           // 0 = one per hardware thread; 1 = hash on the caller's thread
  ChunkerParameters chunker{};    // V2 only
};

class ContentInformationBuilder {
 public:
  ContentInformationBuilder(const ServerSecret& secret, BuildOptions options);
  ~ContentInformationBuilder();
  ContentInformationBuilder(const ContentInformationBuilder&) = delete;
  ContentInformationBuilder& operator=(const ContentInformationBuilder&) = delete;

  // Feeds the next bytes of the content. The caller may reuse `data` as soon as add() returns:
  // small adds are copied; a large one is hashed in place and waits for its batches.
  void add(std::span<const std::uint8_t> data);

  // Feeds the next bytes of the content from memory the builder borrows, hashed in place and
  // asynchronously: add_borrowed() returns once the batches reading `data` are handed to the
  // workers, not when they are hashed, so the caller can prepare the next piece (map the next
  // window of a file) meanwhile. Only the few bytes that join `data` to what came before and
  // what follows its last whole batch are copied; a `data` smaller than a batch is copied whole.
  //
  // `release` (may be empty) is called exactly once, when nothing reads `data` any more: on
  // the caller's thread, from inside a later call on this builder (add_borrowed, add, prepare,
  // commit, finish) or from this add_borrowed() itself, or from the destructor; never from a
  // worker, never concurrently with another call on this builder. Releases happen in the order
  // of the add_borrowed() calls. All are done when finish() returns (or, if finish() or an add
  // throws, at the latest by the destructor). `release` must not throw nor call this builder;
  // unmapping or freeing `data` there is what it is for. After finish(), `data` is ignored and
  // `release` called at once.
  //
  // Memory: add_borrowed() first collects finished batches (blocking) while the borrowed bytes
  // not yet released plus data.size() exceed kMaxBorrowedBytes, so when it returns at most
  // max(kMaxBorrowedBytes, data.size()) bytes are borrowed.
  void add_borrowed(std::span<const std::uint8_t> data, std::function<void()> release);

  // How much borrowed memory (add_borrowed) the builder holds at most, beyond one call's data:
  // enough to keep every worker of a few cores busy with pieces of 8-16 MiB while the caller
  // prepares the next, and small enough that a caller mapping a file in such windows stays
  // well under 64 MiB of resident memory.
  static constexpr std::size_t kMaxBorrowedBytes = std::size_t{24} << 20U;

  // Gives back borrowed memory without adding more, for a caller whose supplier waits for it
  // (a client that reuses its buffers only once they are released): waits until the oldest
  // add_borrowed() data not yet released is no longer read, collecting the batches hashed
  // meanwhile, and calls its `release` (and those of later loans already done), from inside
  // this call. Returns whether memory is still borrowed. Throws what a batch's work threw.
  bool release_oldest();
  // Zero-copy feeding: a writable span of at least one byte to read content into, then
  // commit() of how many bytes were written there.
  [[nodiscard]] std::span<std::uint8_t> prepare();
  void commit(std::size_t n);

  // Bytes fed so far.
  [[nodiscard]] std::uint64_t bytes_added() const noexcept;

  // The CI for the whole content. Errc::empty_content for zero bytes. The builder is spent.
  [[nodiscard]] Expected<ContentInformation, std::error_code> finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace peerdist::pccrc
