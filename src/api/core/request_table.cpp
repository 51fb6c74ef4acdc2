#include "core/request_table.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace peerdist::api {

std::optional<std::uint64_t> RequestTable::add(std::shared_ptr<ResultHandler> handler) {
  const std::lock_guard lock(mutex_);
  if (closed_) return std::nullopt;
  const std::uint64_t id = next_id_++;
  pending_.emplace(id, std::move(handler));
  return id;
}

std::shared_ptr<ResultHandler> RequestTable::take(std::uint64_t id) {
  const std::lock_guard lock(mutex_);
  const auto it = pending_.find(id);
  if (it == pending_.end()) return nullptr;
  auto handler = std::move(it->second);
  pending_.erase(it);
  return handler;
}

std::vector<std::shared_ptr<ResultHandler>> RequestTable::close() {
  const std::lock_guard lock(mutex_);
  closed_ = true;
  // In request order, so that operations are finished in the order they were started.
  std::vector<std::pair<std::uint64_t, std::shared_ptr<ResultHandler>>> entries(
      std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
  pending_.clear();
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::shared_ptr<ResultHandler>> handlers;
  handlers.reserve(entries.size());
  for (auto& entry : entries) handlers.push_back(std::move(entry.second));
  return handlers;
}

bool RequestTable::contains(std::uint64_t id) const {
  const std::lock_guard lock(mutex_);
  return pending_.contains(id);
}

std::size_t RequestTable::size() const {
  const std::lock_guard lock(mutex_);
  return pending_.size();
}

void SyncCall::on_result(ipc::Result&& result) noexcept {
  {
    const std::lock_guard lock(mutex_);
    result_ = std::move(result);
    finished_ = true;
  }
  done_.notify_all();
}

void SyncCall::on_connection_lost() noexcept {
  {
    const std::lock_guard lock(mutex_);
    finished_ = true;
  }
  done_.notify_all();
}

std::optional<ipc::Result> SyncCall::wait() {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return finished_; });
  return std::move(result_);
}

}  // namespace peerdist::api
