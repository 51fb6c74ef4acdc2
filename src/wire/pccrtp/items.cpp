#include "peerdist/wire/pccrtp/items.hpp"

#include <string>

#include "peerdist/wire/pccrtp/constants.hpp"

namespace peerdist::wire::pccrtp {
namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t';
}

// RFC 9110 tchar.
bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Visible ASCII other than ',' (the separator), as in the values Windows sends.
bool is_value_char(char c) noexcept {
  return c > 0x20 && c < 0x7F && c != ',';
}

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

util::DecodeError error(std::string field, std::size_t offset, std::string reason) {
  return util::DecodeError{std::move(field), offset, std::move(reason)};
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<bool> parse_bool(std::string_view value) noexcept {
  if (iequals(value, "true")) return true;
  if (iequals(value, "false")) return false;
  return std::nullopt;
}

Expected<std::vector<Item>, util::DecodeError> parse_items(std::string_view header) {
  if (header.size() > kMaxItemListLength) {
    return Unexpected(
        error("header", 0, "longer than " + std::to_string(kMaxItemListLength) + " bytes"));
  }
  std::vector<Item> items;
  std::size_t pos = 0;
  while (pos <= header.size()) {
    const std::size_t end = std::min(header.find(',', pos), header.size());
    std::size_t first = pos;
    std::size_t last = end;
    while (first < last && is_space(header[first])) ++first;
    while (last > first && is_space(header[last - 1])) --last;
    if (first < last) {
      const std::string_view element = header.substr(first, last - first);
      const std::size_t eq = element.find('=');
      if (eq == std::string_view::npos) {
        return Unexpected(error("item", first, "no '=' in \"" + std::string(element) + "\""));
      }
      std::string_view name = element.substr(0, eq);
      while (!name.empty() && is_space(name.back())) name.remove_suffix(1);
      std::size_t value_start = eq + 1;
      while (value_start < element.size() && is_space(element[value_start])) ++value_start;
      const std::string_view value = element.substr(value_start);
      if (name.empty()) return Unexpected(error("item", first, "empty name"));
      for (const char c : name) {
        if (!is_tchar(c)) return Unexpected(error("item", first, "name is not a token"));
      }
      for (const char c : value) {
        if (!is_value_char(c)) {
          return Unexpected(error(std::string(name), first + value_start,
                                  "value has whitespace or control characters"));
        }
      }
      items.push_back(Item{name, value, first});
    }
    if (end == header.size()) break;
    pos = end + 1;
  }
  return items;
}

}  // namespace peerdist::wire::pccrtp
