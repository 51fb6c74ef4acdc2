#include "test_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>

#include "peerdist.h"
#include "peerdist/ipc/unix_socket.hpp"

namespace peerdist::service::test {

std::unique_ptr<TestClient> TestClient::connect(const std::filesystem::path& socket) {
  ipc::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket.c_str(), sizeof address.sun_path - 1);
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address),  // NOLINT
                       sizeof address) != 0) {
    ADD_FAILURE() << "cannot connect to " << socket << ": " << std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<TestClient>(new TestClient(std::move(fd)));
}

bool TestClient::send(std::uint64_t request_id, const ipc::Message& message, int fd) {
  return send_raw(ipc::encode_frame(request_id, message), fd);
}

bool TestClient::send_raw(std::span<const std::uint8_t> bytes, int fd) {
  auto sent = ipc::send_with_fd(fd_.get(), bytes, fd);
  return sent.has_value();
}

std::optional<ipc::Frame> TestClient::receive(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::span<const std::uint8_t> input(pending_);
    auto frame = assembler_.next(input);
    pending_.erase(pending_.begin(),
                   pending_.begin() + static_cast<std::ptrdiff_t>(pending_.size() - input.size()));
    if (!frame) {
      ADD_FAILURE() << "bad frame from the daemon: " << frame.error().message();
      return std::nullopt;
    }
    if (*frame) {
      received.emplace_back((*frame)->header.type, (*frame)->header.request_id);
      return std::move(**frame);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    std::uint8_t buffer[65536];
    const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
    if (n <= 0) return std::nullopt;
    pending_.insert(pending_.end(), buffer, buffer + n);
  }
}

bool TestClient::wait_closed(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    std::uint8_t buffer[65536];
    const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
    pending_.insert(pending_.end(), buffer, buffer + n);
  }
}

ipc::HelloReply TestClient::hello(const ipc::SharedBuffer* buffer) {
  ipc::Hello hello;
  hello.min_protocol = 1;
  hello.max_protocol = 1;
  hello.api_version = PEERDIST_VERSION;
  hello.client_pid = static_cast<std::uint32_t>(::getpid());
  hello.shared_buffer_size = buffer != nullptr ? buffer->size() : 0;
  const std::uint64_t id = next_id();
  ipc::HelloReply failed;
  failed.status = 0xFFFFFFFF;
  if (!send(id, hello, buffer != nullptr ? buffer->fd() : -1)) return failed;
  auto frame = receive();
  if (!frame || frame->header.type != ipc::MessageType::hello_reply ||
      frame->header.request_id != id) {
    return failed;
  }
  auto message = ipc::decode(*frame);
  if (!message) return failed;
  return std::get<ipc::HelloReply>(*message);
}

ipc::Result TestClient::request(const ipc::Message& message) {
  const std::uint64_t id = next_id();
  if (!send(id, message)) {
    ipc::Result failed;
    failed.status = 0xFFFFFFFF;
    return failed;
  }
  return result_of(id);
}

ipc::Result TestClient::result_of(std::uint64_t request_id) {
  for (auto it = early_.begin(); it != early_.end(); ++it) {
    if (it->first == request_id) {
      ipc::Result r = std::move(it->second);
      early_.erase(it);
      return r;
    }
  }
  for (;;) {
    auto frame = receive();
    if (!frame) break;
    auto message = ipc::decode(*frame);
    if (!message) break;
    if (auto* changed = std::get_if<ipc::StatusChanged>(&*message)) {
      status_changes.push_back(*changed);
      continue;
    }
    auto* result = std::get_if<ipc::Result>(&*message);
    if (result == nullptr) break;
    if (frame->header.request_id == request_id) return std::move(*result);
    early_.emplace_back(frame->header.request_id, std::move(*result));
  }
  ipc::Result failed;
  failed.status = 0xFFFFFFFF;
  return failed;
}

}  // namespace peerdist::service::test
