#include "peerdist/net/discovery_recent_ids.hpp"

namespace peerdist::net {

bool RecentIds::insert(std::string id, Clock::time_point now) {
  expire(now);
  if (ids_.contains(id)) return false;
  while (capacity_ > 0 && ids_.size() >= capacity_ && !order_.empty()) {
    ids_.erase(order_.front().id);
    order_.pop_front();
  }
  ids_.insert(id);
  order_.push_back({now + memory_, std::move(id)});
  return true;
}

bool RecentIds::contains(std::string_view id, Clock::time_point now) {
  expire(now);
  return ids_.contains(std::string(id));
}

void RecentIds::expire(Clock::time_point now) {
  while (!order_.empty() && order_.front().expiry <= now) {
    ids_.erase(order_.front().id);
    order_.pop_front();
  }
}

}  // namespace peerdist::net
