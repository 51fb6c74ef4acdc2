// A raw client of the local protocol (docs/ipc.md), built from include/peerdist/ipc only, as
// a check of the daemon that does not depend on libpeerdist: it sends frames, reads frames,
// and every wait is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "peerdist/ipc/frame.hpp"
#include "peerdist/ipc/messages.hpp"
#include "peerdist/ipc/shared_buffer.hpp"
#include "peerdist/ipc/unique_fd.hpp"

namespace peerdist::service::test {

inline constexpr std::chrono::milliseconds kReceiveLimit{30'000};

class TestClient {
 public:
  // nullptr (and a test failure) if it cannot connect.
  static std::unique_ptr<TestClient> connect(const std::filesystem::path& socket);

  // Sends a frame whole; `fd` >= 0 rides along as SCM_RIGHTS.
  bool send(std::uint64_t request_id, const ipc::Message& message, int fd = -1);
  bool send_raw(std::span<const std::uint8_t> bytes, int fd = -1);

  // The next frame from the daemon; nullopt on end of stream, error or timeout.
  std::optional<ipc::Frame> receive(std::chrono::milliseconds limit = kReceiveLimit);
  // True if the daemon closes the connection within `limit` (frames before that are dropped).
  bool wait_closed(std::chrono::milliseconds limit = kReceiveLimit);

  // Hello with the given shared buffer (or none); the HelloReply (status 0xFFFFFFFF if none came).
  ipc::HelloReply hello(const ipc::SharedBuffer* buffer = nullptr);
  // Sends a request and waits for its Result; StatusChanged frames met on the way are kept in
  // status_changes, other Results in `early`. status 0xFFFFFFFF if none came.
  ipc::Result request(const ipc::Message& message);
  // Waits for the Result of an earlier request id (sent with send()).
  ipc::Result result_of(std::uint64_t request_id);

  std::uint64_t next_id() { return next_request_id_++; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

  std::vector<ipc::StatusChanged> status_changes;
  // Every frame received, in order, as (type, request id): for order checks.
  std::vector<std::pair<ipc::MessageType, std::uint64_t>> received;

 private:
  explicit TestClient(ipc::UniqueFd fd) : fd_(std::move(fd)) {}
  ipc::UniqueFd fd_;
  ipc::FrameAssembler assembler_;
  std::vector<std::uint8_t> pending_;  // bytes read but not yet assembled
  std::vector<std::pair<std::uint64_t, ipc::Result>> early_;
  std::uint64_t next_request_id_ = 1;
};

}  // namespace peerdist::service::test
