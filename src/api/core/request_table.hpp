// The requests of one connection that wait for their Result (docs/ipc.md rule 2: exactly one
// Result per request). The receiver thread takes each entry out when its Result arrives, or all
// of them when the connection is lost; whoever takes an entry out owns its completion, so a
// request is finished exactly once even when a Result races with the loss of the connection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "peerdist/ipc/messages.hpp"

namespace peerdist::api {

// What happens when a request's Result arrives. Both calls run on the receiver thread and must
// not wait for anything that needs that thread (no synchronous request).
class ResultHandler {
 public:
  ResultHandler() = default;
  ResultHandler(const ResultHandler&) = delete;
  ResultHandler& operator=(const ResultHandler&) = delete;
  ResultHandler(ResultHandler&&) = delete;
  ResultHandler& operator=(ResultHandler&&) = delete;
  virtual ~ResultHandler() = default;

  virtual void on_result(ipc::Result&& result) noexcept = 0;
  // The connection ended before the Result came.
  virtual void on_connection_lost() noexcept = 0;
};

class RequestTable {
 public:
  // Registers a handler under a new request id (non-zero, never reused on this connection,
  // docs/ipc.md), or nullopt once the table is closed.
  [[nodiscard]] std::optional<std::uint64_t> add(std::shared_ptr<ResultHandler> handler);
  // Takes the handler out; nullptr for an id that is not pending.
  [[nodiscard]] std::shared_ptr<ResultHandler> take(std::uint64_t id);
  // Refuses new entries from now on and hands back every pending one.
  [[nodiscard]] std::vector<std::shared_ptr<ResultHandler>> close();

  [[nodiscard]] bool contains(std::uint64_t id) const;
  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<ResultHandler>> pending_;
  std::uint64_t next_id_ = 1;
  bool closed_ = false;
};

// A synchronous request: the calling thread waits for the Result or the end of the connection.
class SyncCall final : public ResultHandler {
 public:
  void on_result(ipc::Result&& result) noexcept override;
  void on_connection_lost() noexcept override;
  // The Result, or nullopt when the connection was lost first. No timeout: docs/api.md bounds a
  // synchronous call by the connection only, and the daemon answers every request.
  [[nodiscard]] std::optional<ipc::Result> wait();

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool finished_ = false;
  std::optional<ipc::Result> result_;
};

}  // namespace peerdist::api
