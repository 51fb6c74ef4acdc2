#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace peerdist::cli {
namespace {

// Nothing is shown for work shorter than this; redraws are at most this often.
constexpr auto kQuietPeriod = std::chrono::seconds(1);
constexpr auto kTerminalRedraw = std::chrono::milliseconds(200);
constexpr auto kLogRedraw = std::chrono::seconds(5);

std::string mib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

}  // namespace

Progress::Progress(std::string label, std::uint64_t total, Mode mode)
    : label_(std::move(label)),
      total_(total),
      enabled_(mode == Mode::always || (mode == Mode::automatic && ::isatty(STDERR_FILENO) == 1)),
      terminal_(::isatty(STDERR_FILENO) == 1),
      forced_(mode == Mode::always) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done) {
  done_ = done;
  if (!enabled_) return;
  const auto now = Clock::now();
  if (now - start_ < kQuietPeriod) return;
  if (drawn_ && now - last_draw_ < (terminal_ ? kTerminalRedraw : kLogRedraw)) return;
  last_draw_ = now;
  draw(done, false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  // Asked-for progress in a log always ends with a summary line, however short the work.
  if (!drawn_ && !(forced_ && !terminal_)) return;
  if (terminal_) {
    std::fputs("\r\033[K", stderr);
  } else {
    draw(done_, true);
  }
}

void Progress::draw(std::uint64_t done, bool final) {
  drawn_ = true;
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds / (1024.0 * 1024.0) : 0.0;
  std::string line = label_ + ": " + mib(done);
  if (total_ > 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, " (%3.0f%%)", 100.0 * static_cast<double>(done) / static_cast<double>(total_));
    line += " of " + mib(total_) + pct;
  }
  char tail[48];
  std::snprintf(tail, sizeof tail, ", %.0f MiB/s%s", rate, final ? ", done" : "");
  line += tail;
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace peerdist::cli
