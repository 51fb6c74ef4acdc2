#include "peerdist/wire/pccrtp/peerdist_ex_header.hpp"

#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/items.hpp"

namespace peerdist::wire::pccrtp {
namespace {

util::DecodeError item_error(const Item& item, std::string reason) {
  return util::DecodeError{std::string(item.name), item.offset, std::move(reason)};
}

}  // namespace

Expected<PeerDistExHeader, util::DecodeError> parse_peerdist_ex_header(std::string_view value) {
  auto items = parse_items(value);
  if (!items) return Unexpected(std::move(items).error());
  PeerDistExHeader header;
  const auto read_version = [](const Item& item,
                               std::optional<Version>& slot) -> std::optional<util::DecodeError> {
    if (slot) return item_error(item, "given twice");
    slot = parse_version(item.value);
    if (!slot) return item_error(item, "not <major>.<minor>");
    return std::nullopt;
  };
  const auto read_bool = [](const Item& item,
                            std::optional<bool>& slot) -> std::optional<util::DecodeError> {
    if (slot) return item_error(item, "given twice");
    slot = parse_bool(item.value);
    if (!slot) return item_error(item, "not true or false");
    return std::nullopt;
  };
  for (const Item& item : *items) {
    std::optional<util::DecodeError> failure;
    if (iequals(item.name, kMinContentInformationItem)) {
      failure = read_version(item, header.min_content_information);
    } else if (iequals(item.name, kMaxContentInformationItem)) {
      failure = read_version(item, header.max_content_information);
    } else if (iequals(item.name, kMakeHashRequestItem)) {
      failure = read_bool(item, header.make_hash_request);
    } else if (iequals(item.name, kHashRequestItem)) {
      failure = read_bool(item, header.hash_request);
    }
    if (failure) return Unexpected(std::move(*failure));
  }
  return header;
}

std::string format_peerdist_ex_header(const PeerDistExHeader& header) {
  std::string out;
  const auto add = [&out](std::string_view name, const std::string& value) {
    if (!out.empty()) out += ", ";
    out.append(name).append("=").append(value);
  };
  if (header.min_content_information) {
    add(kMinContentInformationItem, to_string(*header.min_content_information));
  }
  if (header.max_content_information) {
    add(kMaxContentInformationItem, to_string(*header.max_content_information));
  }
  if (header.make_hash_request)
    add(kMakeHashRequestItem, *header.make_hash_request ? "true" : "false");
  if (header.hash_request) add(kHashRequestItem, *header.hash_request ? "true" : "false");
  return out;
}

}  // namespace peerdist::wire::pccrtp
