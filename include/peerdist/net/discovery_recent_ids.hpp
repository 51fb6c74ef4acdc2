// A set of message IDs that forgets each one after a while: the probes a responder has already
// handled (the same probe arrives twice by design, A34, and on IPv4 and IPv6 alike), and the
// probes this machine's own prober sent (they loop back to its responder).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

namespace peerdist::net {

class RecentIds {
 public:
  using Clock = std::chrono::steady_clock;

  // Each ID is kept for `memory`; at most `capacity` are kept (the oldest go first), so that a
  // flood of distinct IDs costs bounded memory.
  RecentIds(Clock::duration memory, std::size_t capacity) : memory_(memory), capacity_(capacity) {}

  // Adds `id`; false when it was already there (and then its time is not renewed).
  bool insert(std::string id, Clock::time_point now);
  [[nodiscard]] bool contains(std::string_view id, Clock::time_point now);
  [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }

 private:
  void expire(Clock::time_point now);

  struct Entry {
    Clock::time_point expiry;
    std::string id;
  };

  Clock::duration memory_;
  std::size_t capacity_;
  std::deque<Entry> order_;  // by expiry (insertion order, one memory for all)
  std::unordered_set<std::string> ids_;
};

}  // namespace peerdist::net
