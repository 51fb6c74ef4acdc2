// `peerdist get URL [-o FILE]`: an HTTP download through BranchCache (MS-PCCRTP). The request
// says the client accepts the peerdist content coding; a server that answers with it sends the
// content information (CI) instead of the body, and the content then comes through peerdistd
// (the local cache, then the branch's peers). What no cache has is fetched from the origin with
// range requests marked MissingDataRequest=true, verified and added to the cache by the service
// (so the next machine gets it from this one). A plain answer is simply downloaded; so is
// everything when peerdistd cannot be reached.
//
// The output is written to FILE.part and renamed to FILE once complete: an interrupted or
// failed get never leaves a partial FILE. A re-run after an interruption takes the blocks
// verified so far from the local cache (the service kept them), not from the origin.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "peerdist/pccrc/codec.hpp"
#include "peerdist/peerdist.hpp"
#include "peerdist/wire/pccrtp/accept_encoding.hpp"
#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/peerdist_header.hpp"
#include "peerdist/wire/pccrtp/request_headers.hpp"

#include "commands.hpp"
#include "http_client.hpp"
#include "human_units.hpp"
#include "transfer.hpp"

namespace peerdist::cli {
namespace {

namespace http = boost::beast::http;
namespace pccrtp = wire::pccrtp;

// Redirects followed before giving up (a loop, or a chain no real server needs: browsers stop
// at 20, curl -L at 50; five is plenty for mirrors and "latest" links).
constexpr unsigned kMaxRedirects = 5;
// The largest peerdist body (CI) accepted: a V1 CI of a 1 TiB content is ~0.5 GiB, as for
// `peerdist fetch`.
constexpr std::uint64_t kMaxContentInformationSize = std::uint64_t{1} << 30U;
// Missing data is fetched in range requests of this size: large enough that a request's round
// trip is small next to its transfer, small enough that a piece in memory is cheap and that an
// interrupted get loses little (whole blocks are verified and cached as each piece arrives).
constexpr std::uint64_t kRangePiece = std::uint64_t{4} << 20U;
// Range requests in flight to the origin at once: enough to fill a link whose round trip is
// tens of ms, few enough that the origin sees a handful of connections per client (iPXE uses
// 2, browsers 6 per host).
constexpr unsigned kMaxParallelRanges = 4;
// Pieces fetched ahead of the one being added to the cache (memory: this many pieces).
constexpr unsigned kPiecesAhead = 2 * kMaxParallelRanges;
// Body bytes read at a time on a plain download.
constexpr std::size_t kPlainReadSize = std::size_t{1} << 20U;

struct GetOptions {
  std::string url;
  std::string output;
  std::string ci_version = "any";  // what to ask the server for: "1", "2" or "any"
  bool no_peerdist = false;
  std::optional<unsigned> timeout_ms;
  unsigned window = kDefaultTransferWindow;
  unsigned parallel = kMaxParallelRanges;
  // "stream": StreamReads on the handle's cursor; "block": BlockReads at explicit offsets.
  std::string reads = "stream";
  bool progress = false;
  bool no_progress = false;
  bool json = false;
};

int fail(const std::string& message) {
  std::cerr << "peerdist get: " << message << '\n';
  return kExitFailure;
}

http::fields to_fields(const pccrtp::RequestHeaders& headers) {
  http::fields fields;
  if (headers.accept_encoding) fields.set(http::field::accept_encoding, *headers.accept_encoding);
  fields.set(std::string(pccrtp::kPeerDistField), headers.peerdist);
  if (headers.peerdist_ex) fields.set(std::string(pccrtp::kPeerDistExField), *headers.peerdist_ex);
  return fields;
}

http::fields peerdist_request_fields(const GetOptions& o) {
  if (o.ci_version == "1") return to_fields(pccrtp::v1_request());
  if (o.ci_version == "2") return to_fields(pccrtp::v2_only_request());
  return to_fields(pccrtp::v1_v2_request());
}

std::string status_text(const ResponseHead& head) {
  std::string text = std::to_string(head.status);
  const auto reason = http::obsolete_reason(static_cast<http::status>(head.status));
  if (!reason.empty()) text += " " + std::string(reason);
  return text;
}

bool is_peerdist(const ResponseHead& head) {
  // Content-Encoding is a list; peerdist is the only coding we asked for.
  return pccrtp::accepts_peerdist(head.field("Content-Encoding"));
}

// GET with redirects followed; returns the final URL and the head of a 200 response (the
// connection then positioned at its body).
struct Answer {
  Url url;
  ResponseHead head;
};
Expected<Answer, std::string> get_following(HttpConnection& connection, Url url,
                                            const http::fields& fields) {
  for (unsigned redirects = 0;; ++redirects) {
    auto head = connection.request(url, fields);
    if (!head) return Unexpected(head.error());
    if (head->status == 200) return Answer{std::move(url), std::move(*head)};
    if (head->status >= 300 && head->status < 400 && head->status != 304) {
      const std::string location = head->field("Location");
      if (location.empty())
        return Unexpected(url.text() + ": " + status_text(*head) + " without a Location");
      if (redirects == kMaxRedirects) {
        return Unexpected(url.text() + ": more than " + std::to_string(kMaxRedirects) +
                          " redirects");
      }
      auto next = resolve_location(url, location);
      if (!next)
        return Unexpected(url.text() + " redirects to '" + location + "': " + next.error());
      url = std::move(*next);
      continue;
    }
    return Unexpected(url.text() + ": " + status_text(*head));
  }
}

// The origin of `peerdist get`: range requests to the final URL, several in flight, handed
// on in content order (so AddData sees the bytes in order and memory stays bounded).
class HttpRangeOrigin final : public Origin {
 public:
  HttpRangeOrigin(Url url, unsigned parallel)
      : url_(std::move(url)), parallel_(std::max(1U, parallel)) {}

  Expected<void, std::string> read(pccrc::ByteRange range, const OriginSink& sink) override {
    struct Piece {
      std::uint64_t offset = 0;
      std::uint64_t length = 0;
      std::optional<Expected<std::vector<std::uint8_t>, std::string>> result;
    };
    std::vector<Piece> pieces;
    for (std::uint64_t at = range.start; at < range.end; at += kRangePiece) {
      pieces.push_back({at, std::min(kRangePiece, range.end - at), std::nullopt});
    }
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t next_to_take = 0;
    std::size_t next_to_sink = 0;
    bool stop = false;

    const auto worker = [&](HttpConnection& connection) {
      for (;;) {
        std::size_t index = 0;
        {
          std::unique_lock lock(mutex);
          changed.wait(lock, [&] {
            return stop || next_to_take == pieces.size() ||
                   next_to_take < next_to_sink + kPiecesAhead;
          });
          if (stop || next_to_take == pieces.size()) return;
          index = next_to_take++;
        }
        auto bytes = fetch(connection, pieces[index].offset, pieces[index].length);
        std::lock_guard lock(mutex);
        pieces[index].result = std::move(bytes);
        changed.notify_all();
      }
    };
    const unsigned workers = static_cast<unsigned>(std::min<std::size_t>(parallel_, pieces.size()));
    while (connections_.size() < workers)
      connections_.push_back(std::make_unique<HttpConnection>());
    std::vector<std::thread> threads;
    threads.reserve(workers);
    for (unsigned i = 0; i < workers; ++i) threads.emplace_back(worker, std::ref(*connections_[i]));

    Expected<void, std::string> outcome;
    for (std::size_t i = 0; i < pieces.size() && outcome; ++i) {
      std::optional<Expected<std::vector<std::uint8_t>, std::string>> taken;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return pieces[i].result.has_value(); });
        taken = std::move(pieces[i].result);
        pieces[i].result.reset();
      }
      auto& bytes = *taken;
      if (!bytes) {
        outcome = Unexpected(bytes.error());
      } else {
        outcome = sink(pieces[i].offset, *bytes);
      }
      std::lock_guard lock(mutex);
      next_to_sink = i + 1;
      if (!outcome) stop = true;
      changed.notify_all();
    }
    for (auto& thread : threads) thread.join();
    return outcome;
  }

 private:
  // One piece by a range request; a kept-alive connection the server closed meanwhile is
  // reopened once.
  Expected<std::vector<std::uint8_t>, std::string> fetch(HttpConnection& connection,
                                                         std::uint64_t offset,
                                                         std::uint64_t length) {
    auto fields = to_fields(pccrtp::missing_data_request());
    fields.set(http::field::range,
               "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
    auto bytes = fetch_once(connection, fields, offset, length);
    if (!bytes && connection.reused()) {
      connection.close();
      bytes = fetch_once(connection, fields, offset, length);
    }
    return bytes;
  }

  Expected<std::vector<std::uint8_t>, std::string> fetch_once(HttpConnection& connection,
                                                              const http::fields& fields,
                                                              std::uint64_t offset,
                                                              std::uint64_t length) {
    const std::string what = url_.text() + " (bytes " + std::to_string(offset) + "-" +
                             std::to_string(offset + length - 1) + ")";
    auto head = connection.request(url_, fields);
    if (!head) return Unexpected(head.error());
    if (head->status != 206) {
      connection.close();
      if (head->status == 200) {
        return Unexpected(what + ": the origin ignored the range request (200 instead of 206)");
      }
      return Unexpected(what + ": " + status_text(*head));
    }
    if (is_peerdist(*head)) {
      connection.close();
      return Unexpected(what + ": the origin answered a missing-data request with peerdist");
    }
    const std::string expected =
        "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1) + "/";
    if (!head->field("Content-Range").starts_with(expected)) {
      connection.close();
      return Unexpected(what + ": unexpected Content-Range '" + head->field("Content-Range") + "'");
    }
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(length));
    std::size_t got = 0;
    for (;;) {
      auto n = connection.read_body(std::span(bytes).subspan(got));
      if (!n) return Unexpected(n.error());
      if (*n == 0) break;
      got += *n;
    }
    if (got != bytes.size()) {
      connection.close();
      return Unexpected(what + ": " + std::to_string(got) + " bytes instead of " +
                        std::to_string(bytes.size()));
    }
    return bytes;
  }

  Url url_;
  unsigned parallel_;
  // Kept across read() calls: later missing ranges reuse the connections.
  std::vector<std::unique_ptr<HttpConnection>> connections_;
};

struct Summary {
  std::uint64_t bytes = 0;
  std::uint64_t from_cache = 0;
  std::uint64_t from_peers = 0;
  std::uint64_t from_origin = 0;
  bool peerdist = false;
};

void print_summary(const GetOptions& o, const std::string& output, const Summary& s,
                   std::chrono::steady_clock::time_point started) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (o.json) {
    nlohmann::json summary = {{"bytes", s.bytes},           {"from_cache", s.from_cache},
                              {"from_peers", s.from_peers}, {"from_origin", s.from_origin},
                              {"seconds", seconds},         {"output", output},
                              {"peerdist", s.peerdist}};
    std::cout << summary.dump() << '\n';
  } else {
    std::cerr << output << ": " << human_bytes(s.bytes) << " in " << seconds
              << " s: " << human_bytes(s.from_cache) << " from the cache, "
              << human_bytes(s.from_peers) << " from peers, " << human_bytes(s.from_origin)
              << " from the origin" << (s.peerdist ? "" : " (plain HTTP)") << '\n';
  }
}

Progress::Mode progress_mode(const GetOptions& o) {
  return o.no_progress ? Progress::Mode::never
         : o.progress  ? Progress::Mode::always
                       : Progress::Mode::automatic;
}

// Streams the body of a 200 response to the output.
Expected<std::uint64_t, std::string> download_body(HttpConnection& connection,
                                                   const ResponseHead& head, OutputFile& output,
                                                   const GetOptions& o, const std::string& name) {
  Progress progress("downloading " + name, head.content_length.value_or(0), progress_mode(o));
  std::vector<std::uint8_t> buffer(kPlainReadSize);
  for (;;) {
    auto n = connection.read_body(buffer);
    if (!n) return Unexpected(n.error());
    if (*n == 0) break;
    auto written = output.append(std::span(buffer).first(*n));
    if (!written) return Unexpected(written.error());
    progress.update(output.appended());
  }
  progress.finish();
  if (head.content_length && output.appended() != *head.content_length) {
    return Unexpected("the body ended after " + std::to_string(output.appended()) + " of " +
                      std::to_string(*head.content_length) + " bytes");
  }
  return output.appended();
}

// The body of a plain 200 answer is the content: saved to FILE (by way of FILE.part).
int save_plain(const GetOptions& o, HttpConnection& connection, const Answer& answer,
               const std::string& name, std::chrono::steady_clock::time_point started) {
  auto output = OutputFile::create(name, name + ".part", std::nullopt);
  if (!output) return fail(output.error());
  auto bytes = download_body(connection, answer.head, *output, o, name);
  if (!bytes) return fail(answer.url.text() + ": " + bytes.error());
  if (auto committed = output->commit(); !committed) return fail(committed.error());
  print_summary(o, name, Summary{.bytes = *bytes, .from_origin = *bytes}, started);
  return kExitOk;
}

// A plain GET of `url` (no peerdist headers), streamed to the output.
int plain_get(const GetOptions& o, const Url& url, const std::string& name,
              std::chrono::steady_clock::time_point started) {
  HttpConnection connection;
  auto answer = get_following(connection, url, {});
  if (!answer) return fail(answer.error());
  return save_plain(o, connection, *answer, name, started);
}

int run_get(const GetOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  auto url = parse_url(o.url);
  if (!url) return fail(url.error());
  std::string name = o.output;
  if (name.empty()) {
    name = last_path_segment(*url);
    if (name.empty() || name == "." || name == "..") {
      return fail(o.url + " names no file; give -o FILE");
    }
  }

  // peerdistd first: without it a peerdist answer would be of no use.
  std::optional<Instance> instance;
  if (!o.no_peerdist) {
    auto started_instance = Instance::start();
    if (started_instance && started_instance->service_info()) {
      instance = std::move(*started_instance);
    } else {
      std::cerr << "peerdist get: peerdistd is not reachable (is it running? PEERDIST_SOCKET "
                   "names its socket); downloading without BranchCache\n";
    }
  }
  if (!instance) return plain_get(o, *url, name, started);

  HttpConnection connection;
  auto answer = get_following(connection, *url, peerdist_request_fields(o));
  if (!answer) return fail(answer.error());
  if (!is_peerdist(answer->head)) {
    // The server does not do BranchCache for this resource: the body is the content.
    return save_plain(o, connection, *answer, name, started);
  }

  // A peerdist answer: the body is the content information.
  const std::string where = answer->url.text();
  if (answer->head.content_length && *answer->head.content_length > kMaxContentInformationSize) {
    return fail(where + ": the content information is too large (" +
                std::to_string(*answer->head.content_length) + " bytes)");
  }
  std::vector<std::uint8_t> ci_bytes;
  {
    std::vector<std::uint8_t> buffer(kPlainReadSize);
    for (;;) {
      auto n = connection.read_body(buffer);
      if (!n) return fail(where + ": reading the content information: " + n.error());
      if (*n == 0) break;
      if (ci_bytes.size() + *n > kMaxContentInformationSize) {
        return fail(where + ": the content information is too large");
      }
      ci_bytes.insert(ci_bytes.end(), buffer.begin(),
                      buffer.begin() + static_cast<std::ptrdiff_t>(*n));
    }
  }
  auto ci = pccrc::parse(ci_bytes);
  if (!ci)
    return fail(where + ": the server's content information is not valid: " + ci.error().message());
  const auto header = pccrtp::parse_peerdist_header(answer->head.field(pccrtp::kPeerDistField));
  if (!header || !header->content_length) {
    return fail(where + ": a peerdist response without a valid X-P2P-PeerDist ContentLength");
  }
  if (ci->range.start != 0 || ci->range.length() != *header->content_length) {
    return fail(where + ": the content information describes bytes " +
                std::to_string(ci->range.start) + "-" + std::to_string(ci->range.end) +
                ", not the whole " + std::to_string(*header->content_length) + "-byte content");
  }

  Summary summary{.bytes = ci->range.length(), .peerdist = true};
  bool service_went_away = false;
  {
    auto output = OutputFile::create(name, name + ".part", ci->range.length());
    if (!output) return fail(output.error());
    HttpRangeOrigin origin(answer->url, o.parallel);
    TransferOptions options;
    options.timeout = o.timeout_ms ? std::chrono::milliseconds(*o.timeout_ms) : kReadDefaultTimeout;
    options.window = o.window;
    options.block_reads = o.reads == "block";
    options.retry_missing = true;
    options.label = "getting " + name;
    options.progress = progress_mode(o);
    auto result = transfer(*instance, ci_bytes, *ci, &origin, *output, options);
    if (!result && !result.error().service_unavailable) return fail(result.error().message);
    if (!result) {
      std::cerr << "peerdist get: BranchCache is not available (" << result.error().message
                << "); downloading without BranchCache\n";
      service_went_away = true;
    } else {
      if (auto committed = output->commit(); !committed) return fail(committed.error());
      summary.from_cache = result->from_cache;
      summary.from_peers = result->from_peers;
      summary.from_origin = result->from_origin;
    }
  }
  // The partial output (if any) is gone: the plain download starts afresh.
  if (service_went_away) {
    return plain_get(o, answer->url, name, started);
  }
  print_summary(o, name, summary, started);
  return kExitOk;
}

}  // namespace

void add_get_command(CLI::App& app, Runner& chosen) {
  auto options = std::make_shared<GetOptions>();
  auto* cmd = app.add_subcommand(
      "get",
      "Download an http:// URL through BranchCache: the branch's peers first, the origin for "
      "the rest");
  cmd->add_option("URL", options->url, "what to download (http://)")->required();
  cmd->add_option("-o,--output", options->output,
                  "where to write it (default: the URL's last path segment)");
  cmd->add_option("--ci-version", options->ci_version,
                  "content information versions to accept: 1, 2 or any")
      ->check(CLI::IsMember({"1", "2", "any"}))
      ->capture_default_str();
  cmd->add_flag("--no-peerdist", options->no_peerdist,
                "a plain download: no BranchCache, no peerdistd");
  cmd->add_option("--timeout", options->timeout_ms,
                  "how long each read may wait for peers, in ms (default: the service's, 5000)");
  cmd->add_option("--window", options->window, "reads in flight to peerdistd")
      ->check(CLI::Range(1U, 64U))
      ->capture_default_str();
  cmd->add_option("--reads", options->reads,
                  "how to read from peerdistd: 'stream' (StreamRead, the handle's cursor) or "
                  "'block' (BlockRead at explicit offsets, several parts of the content at once)")
      ->check(CLI::IsMember({"stream", "block"}))
      ->capture_default_str();
  cmd->add_option("--parallel", options->parallel, "range requests in flight to the origin")
      ->check(CLI::Range(1U, 16U))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print the summary as JSON on stdout");
  auto* on = cmd->add_flag("--progress", options->progress, "always show progress on stderr");
  auto* off = cmd->add_flag("--no-progress", options->no_progress, "never show progress");
  on->excludes(off);
  cmd->callback([options, &chosen] { chosen = [options] { return run_get(*options); }; });
}

}  // namespace peerdist::cli
