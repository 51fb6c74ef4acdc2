// One content handle of the client API (PeerDistClientOpenContent): the application adds the
// content information (CI) it got from a content server, then reads the content, which comes
// from the local data cache, else from peers, else is reported missing so that the application
// fetches it from the origin and adds it back (AddData). The rules are docs/distributed-cache.md,
// "Read semantics"; the decisions beyond it are in docs/service.md.
//
// States (spec §4.4): need_ci --CompleteContentInformation--> completing --parsed, segments
// described to the cache with the handle's tag--> ready. Reads and AddData before ready:
// PEERDIST_ERROR_NOT_INITIALIZED; AddContentInformation after Complete:
// PEERDIST_ERROR_ALREADY_COMPLETED. A Complete that fails (the CI does not parse) or is
// cancelled returns to need_ci; after a parse failure the pieces added are dropped, so the
// application can add a correct CI. invalidated (the service went DISABLED/UNAVAILABLE): every
// call PEERDIST_ERROR_INVALIDATED.
//
// Threads: every member runs on the network thread. CI parsing and block verification go to the
// hashing pool, cache reads and the segment descriptions to the cache thread; their answers
// come back to the network thread and find the handle through a weak pointer, so a handle that
// was closed meanwhile is not told. Each asynchronous request ends exactly once through
// `finish` (a PendingOperation the instance registered, for Cancel).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "peerdist/net/peer_source.hpp"
#include "peerdist/service/cache_lookup.hpp"
#include "peerdist/service/client_context.hpp"
#include "peerdist/service/client_data.hpp"
#include "peerdist/service/content_layout.hpp"
#include "peerdist/service/partial_blocks.hpp"
#include "peerdist/service/pending_operation.hpp"
#include "peerdist/service/reply.hpp"
#include "peerdist/store/data_cache.hpp"

namespace peerdist::service {

class ClientContent : public std::enable_shared_from_this<ClientContent> {
 public:
  using Finish = std::function<void(const std::shared_ptr<PendingOperation>& op, Reply reply)>;
  enum class State : std::uint8_t { need_ci, completing, ready, invalidated };

  // The CI a handle holds while it is being added. 64 MiB is a V1 CI of ~128 GiB of content;
  // it bounds what one handle can make the daemon hold (pccrc's own parse limit is 512 MiB).
  static constexpr std::size_t kMaxContentInformationSize = std::size_t{64} << 20U;
  // Bytes of blocks not yet whole that AddData keeps per handle: 64 V1 blocks or 64 of the
  // largest V2 segments, enough for any order of origin responses that is nearly sequential.
  // Past it, the least recently touched partial block is dropped (a later read reports it
  // missing again).
  static constexpr std::size_t kMaxPartialBytes = std::size_t{8} << 20U;
  // PEERDIST_READ_TIMEOUT_DEFAULT: 5 seconds (spec §2.3).
  static constexpr std::chrono::milliseconds kDefaultReadTimeout{5000};
  // A read whose peer fetch timed out with less than this left of its own timeout does not
  // ask again: it times out.
  static constexpr std::chrono::milliseconds kMinRefetchTime{50};
  // Blocks one read looks at: a hostile CI of tiny V2 segments cannot make one read visit
  // millions; the read then simply returns fewer bytes.
  static constexpr std::size_t kMaxPlanBlocks = 1024;
  // Blocks this handle's fetches brought that no read has taken yet, kept so that the next read
  // takes them from memory rather than from the cache thread (which would read back the file
  // just written): twice a window of reads in flight (peerdist fetch: 8 of 1 MiB), per handle.
  // Past it they are dropped (reads then look in the cache, as without them).
  static constexpr std::size_t kMaxFetchedBytes = std::size_t{16} << 20U;
  // The largest count a read's Result can carry (a DWORD): missing ranges and query answers
  // are clamped to it.
  static constexpr std::uint64_t kMaxReportedBytes = 0xFFFFFFFFU;

  // `tag` is the user's tag as stored (user_tag()).
  ClientContent(ClientContext& context, std::uint64_t id, store::ContentTag tag, Finish finish);
  ~ClientContent();
  ClientContent(const ClientContent&) = delete;
  ClientContent& operator=(const ClientContent&) = delete;

  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] const store::ContentTag& tag() const noexcept { return tag_; }

  // The asynchronous requests; each ends `op` exactly once.
  void add_content_information(const std::shared_ptr<PendingOperation>& op, ClientData data);
  void complete_content_information(const std::shared_ptr<PendingOperation>& op);
  void add_data(const std::shared_ptr<PendingOperation>& op, std::uint64_t offset, ClientData data);
  // BlockRead at `offset`, or StreamRead (nullopt) at the handle's position.
  void read(const std::shared_ptr<PendingOperation>& op, std::optional<std::uint64_t> offset,
            std::uint32_t max_bytes, std::uint32_t timeout_ms);

  // PeerDistClientGetInformationByHandle (synchronous).
  [[nodiscard]] Reply information(std::uint32_t info_class) const;

  // Ends one pending request with ERROR_OPERATION_ABORTED (Cancel). A cancelled
  // CompleteContentInformation returns the handle to need_ci.
  void cancel(const std::shared_ptr<PendingOperation>& op);
  // Ends every pending request with `status` and stops the handle's fetches (close, shutdown).
  void end(std::uint32_t status);
  // The service went DISABLED or UNAVAILABLE: end(PEERDIST_ERROR_INVALIDATED), and every later
  // call gets it too.
  void invalidate();

  // For tests and status.
  [[nodiscard]] std::uint64_t stream_position() const noexcept { return cursor_; }
  [[nodiscard]] std::size_t partial_bytes() const noexcept { return partials_.bytes(); }
  [[nodiscard]] std::size_t fetches() const noexcept { return fetches_.size(); }
  [[nodiscard]] std::size_t reads_pending() const noexcept { return reads_.size(); }
  [[nodiscard]] const ContentLayout* layout() const noexcept { return layout_.get(); }

 private:
  struct Read {
    enum class Phase : std::uint8_t { queued, looking, waiting };
    std::shared_ptr<PendingOperation> op;
    bool stream = false;
    Phase phase = Phase::queued;
    std::uint64_t offset = 0;
    std::uint32_t max_bytes = 0;
    std::uint32_t timeout_ms = 0;
    std::chrono::steady_clock::time_point deadline;
    std::vector<BlockPlace> plan;  // the blocks the read covers, from the one holding offset
    std::vector<bool> held;        // per plan block, when the cache was looked at
    std::vector<std::optional<BlockBytes>> arrived;  // per plan block, while waiting
    std::uint64_t missing_end = 0;
    bool looked = false;  // held and missing_end are known (the cache was looked at)
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::vector<std::uint64_t> listening;  // CacheFront listener tokens
  };

  // What the cache thread found for a read.
  struct Look {
    std::vector<BlockBytes> prefix;  // the held blocks from plan[0] on, contiguous
    std::vector<bool> held;          // per plan block (only when the prefix is empty)
    std::uint64_t missing_end = 0;   // the next held byte (only when the prefix is empty)
  };

  struct FetchState {
    std::shared_ptr<net::PeerSource> source;  // kept alive while its fetch runs
    std::shared_ptr<net::Fetch> fetch;
    std::size_t segment = 0;              // in the layout
    std::set<std::uint32_t> outstanding;  // block indices not handed over yet
  };

  // A whole block AddData gives the hashing pool to verify.
  struct VerifyItem {
    BlockPlace place;
    std::shared_ptr<const pccrc::SegmentDescriptor> segment;
    std::vector<std::uint8_t> assembled;   // from partial pieces, or
    std::span<const std::uint8_t> source;  // straight from the request's bytes
  };

  void complete(const std::shared_ptr<PendingOperation>& op, Reply reply);
  [[nodiscard]] std::optional<std::uint32_t> refuse_ready() const;

  // Content information.
  void on_parsed(const std::shared_ptr<PendingOperation>& op,
                 Expected<std::shared_ptr<const ContentLayout>, std::uint32_t> layout);
  void on_described(const std::shared_ptr<PendingOperation>& op,
                    std::shared_ptr<const ContentLayout> layout, std::uint32_t status);

  // AddData.

  // Reads.
  void start_read(std::uint64_t serial);
  // Answers the read from the blocks in memory (fetched_, pending()) when they answer it as the
  // cache would: a prefix that covers the plan or stops at a block being fetched (which was not
  // held when its read looked). False: the cache thread must look.
  bool answer_from_memory(std::uint64_t serial, const Read& read);
  [[nodiscard]] std::shared_ptr<const pccrc::VerifiedBlock> in_memory(const BlockPlace& place);
  void forget_fetched();
  void start_query(std::uint64_t serial);
  // Asks the cache thread what it holds for the read; `ending`: the read ends with that status
  // unless the look finds its first block.
  void post_look(std::uint64_t serial, std::optional<std::uint32_t> ending);
  void on_looked(std::uint64_t serial, Look look, std::optional<std::uint32_t> ending);
  void on_queried(std::uint64_t serial, std::uint64_t held_end);
  void wait(std::uint64_t serial, Read& read);
  void on_block(std::uint64_t serial, const std::shared_ptr<const pccrc::VerifiedBlock>& block);
  void finish_with_data(std::uint64_t serial, const std::vector<BlockBytes>& blocks,
                        bool from_cache);
  void finish_missing(std::uint64_t serial, std::uint32_t status);
  void finish_read(std::uint64_t serial, Reply reply);
  void next_stream_read();
  // The held bytes after the missing start that CacheFront got since the look.
  [[nodiscard]] std::uint64_t clip_missing_end(std::uint64_t offset, std::uint64_t end) const;

  // Fetches.
  void fetch_for(Read& read);
  void on_fetched_block(std::uint64_t fetch_id, pccrc::VerifiedBlock block);
  void on_fetch_done(std::uint64_t fetch_id, net::FetchOutcome outcome);
  void stop_fetches();

  ClientContext& context_;
  std::uint64_t id_;
  store::ContentTag tag_;
  Finish finish_;
  State state_ = State::need_ci;

  std::vector<std::uint8_t> ci_bytes_;
  std::shared_ptr<PendingOperation> completing_;
  std::shared_ptr<const std::vector<std::uint8_t>> ci_completing_;  // what Complete parses
  std::shared_ptr<const ContentLayout> layout_;

  // Pending requests other than reads (AddData being verified or stored, Complete).
  std::set<std::shared_ptr<PendingOperation>> others_;

  std::uint64_t next_serial_ = 1;
  std::map<std::uint64_t, Read> reads_;     // by serial, never reused
  std::deque<std::uint64_t> stream_reads_;  // FIFO; the head is the one started
  std::uint64_t cursor_ = 0;                // StreamRead position

  std::uint64_t next_fetch_ = 1;
  std::map<std::uint64_t, FetchState> fetches_;
  std::map<std::uint64_t, std::uint64_t> in_flight_;  // block ordinal -> fetch id

  PartialBlocks partials_{kMaxPartialBytes};  // by block ordinal

  // Blocks fetched for this handle not yet read (kMaxFetchedBytes), by ordinal, and the
  // CacheFront generation they belong to.
  std::map<std::uint64_t, std::shared_ptr<const pccrc::VerifiedBlock>> fetched_;
  std::size_t fetched_bytes_ = 0;
  std::uint64_t fetched_generation_ = 0;
};

}  // namespace peerdist::service
