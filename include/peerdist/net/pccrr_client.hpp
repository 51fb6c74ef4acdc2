// The MS-PCCRR client (spec digest §1.10): one block (MSG_GETBLKS) or one block list
// (MSG_GETBLKLIST) per exchange with a peer, over HTTP/1.1 keep-alive connections pooled per
// peer. A block comes back decrypted and verified against its segment descriptor, or as a
// FetchError that says what went wrong.
//
// Version: requests are sent as 1.0 (A13) and nothing is negotiated first (A12); a peer that
// answers MSG_NEGO_RESP speaks no version of ours (ours are 1.0 and 2.0, and these messages
// exist in both), which ends the exchange with version_mismatch. CryptoAlgoId 1 goes in every
// request (A4); the response's own CryptoAlgoId says how its block is encrypted.
//
// Threads: sockets, timers and pools live on one strand of the given executor. get_block and
// get_block_list may be called from any thread; handlers run on that strand, never inside the
// call that started them. Decryption and hashing run on `crypto_pool` when one is given, else
// on the strand.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/net/pccrr_fetch_error.hpp"
#include "peerdist/pccrc/segment_descriptor.hpp"
#include "peerdist/util/expected.hpp"
#include "peerdist/util/worker_pool.hpp"
#include "peerdist/wire/pccrr/ranges.hpp"

namespace peerdist::net {

struct PccrrClientOptions {
  // Request Timer (§1.10): 2 s, Windows' default, from the moment a request is given a
  // connection (connecting included) to its whole response. Waiting for a free connection of
  // the peer counts against the caller's deadline only.
  static constexpr std::chrono::milliseconds kDefaultRequestTimeout{2'000};
  // Connections per peer: enough for a caller to keep several blocks in flight to one peer
  // (one request per connection, HTTP/1.1 without pipelining) so that the peer's disk, AES and
  // the network overlap; few enough to stay far below a server's per-peer upload limit (64 on
  // Windows). More requests than this wait in a queue per peer.
  static constexpr std::size_t kDefaultConnectionsPerPeer = 4;
  // An idle pooled connection is closed after this: shorter than the keep-alive timeouts of
  // common servers (ours: 60 s), so that a reused connection is rarely one the peer has just
  // closed (and if it is, the request is sent again once on a new connection).
  static constexpr std::chrono::milliseconds kDefaultIdleTimeout{15'000};

  std::chrono::milliseconds request_timeout = kDefaultRequestTimeout;
  std::size_t connections_per_peer = kDefaultConnectionsPerPeer;  // at least 1
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;
  util::WorkerPool* crypto_pool = nullptr;  // not owned; outlives the client
};

class PccrrClient {
 public:
  using Clock = std::chrono::steady_clock;
  using BlockHandler = std::function<void(Expected<pccrc::VerifiedBlock, FetchError>)>;
  using BlockListHandler =
      std::function<void(Expected<std::vector<wire::pccrr::BlockRange>, FetchError>)>;

  PccrrClient(boost::asio::any_io_executor executor, PccrrClientOptions options = {});
  // Closes every connection; handlers of exchanges still pending are dropped uncalled.
  ~PccrrClient();
  PccrrClient(const PccrrClient&) = delete;
  PccrrClient& operator=(const PccrrClient&) = delete;

  // Block `index` of `segment` from `peer`, by `deadline` (and within the request timer once
  // sent). The descriptor is shared, not copied: a caller fetching many blocks of a segment
  // passes the same one. A block the descriptor cannot verify (index past the end, hash not
  // known) ends bad_data without asking the peer: nothing it sent could be accepted.
  void get_block(const boost::asio::ip::tcp::endpoint& peer,
                 std::shared_ptr<const pccrc::SegmentDescriptor> segment, pccrc::BlockIndex index,
                 Clock::time_point deadline, BlockHandler handler);
  // The same with a copy of the descriptor.
  void get_block(const boost::asio::ip::tcp::endpoint& peer,
                 const pccrc::SegmentDescriptor& segment, pccrc::BlockIndex index,
                 Clock::time_point deadline, BlockHandler handler);

  // Which blocks of `ranges` (1..256 ranges of count >= 1; otherwise malformed without asking)
  // of segment `segment_id` the peer holds: its MSG_BLKLIST ranges, checked to lie within the
  // request and to name the same segment (else bad_data). Empty: it holds none of them, or is
  // busy. NextBlockIndex is a hint this call does not pass on (A11).
  void get_block_list(const boost::asio::ip::tcp::endpoint& peer, const crypto::Digest& segment_id,
                      std::vector<wire::pccrr::BlockRange> ranges, Clock::time_point deadline,
                      BlockListHandler handler);

  // Connections open (connecting, busy or idle) to all peers; from any thread.
  [[nodiscard]] std::size_t open_connections() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace peerdist::net
