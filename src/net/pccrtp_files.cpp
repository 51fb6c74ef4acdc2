#include "peerdist/net/pccrtp_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>

namespace peerdist::net {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The realpath() check for kernels without openat2 (before 5.6): the resolved path must be the
// root or lie under it.
bool resolves_beneath(int root_fd, int fd) {
  const auto resolve = [](int which) -> std::string {
    const std::string link = "/proc/self/fd/" + std::to_string(which);
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(link.c_str(), nullptr), &std::free);
    return real ? std::string(real.get()) : std::string();
  };
  const std::string root = resolve(root_fd);
  const std::string file = resolve(fd);
  if (root.empty() || file.empty()) return false;
  if (root == "/") return true;
  return file.size() > root.size() && file.compare(0, root.size(), root) == 0 &&
         file[root.size()] == '/';
}

}  // namespace

std::optional<FileIdentity> identity_of(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  FileIdentity id;
  id.device = static_cast<std::uint64_t>(st.st_dev);
  id.inode = static_cast<std::uint64_t>(st.st_ino);
  id.size = static_cast<std::uint64_t>(st.st_size);
  id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                static_cast<std::int64_t>(st.st_mtim.tv_nsec);
  return id;
}

std::string etag_of(const FileIdentity& identity) {
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "\"%llx-%llx-%llx\"",
                static_cast<unsigned long long>(identity.inode),
                static_cast<unsigned long long>(identity.size),
                static_cast<unsigned long long>(identity.mtime_ns));
  return buffer;
}

std::string http_date(std::int64_t seconds_since_epoch) {
  const auto t = static_cast<std::time_t>(seconds_since_epoch);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buffer;
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": exactly 29 characters.
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t n) -> int {
    int value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  std::tm tm{};
  tm.tm_mday = number(5, 2);
  tm.tm_mon = -1;
  for (int m = 0; m < 12; ++m) {
    if (text.substr(8, 3) == kMonths[m]) tm.tm_mon = m;
  }
  const int year = number(12, 4);
  tm.tm_hour = number(17, 2);
  tm.tm_min = number(20, 2);
  tm.tm_sec = number(23, 2);
  if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_mon < 0 || year < 1970 || tm.tm_hour < 0 ||
      tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60 ||
      text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text[19] != ':' || text[22] != ':') {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  return static_cast<std::int64_t>(::timegm(&tm));
}

Expected<std::string, TargetError> target_to_path(std::string_view target) {
  if (target.empty() || target.front() != '/') return Unexpected(TargetError::kBadTarget);
  if (const auto query = target.find('?'); query != std::string_view::npos) {
    target = target.substr(0, query);
  }
  std::string path;
  std::string segment;
  const auto finish_segment = [&]() -> bool {
    if (segment.empty()) return true;  // "//" or the leading '/'
    if (segment == "." || segment == "..") return false;
    if (!path.empty()) path += '/';
    path += segment;
    segment.clear();
    return true;
  };
  for (std::size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '/') {
      if (!finish_segment()) return Unexpected(TargetError::kBadTarget);
      continue;
    }
    if (c == '%') {
      if (i + 2 >= target.size()) return Unexpected(TargetError::kBadTarget);
      const int high = hex_value(target[i + 1]);
      const int low = hex_value(target[i + 2]);
      if (high < 0 || low < 0) return Unexpected(TargetError::kBadTarget);
      c = static_cast<char>(high * 16 + low);
      i += 2;
      // An encoded separator would name a path the client could not have written plainly.
      if (c == '/') return Unexpected(TargetError::kBadTarget);
    }
    if (c == '\0' || c == '\\') return Unexpected(TargetError::kBadTarget);
    segment += c;
  }
  if (!finish_segment()) return Unexpected(TargetError::kBadTarget);
  return path;
}

Expected<ipc::UniqueFd, TargetError> open_beneath(int root_fd, const std::string& relative) {
  if (relative.empty()) return Unexpected(TargetError::kNotFound);  // the root directory
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
  bool checked = true;
  if (fd < 0 && errno == ENOSYS) {
    // Linux before 5.6: open, then check where the descriptor really is.
    fd = ::openat(root_fd, relative.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    checked = false;
  }
  if (fd < 0) return Unexpected(TargetError::kNotFound);
  ipc::UniqueFd file(static_cast<int>(fd));
  if (!checked && !resolves_beneath(root_fd, file.get())) return Unexpected(TargetError::kNotFound);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Unexpected(TargetError::kNotFound);
  }
  // Regular files ignore O_NONBLOCK; clear it anyway so that nothing depends on that.
  const int flags = ::fcntl(file.get(), F_GETFL);
  if (flags >= 0) (void)::fcntl(file.get(), F_SETFL, flags & ~O_NONBLOCK);
  return file;
}

}  // namespace peerdist::net
