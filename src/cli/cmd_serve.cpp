// peerdist serve DIR: an HTTP/1.1 origin for the files under DIR that answers BranchCache
// clients (Windows, iPXE, `peerdist get`) with content information (MS-PCCRTP); with
// --upstream URL instead of DIR, a reverse proxy that does the same for another origin's
// content. See docs/pccrtp.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <system_error>

#include "peerdist/crypto/random.hpp"
#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/net/pccrtp_origin.hpp"
#include "peerdist/util/hex.hpp"

#include "commands.hpp"
#include "key_options.hpp"

namespace peerdist::cli {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// An unprivileged port, so that `peerdist serve DIR` works without root; a real deployment
// names its port (--listen 0.0.0.0:80, or a reverse proxy in front).
constexpr std::string_view kDefaultListen = "0.0.0.0:8080";
// The generated server secret: 32 random bytes, the size Windows generates.
constexpr std::size_t kGeneratedKeyBytes = 32;
// A key file is read whole; one this large is not ours (a secret is a few dozen bytes).
constexpr std::size_t kMaxKeyFileBytes = 256;
// After SIGINT/SIGTERM: how long the handlers already queued may still run (their access-log
// lines); it ends sooner when none is left.
constexpr std::chrono::milliseconds kShutdownDrain{500};
constexpr const char* kKeyFileName = "server-secret.key";
constexpr const char* kCacheFileName = "hash-cache.sqlite";

struct ServeOptions {
  std::string root;
  std::string upstream;
  std::vector<std::string> listen;
  std::string state_dir;
  std::string access_log;
  KeyOptions key;
  unsigned threads = 0;
};

// strerror() without its static buffer.
std::string errno_text() {
  return std::generic_category().message(errno);
}

int fail(const std::string& message) {
  std::cerr << "peerdist serve: " << message << '\n';
  return kExitFailure;
}

// Root: /var/lib/peerdist/serve; others: $XDG_STATE_HOME/peerdist/serve, else
// ~/.local/state/peerdist/serve.
std::filesystem::path default_state_dir() {
  if (::geteuid() == 0) return "/var/lib/peerdist/serve";
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once at start, before any thread exists.
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "peerdist" / "serve";
  }
  const char* home = std::getenv("HOME");  // NOLINT(concurrency-mt-unsafe): as above
  return std::filesystem::path(home != nullptr && *home != '\0' ? home : ".") / ".local" / "state" /
         "peerdist" / "serve";
}

// "ADDR:PORT" or "[V6]:PORT"; port 0 lets the system choose (the log says which).
Expected<tcp::endpoint, std::string> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return Unexpected("--listen " + text + ": expected ADDR:PORT");
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Unexpected("--listen " + text + ": not an IP address");
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port_text) > 65535) {
    return Unexpected("--listen " + text + ": not a port");
  }
  return tcp::endpoint(address, static_cast<std::uint16_t>(std::stoul(port_text)));
}

// The secret kept in the state directory, created (mode 0600) on first use, so that the
// content information a client holds stays valid across restarts.
Expected<pccrc::ServerSecret, std::string> state_secret(const std::filesystem::path& dir) {
  const auto path = dir / kKeyFileName;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ipc::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd) {
      std::vector<std::uint8_t> key(kMaxKeyFileBytes);
      const ssize_t n = ::read(fd.get(), key.data(), key.size());
      if (n <= 0 || static_cast<std::size_t>(n) >= key.size()) {
        return Unexpected(path.string() + ": not a key file (expected " +
                          std::to_string(kGeneratedKeyBytes) + " bytes)");
      }
      key.resize(static_cast<std::size_t>(n));
      return pccrc::ServerSecret(std::move(key));
    }
    if (errno != ENOENT) return Unexpected(path.string() + ": " + errno_text());
    // Written to a temporary name and linked into place, so that a reader (another server
    // starting at the same time) never sees a partial key.
    const auto temp = dir / (std::string(kKeyFileName) + ".tmp." + std::to_string(::getpid()));
    ipc::UniqueFd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!out) return Unexpected(temp.string() + ": " + errno_text());
    const auto key = crypto::random_bytes(kGeneratedKeyBytes);
    const bool written =
        ::write(out.get(), key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
        ::fsync(out.get()) == 0;
    out.reset();
    const bool linked = written && ::link(temp.c_str(), path.c_str()) == 0;
    const int link_errno = errno;
    ::unlink(temp.c_str());
    if (linked) {
      std::cerr << "peerdist serve: created a new server secret in " << path.string() << '\n';
      return pccrc::ServerSecret(key);
    }
    if (!written || link_errno != EEXIST) {
      return Unexpected(path.string() + ": cannot write the server secret");
    }
    // Another server created it first: read theirs.
  }
  return Unexpected(path.string() + ": cannot create the server secret");
}

int run_serve(const ServeOptions& o) {
  std::error_code fs_ec;
  std::optional<net::PccrtpUpstream> upstream;
  if (o.root.empty() == o.upstream.empty()) {
    std::cerr << "peerdist serve: give either DIR or --upstream URL (exactly one)\n";
    return kExitUsage;
  }
  if (!o.upstream.empty()) {
    auto parsed = net::parse_upstream_url(o.upstream);
    if (!parsed) {
      std::cerr << "peerdist serve: " << parsed.error() << '\n';
      return kExitUsage;
    }
    upstream = std::move(*parsed);
  } else if (!std::filesystem::is_directory(o.root, fs_ec)) {
    return fail(o.root + ": not a directory");
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& text :
       o.listen.empty() ? std::vector<std::string>{std::string(kDefaultListen)} : o.listen) {
    auto endpoint = parse_listen(text);
    if (!endpoint) return fail(endpoint.error());
    endpoints.push_back(*endpoint);
  }
  const std::filesystem::path state_dir =
      o.state_dir.empty() ? default_state_dir() : std::filesystem::path(o.state_dir);
  std::filesystem::create_directories(state_dir, fs_ec);
  if (fs_ec) return fail("cannot create " + state_dir.string() + ": " + fs_ec.message());
  ::chmod(state_dir.c_str(), 0700);

  auto secret = o.key.any_given() ? o.key.resolve() : state_secret(state_dir);
  if (!secret) return fail(secret.error());

  FILE* log = stdout;
  std::unique_ptr<FILE, int (*)(FILE*)> log_file(nullptr, &std::fclose);
  if (!o.access_log.empty() && o.access_log != "-") {
    log_file.reset(std::fopen(o.access_log.c_str(), "ae"));
    if (!log_file) return fail(o.access_log + ": " + errno_text());
    log = log_file.get();
  }

  net::PccrtpHashCacheOptions cache_options;
  cache_options.database = state_dir / kCacheFileName;
  cache_options.secret = std::move(*secret);
  cache_options.threads = o.threads;
  auto cache = net::PccrtpHashCache::open(std::move(cache_options));
  if (!cache) return fail(cache.error());

  asio::io_context io(1);
  net::PccrtpOriginOptions options;
  options.endpoints = endpoints;
  options.root = o.root;
  options.upstream = upstream;
  options.cache = cache->get();
  options.access_log = [log](const net::PccrtpAccessLogEntry& entry) {
    const std::string line = net::format_access_log_line(entry) + "\n";
    // A full disk loses log lines, not responses.
    (void)std::fwrite(line.data(), 1, line.size(), log);
    (void)std::fflush(
        log);  // one line at a time: readers (tests, tail -f) see each response at once
  };
  net::PccrtpOrigin origin(io.get_executor(), options);
  if (auto listening = origin.listen(); !listening) return fail(listening.error());

  const auto id = util::to_hex((*cache)->key_id());
  for (const auto& endpoint : origin.local_endpoints()) {
    std::ostringstream where;
    where << endpoint;
    std::cerr << "peerdist serve: listening on " << where.str() << '\n';
  }
  std::cerr << "peerdist serve: serving "
            << (upstream ? "upstream " + upstream->url_for("/") : o.root) << " (state "
            << state_dir.string() << ", key id " << id.substr(0, 16) << ")" << std::endl;

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    std::cerr << "peerdist serve: " << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping"
              << std::endl;
    origin.stop();
    io.stop();
  });
  io.run();
  // Handlers of responses that completed (or were cut off by stop()) before the signal still
  // log their lines: run what is left, briefly. Nothing new is accepted any more.
  io.restart();
  io.run_for(kShutdownDrain);
  return kExitOk;
}

}  // namespace

void add_serve_command(CLI::App& app, Runner& chosen) {
  auto options = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve the files under DIR over HTTP, with content information for BranchCache "
      "clients (MS-PCCRTP)");
  auto* dir = cmd->add_option("DIR", options->root, "the directory to serve");
  cmd->add_option("--upstream", options->upstream,
                  "instead of DIR: a reverse proxy for this http:// origin (http://HOST[:PORT]"
                  "[/PREFIX]; a request for /x goes to PREFIX/x)")
      ->excludes(dir);
  cmd->add_option("--listen", options->listen,
                  "ADDR:PORT to listen on ([V6]:PORT for IPv6; port 0: any free port; may be "
                  "repeated; default " +
                      std::string(kDefaultListen) + ")");
  cmd->add_option("--state-dir", options->state_dir,
                  "where the hash cache and the generated server secret live (default: "
                  "/var/lib/peerdist/serve as root, else $XDG_STATE_HOME/peerdist/serve or "
                  "~/.local/state/peerdist/serve)");
  cmd->add_option("--access-log", options->access_log,
                  "append one line per response to FILE ('-' = stdout, the default)");
  options->key.add_to(*cmd);
  cmd->add_option("--threads", options->threads, "hashing threads (0 = one per core)")
      ->capture_default_str();
  cmd->callback([options, &chosen] { chosen = [options] { return run_serve(*options); }; });
}

}  // namespace peerdist::cli
