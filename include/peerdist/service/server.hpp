// The listening side of peerdistd: the Unix socket clients connect to, and the sessions on it.
//
// The socket file: a stale one left by a crashed daemon is replaced, but one a live daemon
// still answers on is refused (two daemons on one socket would split the clients between
// them). The socket is mode 0666: every local user may use the API, as on Windows, and each
// sees only their own publications because the daemon identifies them by SO_PEERCRED.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "peerdist/service/publication_service.hpp"
#include "peerdist/service/session.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::service {

struct ServerOptions {
  std::filesystem::path socket;
  std::uint32_t max_connections = 256;
  SessionOptions session;
};

class Server {
 public:
  // Connections waiting to be accepted: enough for a burst of programs starting together.
  static constexpr int kListenBacklog = 128;
  static constexpr mode_t kSocketMode = 0666;
  // After a failed accept (out of descriptors, say), wait this long before the next, rather
  // than spin on an error that persists.
  static constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

  Server(boost::asio::io_context& io, PublicationService& service, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the socket (replacing a stale file) and starts accepting.
  [[nodiscard]] Expected<void, std::string> listen();
  // Stops accepting and removes the socket file (if it is still ours); every session sends
  // what it has queued and closes. Idempotent.
  void stop();

  [[nodiscard]] std::size_t connection_count() const noexcept { return sessions_.size(); }
  [[nodiscard]] const std::filesystem::path& socket_path() const noexcept {
    return options_.socket;
  }
  void set_session_options(SessionOptions options) { options_.session = std::move(options); }

 private:
  void accept();
  void remove_socket_file();

  boost::asio::io_context& io_;
  PublicationService& service_;
  ServerOptions options_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions_;
  bool stopped_ = false;
  // The socket file we bound, to remove only that one at stop (a newer daemon may have
  // replaced it).
  dev_t socket_dev_ = 0;
  ino_t socket_ino_ = 0;
};

}  // namespace peerdist::service
