// Content-information handles (PeerDistServerOpenContentInformation(Ex), Retrieve, Close):
// which version a reader gets, which bytes of the content it covers, the encoded CI it reads,
// and the sequential reader itself. Pure functions and a plain value: the I/O (catalog) and the
// threads are the instance's business.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "peerdist/pccrc/types.hpp"
#include "peerdist/service/reply.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::service {

// The version a reader gets (docs/api.md, OpenContentInformation(Ex)): the highest that the
// publication has, the service is configured to produce, and the reader accepts. min = max = 0
// is the non-Ex call, which accepts any (so it gets the highest configured version, Q16).
// nullopt: PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED.
[[nodiscard]] std::optional<pccrc::Version> choose_version(
    const std::vector<pccrc::Version>& published, const std::vector<pccrc::Version>& configured,
    std::uint32_t min_version, std::uint32_t max_version);

// The range of the content a reader asked for: offset 0 and length 0 is the whole content
// (nullopt); a non-zero offset with length 0 runs to the end (Q10). A range that is empty or
// not inside the content is ERROR_INVALID_PARAMETER (the error value).
[[nodiscard]] Expected<std::optional<pccrc::ByteRange>, std::uint32_t> requested_range(
    std::uint64_t content_length, std::uint64_t offset, std::uint64_t length);

// The encoded CI a reader reads: the stored whole-content CI, parsed (it comes from a file,
// so it is untrusted) and cut to `range` when one is given. Errors are Win32 codes:
// PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO for a stored CI that does not parse, or does not
// describe the range. CPU-bound for large content: call it on a worker.
[[nodiscard]] Expected<std::vector<std::uint8_t>, std::uint32_t> reader_bytes(
    std::span<const std::uint8_t> stored, std::optional<pccrc::ByteRange> range);

// An open content-information handle.
class ContentInfoReader {
 public:
  ContentInfoReader(std::vector<std::uint8_t> content_id,
                    std::shared_ptr<const std::vector<std::uint8_t>> bytes)
      : content_id_(std::move(content_id)), bytes_(std::move(bytes)) {}

  // PeerDistServerRetrieveContentInformation: the next piece of at most
  // min(max_bytes, kMaxResultDataSize) bytes, with `value` = its position in the CI;
  // PEERDIST_ERROR_NO_MORE past the end; ERROR_INVALID_PARAMETER for max_bytes 0.
  [[nodiscard]] Reply next(std::uint32_t max_bytes);

  [[nodiscard]] const std::vector<std::uint8_t>& content_id() const noexcept { return content_id_; }
  [[nodiscard]] std::uint64_t position() const noexcept { return position_; }
  [[nodiscard]] std::size_t size() const noexcept { return bytes_ ? bytes_->size() : 0; }

  // The service went DISABLED or UNAVAILABLE: every later call is PEERDIST_ERROR_INVALIDATED.
  void invalidate() noexcept {
    invalidated_ = true;
    bytes_.reset();
  }
  // The instance unpublished the content: later reads are ERROR_NOT_FOUND, as an open would be.
  void unpublished() noexcept {
    unpublished_ = true;
    bytes_.reset();
  }
  [[nodiscard]] bool invalidated() const noexcept { return invalidated_; }

 private:
  std::vector<std::uint8_t> content_id_;
  std::shared_ptr<const std::vector<std::uint8_t>> bytes_;
  std::uint64_t position_ = 0;
  bool invalidated_ = false;
  bool unpublished_ = false;
};

}  // namespace peerdist::service
