#include "peerdist/net/pccrtp_access_log.hpp"

#include <ctime>

namespace peerdist::net {
namespace {

// `value` in decimal, left-padded with zeros to `width` digits.
void append_padded(std::string& out, long value, std::size_t width) {
  const std::string digits = std::to_string(value);
  if (digits.size() < width) out.append(width - digits.size(), '0');
  out += digits;
}

void append_escaped(std::string& out, std::string_view text) {
  if (text.empty()) {
    out += '-';
    return;
  }
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '\\') {
      constexpr std::string_view kHex = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[u >> 4U];
      out += kHex[u & 0xFU];
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string format_access_log_line(const PccrtpAccessLogEntry& entry) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(entry.time.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  std::string line;
  append_padded(line, tm.tm_year + 1900L, 4);
  line += '-';
  append_padded(line, tm.tm_mon + 1L, 2);
  line += '-';
  append_padded(line, tm.tm_mday, 2);
  line += 'T';
  append_padded(line, tm.tm_hour, 2);
  line += ':';
  append_padded(line, tm.tm_min, 2);
  line += ':';
  append_padded(line, tm.tm_sec, 2);
  line += '.';
  append_padded(line, static_cast<long>(ms % 1000), 3);
  line += 'Z';
  line += ' ';
  append_escaped(line, entry.client);
  line += ' ';
  append_escaped(line, entry.method);
  line += ' ';
  append_escaped(line, entry.target);
  line += ' ';
  line += std::to_string(entry.status);
  line += ' ';
  line += std::to_string(entry.body_bytes);
  line += ' ';
  line += entry.mode;
  return line;
}

}  // namespace peerdist::net
