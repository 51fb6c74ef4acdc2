// `peerdist fetch CI -o FILE [--origin FILE]`: gets a content through peerdistd's client API
// (the local cache, then the branch's peers), given only its content information. What no
// cache has comes from --origin, a local copy standing for the content server (how a test,
// a script or an admin pre-seeding a branch supplies the origin), and goes into the cache with
// AddData, verified, so the next machine gets it from this one. Without --origin, missing
// ranges are listed and the command fails.
//
// The transfer itself (reads in flight, AddData of the origin's bytes) is transfer.hpp's,
// shared with `peerdist get`.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "peerdist/pccrc/codec.hpp"
#include "peerdist/peerdist.hpp"

#include "commands.hpp"
#include "human_units.hpp"
#include "io.hpp"
#include "transfer.hpp"

namespace peerdist::cli {
namespace {

// The largest CI accepted: a V1 CI of a 1 TiB content is ~0.5 GiB; pccrc::parse caps it too.
constexpr std::uint64_t kMaxContentInformationSize = std::uint64_t{1} << 30U;
// Origin bytes added per AddData call.
constexpr std::size_t kOriginPiece = std::size_t{4} << 20U;

int fail(const std::string& message) {
  std::cerr << "peerdist fetch: " << message << '\n';
  return kExitFailure;
}

struct FetchOptions {
  std::string content_information;
  std::string output;
  std::string origin;
  std::optional<unsigned> timeout_ms;
  bool local_only = false;
  unsigned window = kDefaultTransferWindow;
  bool progress = false;
  bool no_progress = false;
  bool json = false;
  // "stream": StreamReads on the handle's cursor; "block": BlockReads at explicit offsets.
  std::string reads = "stream";
};

// The origin of `peerdist fetch`: a local copy of the content, read in pieces.
class FileOrigin final : public Origin {
 public:
  FileOrigin(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  FileOrigin(const FileOrigin&) = delete;
  FileOrigin& operator=(const FileOrigin&) = delete;
  FileOrigin(FileOrigin&&) = delete;
  FileOrigin& operator=(FileOrigin&&) = delete;
  ~FileOrigin() override { ::close(fd_); }

  Expected<void, std::string> read(pccrc::ByteRange range, const OriginSink& sink) override {
    for (std::uint64_t at = range.start; at < range.end;) {
      const auto n =
          static_cast<std::size_t>(std::min<std::uint64_t>(kOriginPiece, range.end - at));
      auto bytes = read_piece(at, n);
      if (!bytes) return Unexpected(bytes.error());
      if (auto sunk = sink(at, *bytes); !sunk) return sunk;
      at += n;
    }
    return {};
  }

 private:
  Expected<std::vector<std::uint8_t>, std::string> read_piece(std::uint64_t offset,
                                                              std::size_t length) const {
    std::vector<std::uint8_t> bytes(length);
    std::size_t got = 0;
    while (got < length) {
      const auto n =
          ::pread(fd_, bytes.data() + got, length - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Unexpected(name_ + ": " + std::strerror(errno));
      if (n == 0) {
        return Unexpected(name_ + ": shorter than the content (ends at " +
                          std::to_string(offset + got) + ")");
      }
      got += static_cast<std::size_t>(n);
    }
    return bytes;
  }

  int fd_;
  std::string name_;
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

  std::unique_ptr<FileOrigin> origin;
  if (!o.origin.empty()) {
    const int fd = ::open(o.origin.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(o.origin + ": " + std::strerror(errno));
    origin = std::make_unique<FileOrigin>(fd, o.origin);
  }

  auto output = OutputFile::create(o.output, o.output + ".peerdist-partial", range.length());
  if (!output) return fail(output.error());

  auto instance = Instance::start();
  if (!instance) return fail(describe_service_error(instance.error()));

  TransferOptions options;
  options.timeout = o.local_only   ? kReadLocalCacheOnly
                    : o.timeout_ms ? std::chrono::milliseconds(*o.timeout_ms)
                                   : kReadDefaultTimeout;
  options.window = o.window;
  options.block_reads = o.reads == "block";
  options.label = "fetching " + o.output;
  options.progress = o.no_progress ? Progress::Mode::never
                     : o.progress  ? Progress::Mode::always
                                   : Progress::Mode::automatic;
  auto result = transfer(*instance, *ci_bytes, *ci, origin.get(), *output, options);
  if (!result) return fail(result.error().message);

  if (!result->unavailable.empty()) {
    std::ostringstream ranges;
    std::uint64_t missing = 0;
    for (const auto& r : result->unavailable) {
      if (missing != 0) ranges << ", ";
      ranges << r.start << '-' << (r.end - 1);
      missing += r.length();
    }
    return fail(std::to_string(missing) + " bytes are in no cache of the branch (bytes " +
                ranges.str() + "); give --origin FILE to take them from a copy of the content");
  }
  if (auto committed = output->commit(); !committed) return fail(committed.error());

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (o.json) {
    nlohmann::json summary = {{"bytes", range.length()},
                              {"first_byte_seconds", result->first_byte_seconds.value_or(seconds)},
                              {"from_cache", result->from_cache},
                              {"from_peers", result->from_peers},
                              {"from_origin", result->from_origin},
                              {"seconds", seconds},
                              {"output", o.output}};
    std::cout << summary.dump() << '\n';
  } else {
    std::cerr << o.output << ": " << human_bytes(range.length()) << " in " << seconds
              << " s: " << human_bytes(result->from_cache) << " from the cache, "
              << human_bytes(result->from_peers) << " from peers, "
              << human_bytes(result->from_origin) << " from the origin\n";
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
