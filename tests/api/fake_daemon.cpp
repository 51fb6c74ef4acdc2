#include "fake_daemon.hpp"

#include <fcntl.h>
#include <peerdist_win32.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include "peerdist/ipc/frame.hpp"
#include "peerdist/ipc/unix_socket.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {

FakeDaemon::FakeDaemon(std::string socket_path, Options options)
    : path_(std::move(socket_path)), options_(std::move(options)), auto_reply_(default_reply) {
  listener_ = ipc::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.size() >= sizeof address.sun_path) throw std::runtime_error("socket path too long");
  std::memcpy(address.sun_path, path_.data(), path_.size());
  ::unlink(path_.c_str());
  if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_.get(), 8) != 0 || ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    throw std::runtime_error("fake daemon: cannot listen");
  }
  thread_ = std::thread([this] { serve(); });
}

FakeDaemon::~FakeDaemon() {
  static_cast<void>(::write(stop_pipe_[1], "x", 1));
  thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  ::unlink(path_.c_str());
}

namespace {

// The shared range a data-carrying request points at, if it points at one.
const ipc::SharedData* shared_data(const ipc::Message& message) {
  return std::visit(
      [](const auto& m) -> const ipc::SharedData* {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, ipc::AddToStream> ||
                      std::is_same_v<T, ipc::AddContentInformation> ||
                      std::is_same_v<T, ipc::AddData>) {
          return std::get_if<ipc::SharedData>(&m.data);
        } else {
          return nullptr;
        }
      },
      message);
}

}  // namespace

std::optional<Reply> FakeDaemon::default_reply(const FakeRequest& request) {
  static std::atomic<std::uint64_t> next_id{100};
  return std::visit(
      [](const auto& m) -> std::optional<Reply> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, ipc::GetStatus>) {
          return Reply{.status = 0, .value = 2};
        } else if constexpr (std::is_same_v<T, ipc::PublishStream> ||
                             std::is_same_v<T, ipc::OpenContentInformation> ||
                             std::is_same_v<T, ipc::OpenContent>) {
          return Reply{.status = 0, .value = next_id++};
        } else if constexpr (std::is_same_v<T, ipc::CloseStream> ||
                             std::is_same_v<T, ipc::CloseContentInformation> ||
                             std::is_same_v<T, ipc::CloseContent> ||
                             std::is_same_v<T, ipc::Unpublish> ||
                             std::is_same_v<T, ipc::UnregisterStatusNotification> ||
                             std::is_same_v<T, ipc::Shutdown>) {
          return Reply{};
        } else {
          return std::nullopt;
        }
      },
      request.message);
}

void FakeDaemon::set_auto_reply(AutoReply reply) {
  const std::lock_guard lock(mutex_);
  auto_reply_ = std::move(reply);
}

std::optional<FakeRequest> FakeDaemon::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!arrived_.wait_for(lock, timeout, [this] { return !queue_.empty(); })) return std::nullopt;
  FakeRequest request = std::move(queue_.front());
  queue_.pop_front();
  return request;
}

void FakeDaemon::send_frame(std::uint64_t id, const ipc::Message& message) {
  const auto frame = ipc::encode_frame(id, message);
  const std::lock_guard lock(send_mutex_);
  int fd = -1;
  {
    const std::lock_guard state(mutex_);
    fd = client_;
  }
  if (fd >= 0) static_cast<void>(ipc::send_with_fd(fd, frame, -1));
}

void FakeDaemon::reply(std::uint64_t request_id, const Reply& reply) {
  ipc::Result result;
  result.status = reply.status;
  result.value = reply.value;
  result.bytes = reply.bytes;
  result.data = reply.data;
  send_frame(request_id, result);
}

void FakeDaemon::send_status(const ipc::StatusChanged& status) {
  send_frame(0, status);
}

void FakeDaemon::drop_connection() {
  const std::lock_guard lock(mutex_);
  if (client_ >= 0) ::shutdown(client_, SHUT_RDWR);
}

int FakeDaemon::hellos() const {
  const std::lock_guard lock(mutex_);
  return hellos_;
}

std::uint64_t FakeDaemon::last_shared_buffer_size() const {
  const std::lock_guard lock(mutex_);
  return shared_size_;
}

void FakeDaemon::serve() noexcept {
  try {
    serve_clients();
  } catch (...) {
    // A test that breaks the fake (out of memory) fails on its own expectations.
  }
}

void FakeDaemon::serve_clients() {
  for (;;) {
    std::array<pollfd, 2> fds{pollfd{listener_.get(), POLLIN, 0}, pollfd{stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if ((fds[1].revents & POLLIN) != 0) return;
    ipc::UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) continue;
    {
      const std::lock_guard lock(mutex_);
      client_ = client.get();
    }
    handle(client.get());
    {
      const std::lock_guard lock(mutex_);
      client_ = -1;
      shared_.reset();
    }
    const std::lock_guard send_lock(send_mutex_);  // no send on a closed descriptor
    client.reset();
  }
}

void FakeDaemon::handle(int fd) {
  ipc::FrameAssembler assembler;
  std::vector<std::uint8_t> buffer(std::size_t{64} * 1024);
  bool hello_done = false;
  for (;;) {
    std::array<pollfd, 2> fds{pollfd{fd, POLLIN, 0}, pollfd{stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if ((fds[1].revents & POLLIN) != 0) return;
    auto received = ipc::recv_with_fd(fd, buffer);
    if (!received || received->bytes == 0) return;
    std::span<const std::uint8_t> in(buffer.data(), received->bytes);
    for (;;) {
      auto frame = assembler.next(in);
      if (!frame) return;
      if (!*frame) break;
      auto message = ipc::decode(**frame);
      if (!message) return;
      const std::uint64_t id = (*frame)->header.request_id;
      if (!hello_done) {
        const auto* hello = std::get_if<ipc::Hello>(&*message);
        if (hello == nullptr) return;
        ipc::HelloReply reply = options_.hello;
        {
          const std::lock_guard lock(mutex_);
          ++hellos_;
          shared_size_ = hello->shared_buffer_size;
        }
        if (received->fd && options_.refuse_shared_buffer) {
          reply.status = ERROR_INVALID_PARAMETER;
          send_frame(id, reply);
          return;
        }
        if (received->fd) {
          auto shared =
              ipc::SharedBuffer::open_received(std::move(*received->fd), hello->shared_buffer_size);
          if (!shared) return;
          const std::lock_guard lock(mutex_);
          shared_ = std::make_unique<ipc::SharedBuffer>(std::move(*shared));
        }
        send_frame(id, reply);
        if (reply.status != 0) return;
        hello_done = true;
        continue;
      }
      FakeRequest request{.id = id, .message = std::move(*message), .shared_bytes = {}};
      std::optional<Reply> automatic;
      {
        const std::lock_guard lock(mutex_);
        if (const auto* shared = shared_data(request.message); shared && shared_) {
          if (auto span = shared_->span(shared->offset, shared->length)) {
            request.shared_bytes.assign(span->begin(), span->end());
          }
        }
        if (auto_reply_) automatic = auto_reply_(request);
        if (!automatic) {
          queue_.push_back(std::move(request));
          arrived_.notify_all();
        }
      }
      if (automatic) reply(id, *automatic);
    }
  }
}

}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
