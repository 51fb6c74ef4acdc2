// A scripted peerdistd for the library's unit tests: it speaks the protocol of docs/ipc.md on a
// Unix socket, answers Hello as told, answers simple requests automatically and queues the
// others for the test to answer (or not), so that races the real daemon's timing would decide
// (an operation still in flight, a cancel before or after the Result, a StatusChanged under a
// pending operation, the connection dropped mid-request) become deterministic.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "peerdist/ipc/messages.hpp"
#include "peerdist/ipc/shared_buffer.hpp"
#include "peerdist/ipc/unique_fd.hpp"

namespace peerdist::test {

// A Result to send (ipc::Result with defaults, so a test names only what matters).
struct Reply {
  std::uint32_t status = 0;
  std::uint64_t value = 0;
  std::uint32_t bytes = 0;
  ipc::Blob data{};
};

struct FakeRequest {
  std::uint64_t id = 0;
  ipc::Message message;
  // For AddToStream, AddContentInformation and AddData with SharedData: the bytes the piece
  // points at, read when it arrived.
  std::vector<std::uint8_t> shared_bytes;
};

class FakeDaemon {
 public:
  struct Options {
    ipc::HelloReply hello{.status = 0,
                          .protocol = ipc::kProtocolVersion,
                          .api_version = 2,
                          .service_status = 2,  // AVAILABLE
                          .min_ci_version = 1,
                          .max_ci_version = 2,
                          .service_version = "fake"};
    // Answer a Hello that carries a shared buffer with ERROR_INVALID_PARAMETER (and close).
    bool refuse_shared_buffer = false;
  };
  // Decides the Result of a request at once, or nullopt to queue it for the test.
  using AutoReply = std::function<std::optional<Reply>(const FakeRequest&)>;

  FakeDaemon(std::string socket_path, Options options);
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;
  FakeDaemon(FakeDaemon&&) = delete;
  FakeDaemon& operator=(FakeDaemon&&) = delete;
  ~FakeDaemon();

  // Default: GetStatus -> AVAILABLE, PublishStream/OpenContentInformation/OpenContent -> a new
  // id, the close/unpublish/unregister/shutdown requests -> success; everything else is queued.
  void set_auto_reply(AutoReply reply);
  [[nodiscard]] static std::optional<Reply> default_reply(const FakeRequest& request);

  // The next queued request, waiting up to `timeout`.
  [[nodiscard]] std::optional<FakeRequest> next(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  void reply(std::uint64_t request_id, const Reply& reply);
  void send_status(const ipc::StatusChanged& status);
  // Closes the client's connection, as a crashing daemon would.
  void drop_connection();

  [[nodiscard]] int hellos() const;
  [[nodiscard]] std::uint64_t last_shared_buffer_size() const;

 private:
  void serve() noexcept;
  void serve_clients();
  void handle(int fd);
  void send_frame(std::uint64_t id, const ipc::Message& message);

  std::string path_;
  Options options_;
  ipc::UniqueFd listener_;
  int stop_pipe_[2] = {-1, -1};
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<FakeRequest> queue_;
  AutoReply auto_reply_;
  int client_ = -1;
  int hellos_ = 0;
  std::uint64_t shared_size_ = 0;
  std::unique_ptr<ipc::SharedBuffer> shared_;
  std::mutex send_mutex_;
  std::thread thread_;
};

}  // namespace peerdist::test
