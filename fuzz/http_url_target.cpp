#include "http_url_target.hpp"

#include <algorithm>
#include <string_view>

#include "cli/http_client.hpp"

namespace {

using peerdist::cli::Url;

bool clean(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

std::optional<std::string> check(const Url& url, const char* what) {
  const std::string where = std::string(what) + ": ";
  if (url.host.empty()) return where + "no host";
  if (url.port.empty() || url.port.size() > 5 ||
      !std::all_of(url.port.begin(), url.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return where + "port '" + url.port + "' is not digits";
  }
  const unsigned long port = std::stoul(url.port);
  if (port == 0 || port > 65535) return where + "port out of range";
  if (url.target.empty() || url.target.front() != '/') return where + "target without '/'";
  if (url.target.find('#') != std::string::npos) return where + "fragment in the target";
  if (!clean(url.host) || !clean(url.target)) return where + "space or control byte kept";
  const auto again = peerdist::cli::parse_url(url.text());
  if (!again) return where + "text() '" + url.text() + "' does not parse: " + again.error();
  if (again->tls != url.tls || again->host != url.host || again->port != url.port ||
      again->target != url.target) {
    return where + "text() '" + url.text() + "' parses to another URL";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> peerdist_fuzz_http_url(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  if (newline == std::string_view::npos) {
    const auto url = peerdist::cli::parse_url(input);
    if (url) return check(*url, "parse_url");
    return url.error().empty() ? std::optional<std::string>("parse_url: empty error")
                               : std::nullopt;
  }
  const auto base = peerdist::cli::parse_url(input.substr(0, newline));
  if (!base) return std::nullopt;
  if (auto failure = check(*base, "base")) return failure;
  const auto resolved = peerdist::cli::resolve_location(*base, input.substr(newline + 1));
  if (resolved) return check(*resolved, "resolve_location");
  return resolved.error().empty() ? std::optional<std::string>("resolve_location: empty error")
                                  : std::nullopt;
}
