// Builds content information from a byte stream fed in pieces of any size, with bounded memory
// and all cores: V1 blocks and V2 segments are hashed in parallel, and the result is identical
// to a single-threaded run.
#pragma once

#include <cstdint>
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

  // Feeds the next bytes of the content (copied).
  void add(std::span<const std::uint8_t> data);
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
