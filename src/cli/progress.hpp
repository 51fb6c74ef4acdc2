// A progress line on stderr for work that takes longer than a second. On a terminal it redraws
// one line; elsewhere (logs, pipes) it prints nothing unless forced (then a line every few
// seconds and a summary at the end), so scripts stay quiet by default.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace peerdist::cli {

class Progress {
 public:
  enum class Mode : std::uint8_t { automatic, always, never };

  // total = 0 when the size is unknown (stdin).
  Progress(std::string label, std::uint64_t total, Mode mode);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::uint64_t done);
  // Clears the line (terminal) or prints a final line (forced, non-terminal).
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  void draw(std::uint64_t done, bool final);

  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool terminal_;
  bool forced_;
  bool drawn_ = false;
  bool finished_ = false;
  std::uint64_t done_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
};

}  // namespace peerdist::cli
