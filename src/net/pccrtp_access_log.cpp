#include "peerdist/net/pccrtp_access_log.hpp"

#include <cstdio>
#include <ctime>

namespace peerdist::net {
namespace {

void append_escaped(std::string& out, std::string_view text) {
  if (text.empty()) {
    out += '-';
    return;
  }
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '\\') {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", u);
      out += hex;
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string format_access_log_line(const PccrtpAccessLogEntry& entry) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(entry.time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char time[96];
  std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  std::string line = time;
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
