// The sender thread of one connection: runs SendJobs (AddToStream operations) one after
// another, so that copying an application's buffer into the ring and sending its pieces happens
// off the application's thread (PeerDistServerPublishAddToStream returns ERROR_IO_PENDING at
// once) while the daemon consumes the pieces already sent.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace peerdist::api {

class Connection;
class SendJob;

class Sender {
 public:
  explicit Sender(Connection& connection);
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;
  Sender(Sender&&) = delete;
  Sender& operator=(Sender&&) = delete;
  ~Sender();

  void enqueue(std::shared_ptr<SendJob> job);
  // Lets the running job finish (it fails fast once the connection is shut down), drops the
  // queued ones and joins the thread. The operations of dropped jobs are finished by whoever
  // ended the connection (the instance invalidates or aborts them).
  void stop() noexcept;

 private:
  void loop() noexcept;

  Connection& connection_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<SendJob>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace peerdist::api
