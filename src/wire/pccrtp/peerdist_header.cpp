#include "peerdist/wire/pccrtp/peerdist_header.hpp"

#include "peerdist/util/checked.hpp"
#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/items.hpp"

namespace peerdist::wire::pccrtp {
namespace {

std::optional<std::uint64_t> parse_length(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto times_ten = util::checked_mul<std::uint64_t>(value, 10U);
    if (!times_ten) return std::nullopt;
    const auto sum =
        util::checked_add<std::uint64_t>(*times_ten, static_cast<std::uint64_t>(c - '0'));
    if (!sum) return std::nullopt;
    value = *sum;
  }
  return value;
}

util::DecodeError item_error(const Item& item, std::string reason) {
  return util::DecodeError{std::string(item.name), item.offset, std::move(reason)};
}

}  // namespace

Expected<PeerDistHeader, util::DecodeError> parse_peerdist_header(std::string_view value) {
  auto items = parse_items(value);
  if (!items) return Unexpected(std::move(items).error());
  PeerDistHeader header;
  for (const Item& item : *items) {
    if (iequals(item.name, kVersionItem)) {
      if (header.version) return Unexpected(item_error(item, "given twice"));
      header.version = parse_version(item.value);
      if (!header.version) return Unexpected(item_error(item, "not <major>.<minor>"));
    } else if (iequals(item.name, kContentLengthItem)) {
      if (header.content_length) return Unexpected(item_error(item, "given twice"));
      header.content_length = parse_length(item.value);
      if (!header.content_length) return Unexpected(item_error(item, "not a 64-bit length"));
    } else if (iequals(item.name, kMissingDataRequestItem)) {
      if (header.missing_data_request) return Unexpected(item_error(item, "given twice"));
      header.missing_data_request = parse_bool(item.value);
      if (!header.missing_data_request) return Unexpected(item_error(item, "not true or false"));
    }
  }
  return header;
}

std::string format_peerdist_header(const PeerDistHeader& header) {
  std::string out;
  const auto add = [&out](std::string_view name, const std::string& value) {
    if (!out.empty()) out += ", ";
    out.append(name).append("=").append(value);
  };
  if (header.version) add(kVersionItem, to_string(*header.version));
  if (header.content_length) add(kContentLengthItem, std::to_string(*header.content_length));
  if (header.missing_data_request) {
    add(kMissingDataRequestItem, *header.missing_data_request ? "true" : "false");
  }
  return out;
}

}  // namespace peerdist::wire::pccrtp
