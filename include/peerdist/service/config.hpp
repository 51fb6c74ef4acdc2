// peerdistd's configuration: a small TOML file (docs/config.md), every key optional, so that
// the daemon runs with no file at all. Unknown keys and wrong types are errors naming the key
// and its line, because a misspelt key that were silently ignored would leave the administrator
// believing a setting is in force when it is not.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "peerdist/pccrc/types.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrd/constants.hpp"
#include "peerdist/wire/pccrr/message_header.hpp"

namespace peerdist::service {

// Where the server secret comes from; at most one of the three forms. All empty: a random key
// generated at first start and kept in <state>/secret.key.
struct SecretSource {
  std::string key_hex;                 // the key bytes as hex
  std::string passphrase;              // as `netsh branchcache set key passphrase=...`
  std::filesystem::path key_file;      // a `netsh branchcache exportkey` file
  std::string key_file_passphrase;     // the passphrase it was exported with

  [[nodiscard]] bool empty() const noexcept {
    return key_hex.empty() && passphrase.empty() && key_file.empty();
  }
  friend bool operator==(const SecretSource&, const SecretSource&) = default;
};

struct Limits {
  // Enough for every program of a busy multi-user host; each connection costs about 64 KiB at
  // rest, and at most ~40 MiB of queued data while busy (session.hpp).
  static constexpr std::uint32_t kDefaultMaxConnections = 256;
  // Open stream and content-information handles per connection (API instance): bounds the
  // memory one program can pin in the daemon with handles it forgets to close.
  static constexpr std::uint32_t kDefaultMaxHandlesPerConnection = 1024;
  // The largest shared buffer a client may map into the daemon. 64 MiB keeps the hashing
  // pipeline fed (it works in batches of at most 4 MiB) while bounding the address space
  // 256 connections can take.
  static constexpr std::uint64_t kDefaultMaxSharedBuffer = std::uint64_t{64} << 20U;

  std::uint32_t max_connections = kDefaultMaxConnections;
  std::uint32_t max_handles_per_connection = kDefaultMaxHandlesPerConnection;
  std::uint64_t max_shared_buffer = kDefaultMaxSharedBuffer;
  friend bool operator==(const Limits&, const Limits&) = default;
};

// [cache]: the data cache of distributed mode (docs/config.md). Its size limit is either a share
// of the file system holding it (the form Windows uses, and the default) or a number of bytes.
struct CacheConfig {
  // Windows' default: 5% of the disk.
  static constexpr std::uint32_t kDefaultMaxHundredthsOfPercent = 500;
  static constexpr std::uint32_t kHundredthsOfPercentWhole = 100 * 100;  // "100%"
  // Windows keeps cached segments 28 days by default.
  static constexpr std::uint32_t kDefaultMaxAgeDays = 28;
  // A cache smaller than one V1 segment (32 MiB) could not hold one whole segment; 1 MiB is
  // the floor, for tests and tiny devices.
  static constexpr std::uint64_t kMinMaxBytes = std::uint64_t{1} << 20U;
  // Ten years: longer is "forever" and would overflow no clock, but is surely a typo.
  static constexpr std::uint32_t kMaxMaxAgeDays = 3650;

  // max_size as bytes; 0: as a share of the file system (max_hundredths_of_percent).
  std::uint64_t max_bytes = 0;
  // max_size as a share, in hundredths of a percent ("2.5%" = 250), used when max_bytes is 0.
  std::uint32_t max_hundredths_of_percent = kDefaultMaxHundredthsOfPercent;
  std::uint32_t max_age_days = kDefaultMaxAgeDays;
  friend bool operator==(const CacheConfig&, const CacheConfig&) = default;
};

// [distributed]: retrieval from the peers of the branch (MS-PCCRD discovery, MS-PCCRR), and
// serving them (docs/config.md).
struct DistributedConfig {
  // MS-PCCRR's port: Windows listens on TCP 80 (MS-CCRSO §4.1, A8); a daemon that may not bind
  // it (neither root nor CAP_NET_BIND_SERVICE) takes the common unprivileged HTTP port.
  static constexpr std::uint16_t kPrivilegedPort = 80;
  static constexpr std::uint16_t kUnprivilegedPort = 8080;
  // Windows' upload limits (spec digest §1.11; net::PccrrServerOptions), and the most Windows
  // lets an administrator set per peer (note <14>); the total is bounded by what file
  // descriptors a daemon can have.
  static constexpr std::uint32_t kDefaultMaxUploadsPerPeer = 64;
  static constexpr std::uint32_t kDefaultMaxUploads = 1024;
  static constexpr std::uint32_t kMaxMaxUploadsPerPeer = 16384;
  static constexpr std::uint32_t kMaxMaxUploads = 65536;

  // false: reads are answered from the local cache only, and missing data is reported at
  // once (PEERDIST_ERROR_MISSING_DATA), as with no peer in the branch; nothing is served.
  bool enabled = true;
  // The MS-PCCRR port. Unset: kPrivilegedPort when the daemon may bind it, else
  // kUnprivilegedPort. 0: one the system picks (tests; discovery advertises it).
  std::optional<std::uint16_t> port;
  // Addresses the MS-PCCRR server listens on; empty: every address ("0.0.0.0", and "::" when
  // IPv6 works).
  std::vector<boost::asio::ip::address> listen;
  // MS-PCCRD: answer the branch's probes and probe it for missing segments.
  bool discovery = true;
  std::uint16_t discovery_port = wire::pccrd::kUdpPort;  // settable for tests
  std::vector<std::string> discovery_interfaces;         // names; empty: every suitable one
  // The cipher of the blocks this machine serves (MSG_BLK CryptoAlgoId); Windows' default.
  wire::pccrr::CryptoAlgorithm crypto = wire::pccrr::CryptoAlgorithm::aes128;
  std::uint32_t max_uploads_per_peer = kDefaultMaxUploadsPerPeer;
  std::uint32_t max_uploads = kDefaultMaxUploads;
  // MS-PCCRR endpoints asked for every segment, beside (or instead of) discovery.
  std::vector<boost::asio::ip::tcp::endpoint> peers;
  friend bool operator==(const DistributedConfig&, const DistributedConfig&) = default;
};

struct Config {
  // false: the service reports PEERDIST_STATUS_DISABLED ("disabled by policy").
  bool enabled = true;
  std::optional<std::filesystem::path> state_dir;  // unset: the default for the user
  std::optional<std::filesystem::path> socket;     // unset: the default for the user
  // The content-information versions the service produces and advertises, ascending, no
  // duplicates, not empty.
  std::vector<pccrc::Version> content_information_versions{pccrc::Version::v1,
                                                           pccrc::Version::v2};
  SecretSource secret;
  Limits limits;
  CacheConfig cache;
  DistributedConfig distributed;
  std::string log_level = "info";  // trace, debug, info, warn, error, critical, off

  friend bool operator==(const Config&, const Config&) = default;
};

// Parses TOML text. `source` names the file in error messages ("peerdistd.toml:3: ...").
// Relative paths in the file (state_dir, socket, secret.key_file) are resolved against
// `base_dir` when it is not empty.
[[nodiscard]] Expected<Config, std::string> parse_config(std::string_view text,
                                                         std::string_view source,
                                                         const std::filesystem::path& base_dir = {});
// Reads and parses a file (relative paths resolved against its directory).
[[nodiscard]] Expected<Config, std::string> load_config(const std::filesystem::path& file);

// The environment, as a lookup, so that tests need not change the process's.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
[[nodiscard]] EnvLookup process_environment();

// The defaults of docs/api.md: root gets /run/peerdist and /var/lib/peerdist; other users
// $XDG_RUNTIME_DIR/peerdist and $XDG_STATE_HOME/peerdist (~/.local/state/peerdist).
struct DefaultPaths {
  std::optional<std::filesystem::path> socket;  // nullopt: no XDG_RUNTIME_DIR for a non-root user
  std::filesystem::path state_dir;
  std::filesystem::path config_file;  // read when it exists and no --config is given
};
[[nodiscard]] Expected<DefaultPaths, std::string> default_paths(uid_t euid, const EnvLookup& env);

}  // namespace peerdist::service
