// The file side of the PeerDist origin (`peerdist serve DIR`): request targets mapped to files
// beneath DIR without ever leaving it, the identity that keys the hash cache, and the HTTP
// validators (ETag, Last-Modified) derived from that identity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::net {

// What changes whenever the bytes of a file may have: the hash cache's key. A rename or a
// replacement (new inode), a write (mtime), a truncation (size) all give another identity.
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // nanoseconds since the epoch
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// The identity of an open file (fstat); nullopt when fstat fails.
[[nodiscard]] std::optional<FileIdentity> identity_of(int fd) noexcept;

// A strong ETag from the identity: "\"<inode>-<size>-<mtime_ns>\"" in hex. Strong, because the
// identity changes with every byte change the kernel records.
[[nodiscard]] std::string etag_of(const FileIdentity& identity);

// RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
[[nodiscard]] std::string http_date(std::int64_t seconds_since_epoch);
// The same, parsed (IMF-fixdate only, the form every current client sends); nullopt otherwise.
[[nodiscard]] std::optional<std::int64_t> parse_http_date(std::string_view text);

// Why a target maps to no file.
enum class TargetError {
  kBadTarget,  // not origin-form, bad percent-encoding, NUL, encoded '/', a ".." segment: 400
  kNotFound,   // no such file, a directory, not a regular file, or outside the root: 404
};

// The relative path a request target names: origin-form ("/a/b?q" -> "a/b"), percent-decoded;
// refused when it holds NUL, "%2F" or "%5C" (an encoded separator), a backslash, or a "." or
// ".." segment (after decoding, so "%2e%2e" too). Empty segments ("//") are dropped. The root
// itself maps to "" (a directory: 404).
[[nodiscard]] Expected<std::string, TargetError> target_to_path(std::string_view target);

// Opens `relative` beneath the directory `root_fd` for reading: openat2 with RESOLVE_BENEATH
// and RESOLVE_NO_MAGICLINKS, so neither ".." nor a symbolic link (absolute or relative) may
// resolve outside the root, with a realpath check where the kernel has no openat2. Only a
// regular file is returned (a FIFO is opened non-blocking so that it cannot hang the server).
[[nodiscard]] Expected<ipc::UniqueFd, TargetError> open_beneath(int root_fd,
                                                                const std::string& relative);

}  // namespace peerdist::net
