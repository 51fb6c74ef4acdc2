// The MS-PCCRR server (spec digest §1.1, §1.11): HTTP/1.1 on the configured endpoints, POST of
// one PCCRR request to the retrieval path, answered 200 with one PCCRR response. It serves
// what the SegmentSource says this machine holds, encrypting each block under its segment's Kp
// with a fresh IV.
//
// HTTP errors are for what is not PCCRR at all: 404 (another path), 405 (another method), 411
// (no Content-Length, or chunked), 413 (Content-Length over kMaxRequestSize), 400 (a body that
// is no well-formed request, or bad HTTP). Each closes that connection only (A31); a 200 keeps
// it alive when the client asks. Everything PCCRR calls negative is a 200: the empty BLKLIST,
// BLK or SEGLIST when a block is not held or the upload limits are reached, MSG_NEGO_RESP for a
// major version we do not speak.
//
// Threads: every socket, timer and piece of state lives on one strand of the given executor,
// so the io_context may have one thread (peerdistd's network thread) or several. Block
// encryption runs on `crypto_pool` when one is given, else on that strand: AES-128-CBC of a
// 64 KiB block takes ~45 µs on one core with AES-NI (openssl speed, loaded machine), small next
// to the network time of the same block, but a pool lets several responses encrypt at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "peerdist/net/segment_source.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/util/worker_pool.hpp"
#include "peerdist/wire/pccrr/message_header.hpp"

namespace peerdist::net {

struct PccrrServerOptions {
  // Windows' defaults (spec digest §1.11): 64 concurrent uploads to one peer; 1,024 in all
  // (the hosted-cache figure, a fair cap for any machine). Configurable as
  // [distributed] max_uploads_per_peer / max_uploads.
  static constexpr std::uint32_t kDefaultMaxUploadsPerPeer = 64;
  static constexpr std::uint32_t kDefaultMaxUploads = 1024;
  // Upload Timer (§1.11): from the decoded request to the last byte of the response written.
  static constexpr std::chrono::milliseconds kDefaultUploadTimeout{15'000};
  // The rest of a request once its header is in: a 96 KiB body takes milliseconds on a LAN, so
  // a peer still sending after this is stuck or hostile.
  static constexpr std::chrono::milliseconds kDefaultBodyTimeout{5'000};
  // A keep-alive connection waiting for its next request header (and a header that trickles
  // in). Clients pool connections for the blocks of a segment, which follow one another within
  // milliseconds; a minute keeps them across a slow application without hoarding sockets.
  static constexpr std::chrono::milliseconds kDefaultIdleTimeout{60'000};
  // Open connections in all: twice the upload limit, so that idle keep-alive connections of
  // busy peers fit beside the uploads; past it a new connection is closed at once.
  static constexpr std::uint32_t kDefaultMaxConnections = 2 * kDefaultMaxUploads;

  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // port 0: the system picks one
  // The cipher of served blocks (CryptoAlgoId of MSG_BLK): Windows' default AES-128 (§1.8).
  // The CryptoAlgoId of a request is not honoured: its meaning there is undefined (A4).
  wire::pccrr::CryptoAlgorithm algorithm = wire::pccrr::CryptoAlgorithm::aes128;
  std::uint32_t max_uploads_per_peer = kDefaultMaxUploadsPerPeer;  // per client IP address
  std::uint32_t max_uploads = kDefaultMaxUploads;
  std::uint32_t max_connections = kDefaultMaxConnections;
  std::chrono::milliseconds upload_timeout = kDefaultUploadTimeout;
  std::chrono::milliseconds body_timeout = kDefaultBodyTimeout;
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;
  util::WorkerPool* crypto_pool = nullptr;  // not owned; outlives the server
};

// What `peerdist status` shows of the server. A snapshot: each figure is read on its own.
struct PccrrServerCounters {
  std::uint64_t connections = 0;          // accepted (and not refused at max_connections)
  std::uint64_t refused_connections = 0;  // closed at once, max_connections reached
  std::uint64_t nego_requests = 0;        // MSG_NEGO_REQ
  std::uint64_t getblklist_requests = 0;  // MSG_GETBLKLIST
  std::uint64_t getblks_requests = 0;     // MSG_GETBLKS
  std::uint64_t getseglist_requests = 0;  // MSG_GETSEGLIST
  std::uint64_t version_mismatches = 0;   // requests of an unknown major, answered NEGO_RESP
  std::uint64_t blocks_served = 0;        // MSG_BLK with a block
  std::uint64_t block_bytes_served = 0;   // their plaintext bytes
  std::uint64_t response_bytes = 0;       // HTTP bodies of every 200 written
  std::uint64_t not_held = 0;             // empty MSG_BLK: block not held
  std::uint64_t busy = 0;                 // empty BLKLIST / BLK / SEGLIST: upload limit reached
  std::uint64_t malformed = 0;            // answered 400
  std::uint64_t rejected = 0;             // answered 404, 405, 411 or 413
  std::uint64_t timed_out = 0;            // upload timer or body timeout expired: closed
};

class PccrrServer {
 public:
  // `source` outlives the server and every call back into it.
  PccrrServer(boost::asio::any_io_executor executor, SegmentSource& source,
              PccrrServerOptions options);
  // Stops (see stop()).
  ~PccrrServer();
  PccrrServer(const PccrrServer&) = delete;
  PccrrServer& operator=(const PccrrServer&) = delete;

  // Binds every endpoint and starts accepting. Errors name the endpoint that failed; then no
  // endpoint is left bound. Call once, before the executor runs or on its thread.
  [[nodiscard]] Expected<void, std::string> listen();
  // The bound endpoints, with the ports the system picked (for endpoints of port 0).
  [[nodiscard]] std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

  // Stops accepting and closes every connection; answers in progress are dropped (late answers
  // of the SegmentSource are ignored). Idempotent; from any thread (the work runs on the
  // server's strand, at once when called there).
  void stop();

  // From any thread.
  [[nodiscard]] PccrrServerCounters counters() const noexcept;

 private:
  struct State;   // shared with the connections, on the strand
  class Session;  // one HTTP connection
  std::shared_ptr<State> state_;
};

}  // namespace peerdist::net
