// The core shared by `peerdist fetch` and `peerdist get`: a content, given its content
// information, through peerdistd's client API (the local cache, then the branch's peers), with
// what no cache has taken from an Origin (a local copy for fetch, HTTP range requests for get)
// and added back with AddData, verified by the service, so the next machine gets it from here.
//
// Reads are StreamReads (or BlockReads), several in flight: the service fills them in order
// and each completes with whatever is there, so the window keeps the service busy (cache
// reads, peer fetches) while this program writes what came back.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "peerdist/pccrc/codec.hpp"
#include "peerdist/peerdist.hpp"
#include "peerdist/util/expected.hpp"

#include "progress.hpp"

namespace peerdist::cli {

// Receives origin bytes at their content offset; an error stops the origin.
using OriginSink =
    std::function<Expected<void, std::string>(std::uint64_t offset, std::span<const std::uint8_t>)>;

// Where the bytes no cache holds come from.
class Origin {
 public:
  Origin() = default;
  Origin(const Origin&) = delete;
  Origin& operator=(const Origin&) = delete;
  Origin(Origin&&) = delete;
  Origin& operator=(Origin&&) = delete;
  virtual ~Origin() = default;

  // Hands every byte of `range` to `sink`, in content order, in pieces; the first error (its
  // own or the sink's) ends it.
  virtual Expected<void, std::string> read(pccrc::ByteRange range, const OriginSink& sink) = 0;
};

// The output: a temporary file beside the target, renamed over it only when every byte is in.
// Destroyed without commit(), the temporary file is removed.
class OutputFile {
 public:
  static Expected<OutputFile, std::string> create(const std::string& path,
                                                  const std::string& temporary,
                                                  std::optional<std::uint64_t> size);
  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  Expected<void, std::string> write_at(std::uint64_t position, std::span<const std::uint8_t> data);
  // Appends at the end of what was appended so far.
  Expected<void, std::string> append(std::span<const std::uint8_t> data);
  Expected<void, std::string> commit();
  [[nodiscard]] std::uint64_t appended() const noexcept { return appended_; }

 private:
  OutputFile(int fd, std::string path, std::string temporary)
      : fd_(fd), path_(std::move(path)), temporary_(std::move(temporary)) {}
  int fd_;
  std::string path_;
  std::string temporary_;
  std::uint64_t appended_ = 0;
};

// The default StreamReads in flight: enough to keep a peer fetch pipelined and the cache thread
// busy.
inline constexpr unsigned kDefaultTransferWindow = 8;

struct TransferOptions {
  std::chrono::milliseconds timeout = kReadDefaultTimeout;
  unsigned window = kDefaultTransferWindow;
  // BlockReads at explicit offsets instead of StreamReads on the handle's cursor.
  bool block_reads = false;
  std::string label;
  Progress::Mode progress = Progress::Mode::automatic;
  // Before a missing range goes to the origin, ask for it once more with BlockReads: the
  // service's "no peer has it" rests on one discovery round over UDP multicast, and a probe or
  // answer lost on a busy network would otherwise send the whole range to the origin. Costs
  // one more discovery wait for data that really is missing.
  bool retry_missing = false;
};

struct TransferResult {
  std::uint64_t from_cache = 0;
  std::uint64_t from_peers = 0;
  std::uint64_t from_origin = 0;
  // From the first read to the first bytes: the latency of the cache or of discovery + retrieval.
  std::optional<double> first_byte_seconds;
  // Without an origin: the ranges no cache of the branch had, merged, in order.
  std::vector<pccrc::ByteRange> unavailable;
};

// What went wrong, with whether the service could not be reached at all or is disabled by
// policy (the caller may then do without it).
struct TransferError {
  std::string message;
  bool service_unavailable = false;
};

// Opens a content handle on `instance` (tagged by the CI's hash), adds the CI, reads the whole
// content into `output` (at content offset - range start), taking missing ranges from `origin`
// (or listing them when it is null). Does not commit the output.
Expected<TransferResult, TransferError> transfer(Instance& instance,
                                                 std::span<const std::uint8_t> ci_bytes,
                                                 const pccrc::ContentInformation& ci,
                                                 Origin* origin, OutputFile& output,
                                                 const TransferOptions& options);

// A service error in words, with a hint when the service is not running.
std::string describe_service_error(const std::error_code& error);

}  // namespace peerdist::cli
