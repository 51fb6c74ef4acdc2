// One connection to peerdistd: the control socket, the shared ring handed over with Hello, and
// the two threads that serve them (docs/api.md, "Architecture"; docs/ipc.md):
//  * the receiver thread reads frames and hands each Result to the handler registered for its
//    request_id, and StatusChanged to the observer (the instance);
//  * the sender thread runs the jobs that copy AddToStream data into the ring and send the
//    pieces, so that the application's thread never waits for a whole transfer.
// Every request is registered in the request table before it is sent, so its Result can never
// arrive unannounced. When the connection ends, every pending request is told so (its handler's
// on_connection_lost) and then the observer.
#pragma once

#include <peerdist_win32.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "peerdist/ipc/frame.hpp"
#include "peerdist/ipc/messages.hpp"
#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/util/expected.hpp"

#include "core/request_table.hpp"
#include "core/ring.hpp"

namespace peerdist::api {

class Connection;
class Sender;

// The instance side of a connection. Both calls run on the receiver thread and must not wait
// for anything that needs it (no synchronous request, no Connection::close).
class ConnectionObserver {
 public:
  virtual void on_status_changed(const Connection& connection,
                                 const ipc::StatusChanged& status) noexcept = 0;
  virtual void on_connection_lost(const Connection& connection) noexcept = 0;

 protected:
  ConnectionObserver() = default;
  ConnectionObserver(const ConnectionObserver&) = default;
  ConnectionObserver& operator=(const ConnectionObserver&) = default;
  ConnectionObserver(ConnectionObserver&&) = default;
  ConnectionObserver& operator=(ConnectionObserver&&) = default;
  ~ConnectionObserver() = default;
};

// Work for the sender thread (an AddToStream operation's pieces). run() returns when the job is
// done or can go no further; it must notice a lost connection (sends and ring waits then fail).
class SendJob {
 public:
  SendJob() = default;
  SendJob(const SendJob&) = delete;
  SendJob& operator=(const SendJob&) = delete;
  SendJob(SendJob&&) = delete;
  SendJob& operator=(SendJob&&) = delete;
  virtual ~SendJob() = default;
  virtual void run(Connection& connection) noexcept = 0;
};

class Connection {
 public:
  // Connects to the socket at `path` and says Hello (api_version = PeerDistStartup's
  // dwVersionRequested), passing a new shared ring when with_ring is true and one can be made.
  // Errors: PEERDIST_ERROR_SERVICE_UNAVAILABLE (no daemon, or it did not answer within
  // policy::kHandshakeTimeout), PEERDIST_ERROR_VERSION_UNSUPPORTED (HelloReply said so),
  // ERROR_INVALID_PARAMETER (the daemon refused the ring: retry without one).
  // `observer` must outlive the connection's threads (close() joins them).
  [[nodiscard]] static Expected<std::shared_ptr<Connection>, DWORD> open(
      const std::string& path, DWORD api_version, bool with_ring, ConnectionObserver* observer);

  Connection(ipc::UniqueFd socket, std::shared_ptr<Ring> ring, ipc::HelloReply hello,
             ConnectionObserver* observer);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;
  ~Connection();

  // Unique in the process: handles and operations remember which connection their daemon ids
  // belong to (a pointer could be reused by a later connection).
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  [[nodiscard]] const ipc::HelloReply& hello() const noexcept { return hello_; }
  // The shared ring, or nullptr when data goes inline.
  [[nodiscard]] const std::shared_ptr<Ring>& ring() const noexcept { return ring_; }
  // False once the receiver has seen the connection end (or close() was called).
  [[nodiscard]] bool alive() const noexcept { return !lost_.load(std::memory_order_acquire); }

  // A synchronous request: sends it and waits for its Result; PEERDIST_ERROR_SERVICE_UNAVAILABLE
  // if the connection is lost first. Not on the receiver thread.
  [[nodiscard]] Expected<ipc::Result, DWORD> call(const ipc::Message& message);

  // Registers `handler` under a new request id and sends the request; returns the id, or 0 when
  // nothing was sent because the connection is gone or `admit` refused. `admit(id)` runs after
  // registration under the send lock, so whatever it records happens before any later request
  // is sent: a caller that stops an operation and then sends a request of its own knows that
  // every piece the operation admitted is on the wire before that request. If the send itself
  // fails, the connection is shut down and the handler hears on_connection_lost; the id is
  // still returned. `fd` >= 0 travels with the frame (SCM_RIGHTS, AddFileToStream).
  std::uint64_t send_request(const ipc::Message& message, std::shared_ptr<ResultHandler> handler,
                             const std::function<bool(std::uint64_t)>& admit = {}, int fd = -1);

  // Queues a job for the sender thread (jobs run one after another, in order).
  void enqueue(std::shared_ptr<SendJob> job);

  // Ends the connection and joins its threads; pending requests hear on_connection_lost.
  // Idempotent. Never from the connection's own threads.
  void close() noexcept;

  // For tests: requests waiting for their Result.
  [[nodiscard]] std::size_t pending_requests() const { return requests_.size(); }

 private:
  void start(ipc::FrameAssembler assembler, std::vector<std::uint8_t> leftover);
  void receive_loop(ipc::FrameAssembler assembler, std::vector<std::uint8_t> leftover) noexcept;
  // False on a protocol violation (docs/ipc.md rule 8: the connection is closed).
  bool dispatch(ipc::Frame&& frame) noexcept;
  void on_lost() noexcept;
  void shutdown_socket() noexcept;

  const std::uint64_t id_;
  ipc::UniqueFd socket_;
  std::shared_ptr<Ring> ring_;
  ipc::HelloReply hello_;
  ConnectionObserver* observer_;
  RequestTable requests_;
  std::mutex send_mutex_;
  std::atomic<bool> lost_{false};
  std::atomic<bool> closed_{false};
  std::unique_ptr<Sender> sender_;
  std::thread receiver_;
};

}  // namespace peerdist::api
