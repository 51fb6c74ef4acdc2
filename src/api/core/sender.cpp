#include "core/sender.hpp"

#include <utility>

#include "core/connection.hpp"
#include "core/library_thread.hpp"

namespace peerdist::api {

Sender::Sender(Connection& connection)
    : connection_(connection), thread_(start_library_thread("peerdist-send", [this] { loop(); })) {}

Sender::~Sender() {
  stop();
}

void Sender::enqueue(std::shared_ptr<SendJob> job) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_) return;  // the connection is ending; its owner finishes the operation
    jobs_.push_back(std::move(job));
  }
  changed_.notify_one();
}

void Sender::stop() noexcept {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  changed_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Sender::loop() noexcept {
  for (;;) {
    std::shared_ptr<SendJob> job;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job->run(connection_);
  }
}

}  // namespace peerdist::api
