#include "peerdist/wire/pccrd/xaddr.hpp"

#include <algorithm>

namespace peerdist::wire::pccrd {
namespace {

// A DNS name is at most 253 characters; an IPv6 literal with a zone fits in far less.
constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxPortDigits = 5;

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool plain_host(std::string_view host) noexcept {
  return !host.empty() && host.size() <= kMaxHostLength &&
         std::all_of(host.begin(), host.end(),
                     [](char c) { return is_alnum(c) || c == '.' || c == '-' || c == '_'; });
}

bool ipv6_host(std::string_view host) noexcept {
  if (host.empty() || host.size() > kMaxHostLength) return false;
  const std::size_t percent = host.find('%');
  const std::string_view address = host.substr(0, percent);
  if (address.find(':') == std::string_view::npos) return false;
  if (!std::all_of(address.begin(), address.end(),
                   [](char c) { return is_hex(c) || c == ':' || c == '.'; })) {
    return false;
  }
  if (percent == std::string_view::npos) return true;
  const std::string_view zone = host.substr(percent + 1);
  return !zone.empty() && std::all_of(zone.begin(), zone.end(), [](char c) {
    return is_alnum(c) || c == '.' || c == '-' || c == '_';
  });
}

std::optional<std::uint16_t> parse_port(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > kMaxPortDigits) return std::nullopt;
  std::uint32_t port = 0;
  for (char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (port == 0 || port > 0xFFFF) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

bool starts_with_http(std::string_view s) noexcept {
  constexpr std::string_view kScheme = "http://";
  if (s.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (c != kScheme[i]) return false;
  }
  return true;
}

}  // namespace

std::string to_string(const XAddr& xaddr) {
  const bool bracket = xaddr.host.find(':') != std::string::npos;
  std::string out;
  out.reserve(xaddr.host.size() + 8);
  if (bracket) out.push_back('[');
  out += xaddr.host;
  if (bracket) out.push_back(']');
  out.push_back(':');
  out += std::to_string(xaddr.port);
  return out;
}

std::optional<XAddr> parse_xaddr(std::string_view entry) {
  if (starts_with_http(entry)) entry.remove_prefix(7);
  if (!entry.empty() && entry.back() == '/') entry.remove_suffix(1);

  XAddr out;
  std::string_view rest;
  if (!entry.empty() && entry.front() == '[') {
    const std::size_t close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view host = entry.substr(1, close - 1);
    if (!ipv6_host(host)) return std::nullopt;
    out.host = host;
    rest = entry.substr(close + 1);
  } else {
    const std::size_t colon = entry.find(':');
    const std::string_view host = entry.substr(0, colon);
    if (!plain_host(host)) return std::nullopt;
    out.host = host;
    rest = colon == std::string_view::npos ? std::string_view{} : entry.substr(colon);
  }
  if (rest.empty()) {
    out.port = kDefaultHttpPort;
    return out;
  }
  if (rest.front() != ':') return std::nullopt;
  const auto port = parse_port(rest.substr(1));
  if (!port) return std::nullopt;
  out.port = *port;
  return out;
}

std::optional<std::string> normalize_xaddr(std::string_view entry) {
  const auto xaddr = parse_xaddr(entry);
  if (!xaddr) return std::nullopt;
  return to_string(*xaddr);
}

}  // namespace peerdist::wire::pccrd
