#include "core/connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <span>
#include <utility>
#include <variant>

#include "peerdist/ipc/unix_socket.hpp"

#include "core/library_thread.hpp"
#include "core/policy.hpp"
#include "core/sender.hpp"

namespace peerdist::api {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t next_connection_id() noexcept {
  // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables)
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

// A connected, blocking Unix stream socket, or an invalid one. connect() on a full listen
// backlog would block, so it is made non-blocking (EAGAIN: nobody is answering in time).
ipc::UniqueFd connect_to(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) return {};
  std::memcpy(&address.sun_path[0], path.data(), path.size());
  ipc::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return {};
  int rc = -1;
  do {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return {};
  // NOLINTBEGIN(cppcoreguidelines-pro-type-vararg): fcntl is variadic by definition
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) return {};
  // NOLINTEND(cppcoreguidelines-pro-type-vararg)
  return fd;
}

// Reads until the HelloReply is complete or the deadline passes. Bytes after it (a StatusChanged
// may follow at once) stay in `leftover` for the receiver thread.
std::optional<ipc::HelloReply> read_hello_reply(int fd, ipc::FrameAssembler& assembler,
                                                std::vector<std::uint8_t>& leftover) {
  const auto deadline = Clock::now() + policy::kHandshakeTimeout;
  std::vector<std::uint8_t> buffer(policy::kReceiveBufferSize);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    std::span<const std::uint8_t> in(buffer.data(), static_cast<std::size_t>(n));
    auto frame = assembler.next(in);
    if (!frame) return std::nullopt;
    if (!*frame) continue;
    // docs/ipc.md rule 1: the daemon's first frame is the HelloReply.
    if ((*frame)->header.type != ipc::MessageType::hello_reply) return std::nullopt;
    auto message = ipc::decode(**frame);
    if (!message) return std::nullopt;
    leftover.assign(in.begin(), in.end());
    return std::get<ipc::HelloReply>(std::move(*message));
  }
}

}  // namespace

Expected<std::shared_ptr<Connection>, DWORD> Connection::open(const std::string& path,
                                                              DWORD api_version, bool with_ring,
                                                              ConnectionObserver* observer) {
  ipc::UniqueFd fd = connect_to(path);
  if (!fd) return Unexpected(static_cast<DWORD>(PEERDIST_ERROR_SERVICE_UNAVAILABLE));

  // No ring (memfd_create refused, out of memory): the data goes inline (docs/api.md).
  std::shared_ptr<Ring> ring;
  if (with_ring) {
    if (auto made = Ring::create(policy::kRingSize, policy::kRingSlotSize)) ring = std::move(*made);
  }

  const ipc::Hello hello{.min_protocol = ipc::kProtocolVersion,
                         .max_protocol = ipc::kProtocolVersion,
                         .api_version = api_version,
                         .client_pid = static_cast<std::uint32_t>(::getpid()),
                         .shared_buffer_size = ring ? ring->size() : 0};
  // request_id 1 for Hello; the request table starts its own ids at 1 again, which is allowed
  // because Hello's id is retired once HelloReply arrives (docs/ipc.md rule 2).
  const auto frame = ipc::encode_frame(1, hello);
  if (!ipc::send_with_fd(fd.get(), frame, ring ? ring->fd() : -1)) {
    return Unexpected(static_cast<DWORD>(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  }

  ipc::FrameAssembler assembler;
  std::vector<std::uint8_t> leftover;
  auto reply = read_hello_reply(fd.get(), assembler, leftover);
  if (!reply) return Unexpected(static_cast<DWORD>(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  if (reply->status != ERROR_SUCCESS) {
    if (reply->status == PEERDIST_ERROR_VERSION_UNSUPPORTED ||
        (reply->status == ERROR_INVALID_PARAMETER && ring)) {
      return Unexpected(static_cast<DWORD>(reply->status));
    }
    return Unexpected(static_cast<DWORD>(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  }
  auto connection =
      std::make_shared<Connection>(std::move(fd), std::move(ring), std::move(*reply), observer);
  connection->start(std::move(assembler), std::move(leftover));
  return connection;
}

Connection::Connection(ipc::UniqueFd socket, std::shared_ptr<Ring> ring, ipc::HelloReply hello,
                       ConnectionObserver* observer)
    : id_(next_connection_id()),
      socket_(std::move(socket)),
      ring_(std::move(ring)),
      hello_(std::move(hello)),
      observer_(observer) {}

Connection::~Connection() {
  close();
}

void Connection::start(ipc::FrameAssembler assembler, std::vector<std::uint8_t> leftover) {
  sender_ = std::make_unique<Sender>(*this);
  auto state = std::make_shared<std::pair<ipc::FrameAssembler, std::vector<std::uint8_t>>>(
      std::move(assembler), std::move(leftover));
  receiver_ = start_library_thread("peerdist-recv", [this, state] {
    receive_loop(std::move(state->first), std::move(state->second));
  });
}

void Connection::shutdown_socket() noexcept {
  // Wakes the receiver (recv returns 0) and fails every later send; the descriptor itself
  // stays open until close(), so no other file can take its number while threads use it.
  ::shutdown(socket_.get(), SHUT_RDWR);
}

void Connection::close() noexcept {
  if (closed_.exchange(true)) return;
  shutdown_socket();
  if (ring_) ring_->close();
  if (sender_) sender_->stop();
  if (receiver_.joinable()) {
    // The last reference can only be dropped on the receiver thread through a bug; detaching
    // then is better than joining itself.
    if (receiver_.get_id() == std::this_thread::get_id()) {
      receiver_.detach();
    } else {
      receiver_.join();
    }
  }
  socket_.reset();
}

Expected<ipc::Result, DWORD> Connection::call(const ipc::Message& message) {
  auto waiter = std::make_shared<SyncCall>();
  if (send_request(message, waiter) == 0) {
    return Unexpected(static_cast<DWORD>(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  }
  auto result = waiter->wait();
  if (!result) return Unexpected(static_cast<DWORD>(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  return std::move(*result);
}

std::uint64_t Connection::send_request(const ipc::Message& message,
                                       std::shared_ptr<ResultHandler> handler,
                                       const std::function<bool(std::uint64_t)>& admit, int fd) {
  const std::lock_guard lock(send_mutex_);
  if (!alive()) return 0;
  const auto id = requests_.add(std::move(handler));
  if (!id) return 0;
  if (admit && !admit(*id)) {
    static_cast<void>(requests_.take(*id));
    return 0;
  }
  const auto frame = ipc::encode_frame(*id, message);
  if (!ipc::send_with_fd(socket_.get(), frame, fd)) {
    // The receiver sees the end of the stream and tells every pending handler, this one too.
    shutdown_socket();
  }
  return *id;
}

void Connection::enqueue(std::shared_ptr<SendJob> job) {
  sender_->enqueue(std::move(job));
}

void Connection::receive_loop(ipc::FrameAssembler assembler,
                              std::vector<std::uint8_t> leftover) noexcept {
  try {
    std::vector<std::uint8_t> buffer(policy::kReceiveBufferSize);
    std::span<const std::uint8_t> in(leftover);
    bool ok = true;
    while (ok) {
      while (ok) {
        auto frame = assembler.next(in);
        if (!frame) {
          ok = false;  // framing is lost for good (docs/ipc.md)
        } else if (!*frame) {
          break;  // `in` is used up
        } else {
          ok = dispatch(std::move(**frame));
        }
      }
      if (!ok) break;
      const ssize_t n = ::recv(socket_.get(), buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      in = std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n));
    }
  } catch (...) {
    // Out of memory while assembling a frame: the connection cannot continue either way.
  }
  on_lost();
}

bool Connection::dispatch(ipc::Frame&& frame) noexcept {
  try {
    // docs/ipc.md: a client receiving a request type (or a second HelloReply) closes.
    if (frame.header.type == ipc::MessageType::result) {
      auto message = ipc::decode(frame);
      if (!message) return false;
      auto handler = requests_.take(frame.header.request_id);
      if (handler == nullptr) return false;  // a Result for nothing we asked
      handler->on_result(std::get<ipc::Result>(std::move(*message)));
      return true;
    }
    if (frame.header.type == ipc::MessageType::status_changed) {
      auto message = ipc::decode(frame);
      if (!message) return false;
      observer_->on_status_changed(*this, std::get<ipc::StatusChanged>(*message));
      return true;
    }
    return false;
  } catch (...) {
    return false;
  }
}

void Connection::on_lost() noexcept {
  lost_.store(true, std::memory_order_release);
  shutdown_socket();
  if (ring_) ring_->close();
  // The observer first: it invalidates the instance's handles and finishes their operations
  // with PEERDIST_ERROR_INVALIDATED; then synchronous callers wake with
  // PEERDIST_ERROR_SERVICE_UNAVAILABLE and piece handlers give back their ring slots.
  auto handlers = [this] {
    // send_mutex_ orders this against send_request: nothing is registered after the table
    // closes. Taken briefly; a sender blocked in send has already failed (socket shut down).
    const std::lock_guard lock(send_mutex_);
    return requests_.close();
  }();
  observer_->on_connection_lost(*this);
  for (auto& handler : handlers) handler->on_connection_lost();
}

}  // namespace peerdist::api
