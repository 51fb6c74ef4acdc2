// `peerdist fetch CI -o FILE [--origin FILE]`: gets a content through peerdistd's client API
// (the local cache, then the branch's peers), given only its content information. What no
// cache has comes from --origin, a local copy standing for the content server (how a test,
// a script or an admin pre-seeding a branch supplies the origin), and goes into the cache with
// AddData, verified, so the next machine gets it from this one. Without --origin, missing
// ranges are listed and the command fails.
//
// Reads are StreamReads, several in flight: the service fills them in order and each
// completes with whatever is there, so the window keeps the service busy (cache reads, peer
// fetches) while this program writes what came back.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <future>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/peerdist.hpp"

#include "commands.hpp"
#include "human_units.hpp"
#include "io.hpp"
#include "progress.hpp"

namespace peerdist::cli {
namespace {

// The largest CI accepted: a V1 CI of a 1 TiB content is ~0.5 GiB; pccrc::parse caps it too.
constexpr std::uint64_t kMaxContentInformationSize = std::uint64_t{1} << 30U;
// Pieces of the CI handed to AddContentInformation (the service takes them one at a time).
constexpr std::size_t kContentInformationPiece = std::size_t{1} << 20U;
// Each StreamRead asks for this much; the service answers with up to what it holds.
constexpr std::size_t kDefaultReadSize = std::size_t{1} << 20U;
// StreamReads in flight: enough to keep a peer fetch pipelined and the cache thread busy.
constexpr unsigned kDefaultWindow = 8;
// Origin bytes added per AddData call.
constexpr std::size_t kOriginPiece = std::size_t{4} << 20U;

int fail(const std::string& message) {
  std::cerr << "peerdist fetch: " << message << '\n';
  return kExitFailure;
}

std::string describe(const std::error_code& error) {
  std::string text = error.message();
  if (error.value() == PEERDIST_ERROR_SERVICE_UNAVAILABLE) {
    text += " (is peerdistd running? PEERDIST_SOCKET names its socket)";
  }
  return text;
}

struct FetchOptions {
  std::string content_information;
  std::string output;
  std::string origin;
  std::optional<unsigned> timeout_ms;
  bool local_only = false;
  unsigned window = kDefaultWindow;
  bool progress = false;
  bool no_progress = false;
  bool json = false;
  // "stream": StreamReads on the handle's cursor; "block": BlockReads at explicit offsets.
  std::string reads = "stream";
};

// The output: a temporary file beside the target, renamed over it only when every byte is in.
class OutputFile {
 public:
  static Expected<OutputFile, std::string> create(const std::string& path, std::uint64_t size) {
    std::string temporary = path + ".peerdist-partial";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Unexpected(temporary + ": " + std::strerror(errno));
    OutputFile file(fd, path, std::move(temporary));
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      return Unexpected(file.temporary_ + ": " + std::strerror(errno));
    }
    return file;
  }
  OutputFile(OutputFile&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)),
        path_(std::move(other.path_)),
        temporary_(std::move(other.temporary_)) {}
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(temporary_.c_str());
    }
  }

  Expected<void, std::string> write_at(std::uint64_t position, std::span<const std::uint8_t> data) {
    while (!data.empty()) {
      const auto n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(position));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Unexpected(temporary_ + ": " + std::strerror(errno));
      data = data.subspan(static_cast<std::size_t>(n));
      position += static_cast<std::uint64_t>(n);
    }
    return {};
  }
  Expected<void, std::string> commit() {
    if (::fsync(fd_) != 0 || ::close(std::exchange(fd_, -1)) != 0) {
      return Unexpected(temporary_ + ": " + std::strerror(errno));
    }
    if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
      return Unexpected(path_ + ": " + std::strerror(errno));
    }
    return {};
  }

 private:
  OutputFile(int fd, std::string path, std::string temporary)
      : fd_(fd), path_(std::move(path)), temporary_(std::move(temporary)) {}
  int fd_;
  std::string path_;
  std::string temporary_;
};

Expected<std::vector<std::uint8_t>, std::string> read_origin(int fd, std::uint64_t offset,
                                                             std::size_t length,
                                                             const std::string& name) {
  std::vector<std::uint8_t> bytes(length);
  std::size_t got = 0;
  while (got < length) {
    const auto n = ::pread(fd, bytes.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unexpected(name + ": " + std::strerror(errno));
    if (n == 0)
      return Unexpected(name + ": shorter than the content (ends at " +
                        std::to_string(offset + got) + ")");
    got += static_cast<std::size_t>(n);
  }
  return bytes;
}

// The service's byte counters (ServiceInfo JSON), to say where the bytes came from. Missing
// keys read as 0: the counters are informative, never a reason to fail.
struct Counters {
  std::uint64_t from_cache = 0;
  std::uint64_t from_peers = 0;
};
Counters read_counters(const Instance& instance) {
  Counters counters;
  auto info = instance.service_info();
  if (!info) return counters;
  const auto json = nlohmann::json::parse(*info, nullptr, false);
  if (!json.is_object()) return counters;
  const auto number = [&json](const char* key) -> std::uint64_t {
    const auto& value = json.value(key, nlohmann::json());
    return value.is_number_unsigned() ? value.get<std::uint64_t>() : 0;
  };
  counters.from_cache = number("bytes_from_cache");
  counters.from_peers = number("bytes_from_peers");
  return counters;
}

struct PendingRead {
  std::vector<std::uint8_t> buffer;
  std::future<ReadResult> result;
  // BlockRead mode: the range this read asked for (a short answer asks again for the rest).
  std::uint64_t offset = 0;
};

int run_fetch(const FetchOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  auto ci_bytes = read_all(o.content_information, kMaxContentInformationSize);
  if (!ci_bytes) return fail(ci_bytes.error());
  auto ci = pccrc::parse(*ci_bytes);
  if (!ci) {
    return fail(o.content_information + ": not valid content information: " + ci.error().message());
  }
  const pccrc::ByteRange range = ci->range;

  int origin_fd = -1;
  if (!o.origin.empty()) {
    origin_fd = ::open(o.origin.c_str(), O_RDONLY | O_CLOEXEC);
    if (origin_fd < 0) return fail(o.origin + ": " + std::strerror(errno));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() {
      if (fd >= 0) ::close(fd);
    }
  } origin_closer{origin_fd};

  auto output = OutputFile::create(o.output, range.length());
  if (!output) return fail(output.error());

  auto instance = Instance::start();
  if (!instance) return fail(describe(instance.error()));
  const Counters before = read_counters(*instance);

  // The tag labels what this fetch adds to the cache: the CI's own hash, so fetching the same
  // content again uses the same tag and `FlushContent` of it removes it.
  ContentTag tag{};
  const auto digest = crypto::hash(crypto::HashAlgorithm::sha256, *ci_bytes);
  std::copy_n(digest.bytes().begin(), tag.size(), tag.begin());
  auto content = instance->open_content(tag);
  if (!content) return fail("opening the content: " + describe(content.error()));
  for (std::size_t at = 0; at < ci_bytes->size(); at += kContentInformationPiece) {
    const auto piece = std::span<const std::uint8_t>(*ci_bytes).subspan(
        at, std::min(kContentInformationPiece, ci_bytes->size() - at));
    if (auto error = content->add_content_information(piece).get()) {
      return fail("adding the content information: " + describe(error));
    }
  }
  if (auto error = content->complete_content_information().get()) {
    return fail("completing the content information: " + describe(error));
  }

  const std::chrono::milliseconds timeout =
      o.local_only
          ? kReadLocalCacheOnly
          : (o.timeout_ms ? std::chrono::milliseconds(*o.timeout_ms) : kReadDefaultTimeout);
  const auto mode = o.no_progress ? Progress::Mode::never
                    : o.progress  ? Progress::Mode::always
                                  : Progress::Mode::automatic;
  Progress progress("fetching " + o.output, range.length(), mode);

  std::deque<PendingRead> window;
  bool at_end = false;
  std::uint64_t from_service = 0;
  std::uint64_t from_origin = 0;
  std::uint64_t done = 0;
  std::vector<pccrc::ByteRange> unavailable;
  // BlockRead mode walks the content itself: `next` is the first offset not yet asked for,
  // and a read answered short asks again for the rest of its piece.
  const bool block_mode = o.reads == "block";
  std::uint64_t next = range.start;
  // From the first read to the first bytes: the latency of the cache or of discovery + retrieval.
  std::optional<double> first_byte_seconds;
  const auto reads_started = std::chrono::steady_clock::now();
  const auto issue_at = [&](std::uint64_t offset, std::size_t length) {
    PendingRead read{std::vector<std::uint8_t>(length), {}, offset};
    read.result = content->block_read(offset, read.buffer, timeout);
    window.push_back(std::move(read));
  };
  const auto issue = [&] {
    if (block_mode) {
      if (next >= range.end) return;
      const auto n =
          static_cast<std::size_t>(std::min<std::uint64_t>(kDefaultReadSize, range.end - next));
      issue_at(next, n);
      next += n;
      return;
    }
    PendingRead read{std::vector<std::uint8_t>(kDefaultReadSize), {}, 0};
    read.result = content->stream_read(read.buffer, timeout);
    window.push_back(std::move(read));
  };
  while (!at_end && window.size() < std::max(1U, o.window)) {
    const auto queued = window.size();
    issue();
    if (window.size() == queued) break;
  }

  while (!window.empty()) {
    PendingRead read = std::move(window.front());
    window.pop_front();
    const ReadResult result = read.result.get();
    if (result.end()) {
      at_end = true;
    } else if (result.ok()) {
      if (result.offset < range.start || result.offset + result.bytes > range.end ||
          result.bytes > read.buffer.size() || result.bytes == 0 ||
          (block_mode && result.offset != read.offset)) {
        return fail("the service answered a read outside the content; giving up");
      }
      if (!first_byte_seconds) {
        first_byte_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - reads_started).count();
      }
      auto written =
          output->write_at(result.offset - range.start, std::span(read.buffer).first(result.bytes));
      if (!written) return fail(written.error());
      from_service += result.bytes;
      done += result.bytes;
      if (block_mode && result.bytes < read.buffer.size()) {
        issue_at(read.offset + result.bytes,
                 read.buffer.size() - static_cast<std::size_t>(result.bytes));
      }
    } else if (result.missing()) {
      // A BlockRead's missing range may run past the piece it asked for (to the next cached
      // byte): only the piece is this read's to fill; later pieces have reads of their own.
      const std::uint64_t limit = block_mode ? read.offset + read.buffer.size() : range.end;
      const std::uint64_t end = std::min(limit, result.offset + result.bytes);
      if (result.offset < range.start || end <= result.offset ||
          (block_mode && result.offset != read.offset)) {
        return fail("the service reported a missing range outside the content; giving up");
      }
      if (origin_fd < 0) {
        unavailable.push_back({result.offset, end});
      } else {
        for (std::uint64_t at = result.offset; at < end;) {
          const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kOriginPiece, end - at));
          auto bytes = read_origin(origin_fd, at, n, o.origin);
          if (!bytes) return fail(bytes.error());
          if (auto error = content->add_data(at, *bytes).get()) {
            return fail("the origin's bytes at " + std::to_string(at) + " were refused: " +
                        describe(error) + " (does --origin hold the content this CI describes?)");
          }
          auto written = output->write_at(at - range.start, *bytes);
          if (!written) return fail(written.error());
          from_origin += n;
          at += n;
        }
      }
      done += end - result.offset;
    } else {
      return fail("reading: " + describe(result.error));
    }
    progress.update(done);
    if (!at_end) issue();
  }
  progress.finish();

  if (!unavailable.empty()) {
    std::sort(unavailable.begin(), unavailable.end(),
              [](const auto& a, const auto& b) { return a.start < b.start; });
    std::vector<pccrc::ByteRange> merged;
    for (const auto& r : unavailable) {
      if (!merged.empty() && merged.back().end >= r.start) {
        merged.back().end = std::max(merged.back().end, r.end);
      } else {
        merged.push_back(r);
      }
    }
    unavailable = std::move(merged);
    std::ostringstream ranges;
    std::uint64_t missing = 0;
    for (const auto& r : unavailable) {
      if (missing != 0) ranges << ", ";
      ranges << r.start << '-' << (r.end - 1);
      missing += r.length();
    }
    return fail(std::to_string(missing) + " bytes are in no cache of the branch (bytes " +
                ranges.str() + "); give --origin FILE to take them from a copy of the content");
  }
  if (auto committed = output->commit(); !committed) return fail(committed.error());

  const Counters after = read_counters(*instance);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::uint64_t from_peers = after.from_peers - std::min(after.from_peers, before.from_peers);
  const std::uint64_t from_cache = from_service - std::min(from_service, from_peers);
  if (o.json) {
    nlohmann::json summary = {
        {"bytes", range.length()},    {"first_byte_seconds", first_byte_seconds.value_or(seconds)},
        {"from_cache", from_cache},   {"from_peers", from_peers},
        {"from_origin", from_origin}, {"seconds", seconds},
        {"output", o.output}};
    std::cout << summary.dump() << '\n';
  } else {
    std::cerr << o.output << ": " << human_bytes(range.length()) << " in " << seconds
              << " s: " << human_bytes(from_cache) << " from the cache, " << human_bytes(from_peers)
              << " from peers, " << human_bytes(from_origin) << " from the origin\n";
  }
  return kExitOk;
}

}  // namespace

void add_fetch_command(CLI::App& app, Runner& chosen) {
  auto options = std::make_shared<FetchOptions>();
  auto* cmd = app.add_subcommand(
      "fetch", "Get a content by its content information through peerdistd (cache, then peers)");
  cmd->add_option(
         "CI", options->content_information,
         "the content information ('-' = stdin), e.g. from 'peerdist hash' or 'peerdist ci'")
      ->required();
  cmd->add_option("-o,--output", options->output, "where to write the content")->required();
  cmd->add_option("--origin", options->origin,
                  "a copy of the content to take what no cache has from (it is verified and "
                  "added to the cache)");
  auto* timeout = cmd->add_option("--timeout", options->timeout_ms,
                                  "how long each read may wait for peers, in ms (default: the "
                                  "service's, 5000)");
  auto* local =
      cmd->add_flag("--local", options->local_only, "use only this machine's cache (ask no peer)");
  timeout->excludes(local);
  cmd->add_option("--window", options->window, "reads in flight")
      ->check(CLI::Range(1U, 64U))
      ->capture_default_str();
  cmd->add_option("--reads", options->reads,
                  "how to read: 'stream' (StreamRead, the handle's cursor) or 'block' (BlockRead "
                  "at explicit offsets)")
      ->check(CLI::IsMember({"stream", "block"}))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print the summary as JSON on stdout");
  auto* on = cmd->add_flag("--progress", options->progress, "always show progress on stderr");
  auto* off = cmd->add_flag("--no-progress", options->no_progress, "never show progress");
  on->excludes(off);
  cmd->callback([options, &chosen] { chosen = [options] { return run_fetch(*options); }; });
}

}  // namespace peerdist::cli
