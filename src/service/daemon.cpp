#include "peerdist/service/daemon.hpp"

#include <unistd.h>

#include <csignal>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "peerdist/net/no_peers.hpp"
#include "peerdist/service/cache_limits.hpp"
#include "peerdist/service/config.hpp"
#include "peerdist/service/distributed.hpp"
#include "peerdist/service/files.hpp"
#include "peerdist/service/instance_lock.hpp"
#include "peerdist/service/publication_service.hpp"
#include "peerdist/service/secret.hpp"
#include "peerdist/service/server.hpp"
#include "peerdist/service/service_info.hpp"

namespace peerdist::service {
namespace {

constexpr mode_t kStateDirMode = 0700;   // the catalog and the secret: the owner's only
constexpr mode_t kSocketDirMode = 0755;  // every user must reach the socket
constexpr const char* kLogFileName = "peerdistd.log";

std::string versions_text(const std::vector<pccrc::Version>& versions) {
  std::string text;
  for (pccrc::Version v : versions) {
    if (!text.empty()) text += ", ";
    text += std::to_string(static_cast<int>(v));
  }
  return text;
}

// The configuration: the file given, else the default file if there is one, else defaults.
struct LoadedConfig {
  Config config;
  std::optional<std::filesystem::path> file;  // what SIGHUP re-reads
};

Expected<LoadedConfig, std::string> load(const DaemonOptions& options,
                                         const DefaultPaths& defaults) {
  LoadedConfig loaded;
  if (options.config_file) {
    loaded.file = *options.config_file;
  } else if (!defaults.config_file.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(defaults.config_file, ec)) loaded.file = defaults.config_file;
  }
  if (loaded.file) {
    auto config = load_config(*loaded.file);
    if (!config) return Unexpected(config.error());
    loaded.config = std::move(*config);
  }
  return loaded;
}

void set_log_level(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
}

class Daemon {
 public:
  Daemon(const DaemonOptions& options, LoadedConfig loaded, std::filesystem::path state_dir,
         std::filesystem::path socket)
      : options_(options),
        loaded_(std::move(loaded)),
        state_dir_(std::move(state_dir)),
        socket_(std::move(socket)),
        signals_(io_) {}

  int run(const std::function<void(const std::string&)>& ready) {
    auto fail = [&](const std::string& why) {
      spdlog::critical("{}", why);
      ready(why);
      return kExitFailure;
    };
    auto lock = InstanceLock::acquire(state_dir_);
    if (!lock) return fail(lock.error());

    auto secret = resolve_secret(loaded_.config.secret, state_dir_);
    if (!secret) return fail(secret.error());
    for (const std::string& warning : secret->warnings) spdlog::warn("{}", warning);

    const Config& config = loaded_.config;
    ServiceOptions service_options;
    service_options.enabled = config.enabled;
    service_options.versions = config.content_information_versions;
    service_options.max_handles_per_connection = config.limits.max_handles_per_connection;
    auto limits =
        cache_limits(config.cache, state_dir_ / PublicationService::kCacheDirName);
    if (!limits) return fail(limits.error());
    service_options.cache_limits = *limits;
    StartupReport report;
    auto service = PublicationService::open(io_.get_executor(),
                                            state_dir_ / PublicationService::kCatalogFileName,
                                            std::move(secret->secret), service_options, &report);
    if (!service) return fail(service.error());
    if (report.moved_aside) {
      spdlog::error("the catalog was damaged; moved it to {} and started an empty one",
                    report.moved_aside->string());
    }
    if (report.cache_moved_aside) {
      spdlog::error("the data cache was damaged; moved it to {} and started an empty one",
                    report.cache_moved_aside->string());
    }
    if (report.cache_error) {
      spdlog::error("the data cache cannot be used ({}); the client functions answer "
                    "PEERDIST_ERROR_SERVICE_UNAVAILABLE",
                    *report.cache_error);
    }
    service_ = std::move(*service);
    // Distributed mode: serve the branch from the data cache and read from it. Off: reads ask
    // no peer (NoPeers) and nothing is served.
    if (config.distributed.enabled) {
      distributed_ = std::make_unique<Distributed>(io_.get_executor(), service_->client().cache,
                                                   config.distributed);
      distributed_->start();
      service_->set_peer_source(distributed_->peer_source());
    } else {
      service_->set_peer_source(std::make_shared<net::NoPeers>(io_.get_executor()));
    }

    ServerOptions server_options;
    server_options.socket = socket_;
    server_options.max_connections = config.limits.max_connections;
    server_options.session.max_shared_buffer = config.limits.max_shared_buffer;
    server_options.session.service_version = "peerdistd " + options_.version;
    server_options.session.service_info = [this](ReplyHandler reply) { service_info(std::move(reply)); };
    server_ = std::make_unique<Server>(io_, *service_, server_options);
    if (auto listening = server_->listen(); !listening) {
      server_.reset();
      distributed_.reset();
      service_.reset();
      return fail(listening.error());
    }

    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    wait_for_signal();

    spdlog::info("peerdistd {} (pid {}) listening on {}", options_.version, ::getpid(),
                 socket_.string());
    spdlog::info("state directory {}; configuration {}", state_dir_.string(),
                 loaded_.file ? loaded_.file->string() : std::string("(none, defaults)"));
    spdlog::info("status {}; content information versions {}; server secret from {}",
                 status_name(service_->status().status),
                 versions_text(config.content_information_versions), secret->origin);
    spdlog::info("{} publication(s), {} persistent; {} left by a previous run removed",
                 report.counts.publications, report.counts.persistent,
                 report.removed_non_persistent);
    spdlog::info("data cache: at most {} bytes, segments kept {} day(s); distributed mode {}",
                 limits->max_bytes, config.cache.max_age_days,
                 config.distributed.enabled ? "on" : "off");
    started_ = std::chrono::steady_clock::now();
    ready({});

    io_.run();

    // Every session is closed and the io loop has no more work; let the workers finish what
    // they were given (a builder mid-piece, a catalog commit) before the catalog closes.
    server_.reset();
    // Before the service: the network parts read the data cache through its front.
    distributed_.reset();
    service_->join();
    service_.reset();
    spdlog::info("peerdistd stopped");
    return kExitOk;
  }

 private:
  void wait_for_signal() {
    signals_.async_wait([this](const boost::system::error_code& error, int signal) {
      if (error) return;
      if (signal == SIGHUP) {
        reload();
        wait_for_signal();
        return;
      }
      spdlog::info("{} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      stop();
    });
  }

  void stop() {
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    // Tell every client the service is going (status UNAVAILABLE, their handles invalidated,
    // pending operations ended), then stop listening and close the sessions once their last
    // frames are out.
    service_->stop();
    // Then the network parts: fetches end, the PCCRR and PCCRD sockets and the client's
    // connections close, so that nothing of them keeps the io loop running.
    if (distributed_) distributed_->stop();
    server_->stop();
  }

  // ServiceInfo: the facts at hand, plus the catalog's counts from the catalog thread.
  void service_info(ReplyHandler reply) {
    ServiceInfoFacts facts;
    facts.version = options_.version;
    facts.pid = ::getpid();
    facts.status = service_->status().status;
    facts.enabled = loaded_.config.enabled;
    facts.versions = service_->versions();
    facts.socket = socket_;
    facts.state_dir = state_dir_;
    facts.uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - started_);
    facts.connections = server_ ? server_->connection_count() : 0;
    facts.distributed = loaded_.config.distributed.enabled;
    if (distributed_) facts.network = distributed_->status();
    facts.client = service_->client_counters();
    service_->query_counts([facts, reply = std::move(reply)](
                               Expected<store::CatalogCounts, std::string> counts) mutable {
      if (!counts) {
        spdlog::error("ServiceInfo: {}", counts.error());
        return reply(Reply::failure(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
      }
      facts.counts = *counts;
      const std::string json = service_info_json(facts);
      Reply answer = Reply::success(0, static_cast<std::uint32_t>(json.size()));
      answer.data.assign(json.begin(), json.end());
      reply(std::move(answer));
    });
  }

  void reload() {
    if (!loaded_.file) {
      spdlog::info("SIGHUP: no configuration file to reload");
      return;
    }
    auto config = load_config(*loaded_.file);
    if (!config) {
      spdlog::error("SIGHUP: {}; keeping the configuration in force", config.error());
      return;
    }
    const Config& old = loaded_.config;
    if (config->state_dir != old.state_dir || config->socket != old.socket ||
        config->secret != old.secret || config->limits != old.limits ||
        config->distributed != old.distributed) {
      spdlog::warn("SIGHUP: state_dir, socket, [secret], [limits] and [distributed] take effect "
                   "at the next start only");
    }
    if (config->cache != old.cache) {
      // The share of the disk is measured again too.
      auto limits = cache_limits(config->cache, state_dir_ / PublicationService::kCacheDirName);
      if (!limits) {
        spdlog::error("SIGHUP: [cache]: {}; keeping the limits in force", limits.error());
      } else {
        service_->set_cache_limits(*limits);
        loaded_.config.cache = config->cache;
        spdlog::info("SIGHUP: data cache limits now {} bytes, {} day(s)", limits->max_bytes,
                     config->cache.max_age_days);
      }
    }
    set_log_level(config->log_level);
    spdlog::info("SIGHUP: configuration reloaded from {}: enabled = {}, versions {}",
                 loaded_.file->string(), config->enabled,
                 versions_text(config->content_information_versions));
    service_->set_policy(config->enabled, config->content_information_versions);
    loaded_.config.enabled = config->enabled;
    loaded_.config.content_information_versions = config->content_information_versions;
    loaded_.config.log_level = config->log_level;
  }

  const DaemonOptions& options_;
  LoadedConfig loaded_;
  std::filesystem::path state_dir_;
  std::filesystem::path socket_;
  boost::asio::io_context io_{1};
  boost::asio::signal_set signals_;
  std::unique_ptr<PublicationService> service_;
  std::unique_ptr<Distributed> distributed_;  // [distributed] enabled
  std::unique_ptr<Server> server_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

int run_daemon(const DaemonOptions& options,
               const std::function<void(const std::string& error)>& ready) {
  auto usage = [&](const std::string& why) {
    spdlog::critical("{}", why);
    ready(why);
    return kExitUsage;
  };
  auto defaults = default_paths(::geteuid(), process_environment());
  if (!defaults) return usage(defaults.error());
  auto loaded = load(options, *defaults);
  if (!loaded) return usage(loaded.error());
  const Config& config = loaded->config;

  // The command line wins over the file, the file over the defaults.
  const std::filesystem::path state_dir =
      options.state_dir ? *options.state_dir
                        : config.state_dir ? *config.state_dir : defaults->state_dir;
  std::optional<std::filesystem::path> socket =
      options.socket ? options.socket : config.socket ? config.socket : defaults->socket;
  if (!socket) {
    return usage("no socket path: XDG_RUNTIME_DIR is not set; pass --socket or set 'socket' in "
                 "the configuration");
  }

  if (auto made = ensure_directory(state_dir, kStateDirMode); !made) {
    spdlog::critical("{}", made.error());
    ready(made.error());
    return kExitFailure;
  }
  if (!options.foreground) {
    // Detached: stderr is /dev/null, so the log goes beside the state.
    try {
      spdlog::drop("peerdistd");
      auto logger = spdlog::basic_logger_mt("peerdistd", (state_dir / kLogFileName).string());
      spdlog::set_default_logger(logger);
      spdlog::set_pattern(kLogPattern);
      spdlog::flush_every(std::chrono::seconds(1));
      spdlog::flush_on(spdlog::level::warn);
    } catch (const spdlog::spdlog_ex& e) {
      ready(std::string("cannot open the log file: ") + e.what());
      return kExitFailure;
    }
  }
  set_log_level(config.log_level);
  if (auto made = ensure_directory(socket->parent_path(), kSocketDirMode); !made) {
    spdlog::critical("{}", made.error());
    ready(made.error());
    return kExitFailure;
  }

  // A client that disconnects while we write must not kill the daemon; Asio's sends use
  // MSG_NOSIGNAL, and this covers every other write.
  std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c): returns the old handler only

  Daemon daemon(options, std::move(*loaded), state_dir, *socket);
  return daemon.run(ready);
}

}  // namespace peerdist::service
