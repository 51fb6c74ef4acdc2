#include "data_cache_record_target.hpp"

#include <algorithm>
#include <span>

#include "data_cache_record.hpp"

namespace {

namespace record = peerdist::store::cache_record;

std::uint32_t u32le(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8U |
         static_cast<std::uint32_t>(b[at + 2]) << 16U |
         static_cast<std::uint32_t>(b[at + 3]) << 24U;
}

std::optional<std::string> check_descriptor(std::span<const std::uint8_t> input) {
  auto decoded = record::decode_descriptor(input);
  if (!decoded) {
    if (decoded.error().offset > input.size()) return "descriptor error offset past the input";
    if (decoded.error().field.empty()) return "descriptor error without a field";
    return std::nullopt;
  }
  if (!decoded->well_formed()) return "accepted a descriptor that is not well formed";
  const auto encoded = record::encode_descriptor(*decoded);
  if (!std::equal(encoded.begin(), encoded.end(), input.begin(), input.end())) {
    return "an accepted descriptor does not re-encode to its input";
  }
  return std::nullopt;
}

std::optional<std::string> check_row(std::span<const std::uint8_t> input) {
  constexpr std::size_t kFixed = 25;
  if (input.size() < kFixed) return std::nullopt;
  // A 32-byte segment ID from the input's first bytes, repeated: only its size matters here.
  std::array<std::uint8_t, 32> id{};
  std::copy_n(input.begin(), std::min<std::size_t>(32, input.size()), id.begin());
  record::RawRow raw;
  raw.id = 1;
  raw.segment_id = id;
  raw.version = input[0] % 4;  // 0 and 3 are invalid
  raw.segment_length = u32le(input, 1);
  raw.block_size = u32le(input, 5);
  raw.present_count = u32le(input, 9);
  raw.bytes_present = u32le(input, 13);
  raw.first_cached = u32le(input, 17);
  raw.last_used = u32le(input, 21);
  raw.present = input.subspan(kFixed);
  auto row = record::decode_row(raw);
  if (!row) return std::nullopt;
  if (!row->geometry.valid()) return "accepted a row with an impossible geometry";
  if (row->present.blocks() != row->geometry.block_count())
    return "bitmap size is not the block count";
  const auto bytes = row->present.bytes();
  if (!std::equal(bytes.begin(), bytes.end(), raw.present.begin(), raw.present.end())) {
    return "accepted bitmap differs from its input";
  }
  if (row->present.count() != static_cast<std::uint32_t>(raw.present_count)) {
    return "present_count disagrees with the bitmap";
  }
  if (row->bytes_present > row->geometry.segment_length)
    return "more bytes present than the segment has";
  if ((row->bytes_present == row->geometry.segment_length) !=
      (row->present.count() == row->geometry.block_count())) {
    return "bytes_present and the bitmap disagree on completeness";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> peerdist_fuzz_data_cache_record(const std::uint8_t* data,
                                                           std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  if (auto failure = check_descriptor(input)) return failure;
  return check_row(input);
}
