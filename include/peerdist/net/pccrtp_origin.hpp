// The PeerDist origin (`peerdist serve DIR`, docs/pccrtp.md): an HTTP/1.1 server for the
// regular files beneath a directory, answering BranchCache clients with content information
// (MS-PCCRTP, spec digest §4) when the decision of wire/pccrtp/decision.hpp says so.
//
// GET and HEAD; 200, 206 (one byte range), 304 (If-None-Match, If-Modified-Since), 400, 404,
// 405, 416. Validators (a strong ETag and Last-Modified from the file's identity),
// Accept-Ranges and "Vary: Accept-Encoding" on every file response. Plain bodies go from the
// file to the socket with sendfile(2), never whole into memory. Peerdist bodies come from the
// hash cache; a file not hashed yet is served plain with "X-P2P-PeerDistEx:
// MakeHashRequest=true" and queued for hashing, unless it is small enough (inline_hash_limit)
// to hash while the client waits.
//
// With `upstream` set it is a reverse proxy instead (`peerdist serve --upstream URL`,
// pccrtp_proxy.hpp): the same sessions, limits and access log, the content from the upstream.
//
// Threads: every socket and timer lives on one strand of the given executor. The hash cache is
// asked on that strand (a SQLite lookup; an inline hash of at most inline_hash_limit bytes).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "peerdist/net/pccrtp_access_log.hpp"
#include "peerdist/net/pccrtp_hash_cache.hpp"
#include "peerdist/net/pccrtp_upstream.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::net {

struct PccrtpOriginOptions {
  // Files up to this size are hashed while the first peerdist client waits, so that it gets
  // content information at once: 1 MiB hashes in a few milliseconds (SHA-256 at ~500 MB/s on
  // one loaded core), less than the round trips a MakeHashRequest detour costs.
  static constexpr std::uint64_t kDefaultInlineHashLimit = std::uint64_t{1} << 20U;
  // A request header is a few hundred bytes (Windows, iPXE, curl); 16 KiB is what common
  // servers allow for the whole header block and bounds what a hostile one costs.
  static constexpr std::uint32_t kDefaultMaxHeaderSize = 16 * 1024;
  // A keep-alive connection waiting for its next request, and a request header trickling in
  // (slowloris), both end after this.
  static constexpr std::chrono::milliseconds kDefaultIdleTimeout{30'000};
  // A response that makes no progress for this long (the client stopped reading) is dropped.
  static constexpr std::chrono::milliseconds kDefaultSendTimeout{60'000};
  // Open connections; past it a new connection is closed at once.
  static constexpr std::uint32_t kDefaultMaxConnections = 1024;

  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // port 0: the system picks one
  std::filesystem::path root;                             // the directory served
  std::optional<PccrtpUpstream> upstream;  // set: a reverse proxy for it, `root` unused
  PccrtpHashCache* cache = nullptr;        // not owned, outlives the origin; null: never peerdist
  std::uint64_t inline_hash_limit = kDefaultInlineHashLimit;
  std::uint32_t max_header_size = kDefaultMaxHeaderSize;
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;
  std::chrono::milliseconds send_timeout = kDefaultSendTimeout;
  std::uint32_t max_connections = kDefaultMaxConnections;
  // Called on the strand once per response, after its body was sent (or the send failed).
  std::function<void(const PccrtpAccessLogEntry&)> access_log;
};

struct PccrtpOriginCounters {
  std::uint64_t connections = 0;
  std::uint64_t refused_connections = 0;  // over max_connections
  std::uint64_t responses = 0;
  std::uint64_t peerdist_responses = 0;
  std::uint64_t make_hash_responses = 0;
  std::uint64_t body_bytes = 0;  // every body byte sent, plain and peerdist
  // Reverse proxy mode only.
  std::uint64_t upstream_requests = 0;     // requests sent upstream, HEAD probes included
  std::uint64_t upstream_head_probes = 0;  // HEADs that checked a stored CI's validators
  std::uint64_t upstream_bytes = 0;        // read from the upstream, headers and bodies
  std::uint64_t upstream_cache_hits = 0;   // peerdist answers from a stored upstream CI
  std::uint64_t peak_relay_buffered = 0;   // most bytes one relay held (piece + read buffer)
};

class PccrtpOrigin {
 public:
  PccrtpOrigin(boost::asio::any_io_executor executor, PccrtpOriginOptions options);
  ~PccrtpOrigin();
  PccrtpOrigin(const PccrtpOrigin&) = delete;
  PccrtpOrigin& operator=(const PccrtpOrigin&) = delete;
  PccrtpOrigin(PccrtpOrigin&&) = delete;
  PccrtpOrigin& operator=(PccrtpOrigin&&) = delete;

  // Opens the root directory and binds every endpoint. Call once, before the executor runs or
  // on its thread.
  [[nodiscard]] Expected<void, std::string> listen();
  [[nodiscard]] std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;
  // Stops accepting and closes every connection. Idempotent; from any thread.
  void stop();
  [[nodiscard]] PccrtpOriginCounters counters() const noexcept;

 private:
  struct State;
  class Session;
  std::shared_ptr<State> state_;
};

}  // namespace peerdist::net
