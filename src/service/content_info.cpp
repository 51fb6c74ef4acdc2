#include "peerdist/service/content_info.hpp"

#include <algorithm>

#include "peerdist.h"
#include "peerdist/ipc/messages.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/range.hpp"

namespace peerdist::service {

std::optional<pccrc::Version> choose_version(const std::vector<pccrc::Version>& published,
                                             const std::vector<pccrc::Version>& configured,
                                             std::uint32_t min_version,
                                             std::uint32_t max_version) {
  const bool any = min_version == 0 && max_version == 0;
  std::optional<pccrc::Version> best;
  for (pccrc::Version v : published) {
    const auto number = static_cast<std::uint32_t>(v);
    if (std::find(configured.begin(), configured.end(), v) == configured.end()) continue;
    if (!any && (number < min_version || number > max_version)) continue;
    if (!best || v > *best) best = v;
  }
  return best;
}

Expected<std::optional<pccrc::ByteRange>, std::uint32_t> requested_range(
    std::uint64_t content_length, std::uint64_t offset, std::uint64_t length) {
  if (offset == 0 && length == 0) return std::optional<pccrc::ByteRange>{};
  if (offset >= content_length) return Unexpected(std::uint32_t{ERROR_INVALID_PARAMETER});
  const std::uint64_t available = content_length - offset;
  if (length > available) return Unexpected(std::uint32_t{ERROR_INVALID_PARAMETER});
  const std::uint64_t end = length == 0 ? content_length : offset + length;
  return std::optional<pccrc::ByteRange>(pccrc::ByteRange{offset, end});
}

Expected<std::vector<std::uint8_t>, std::uint32_t> reader_bytes(
    std::span<const std::uint8_t> stored, std::optional<pccrc::ByteRange> range) {
  auto ci = pccrc::parse(stored);
  if (!ci) return Unexpected(std::uint32_t{PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO});
  if (!range || *range == ci->range) return std::vector<std::uint8_t>(stored.begin(), stored.end());
  auto sliced = pccrc::slice(*ci, *range);
  if (!sliced) return Unexpected(std::uint32_t{PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO});
  return pccrc::encode(*sliced);
}

Reply ContentInfoReader::next(std::uint32_t max_bytes) {
  if (invalidated_) return Reply::failure(PEERDIST_ERROR_INVALIDATED);
  if (unpublished_) return Reply::failure(ERROR_NOT_FOUND);
  if (max_bytes == 0) return Reply::failure(ERROR_INVALID_PARAMETER);
  const std::size_t total = size();
  if (position_ >= total) return Reply::failure(PEERDIST_ERROR_NO_MORE);
  const std::size_t n = std::min<std::size_t>(
      {std::size_t{max_bytes}, std::size_t{ipc::kMaxResultDataSize},
       total - static_cast<std::size_t>(position_)});
  Reply reply = Reply::success(position_, static_cast<std::uint32_t>(n));
  const auto first = bytes_->begin() + static_cast<std::ptrdiff_t>(position_);
  reply.data.assign(first, first + static_cast<std::ptrdiff_t>(n));
  position_ += n;
  return reply;
}

}  // namespace peerdist::service
