// File and standard-stream helpers shared by the commands; "-" names stdin or stdout.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "peerdist/util/expected.hpp"

namespace peerdist::cli {

// The whole of a file (or stdin), refusing anything over max_bytes.
Expected<std::vector<std::uint8_t>, std::string> read_all(const std::string& path,
                                                          std::uint64_t max_bytes);
// Writes all bytes to a file (or stdout). A file is written to a temporary name beside it and
// renamed, so an interrupted run never leaves a truncated output behind.
Expected<void, std::string> write_all(const std::string& path, std::span<const std::uint8_t> bytes);

// An open input: a file or stdin, with its size when known (0 = unknown).
class InputFile {
 public:
  static Expected<InputFile, std::string> open(const std::string& path);
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&&) = delete;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  // Reads up to out.size() bytes; 0 at the end. Retries on EINTR.
  Expected<std::size_t, std::string> read(std::span<std::uint8_t> out);
  // Makes read() continue from `offset` (after a part of the file was mapped instead).
  Expected<void, std::string> seek(std::uint64_t offset);

  // Whether map() may work: a regular file, not empty (pipes, terminals and stdin cannot be
  // mapped; a file of size 0, such as those in /proc, is read()).
  [[nodiscard]] bool mappable() const noexcept { return regular_ && size_ > 0; }
  // Maps file[offset, offset + length) read-only; offset must be a multiple of the page size.
  // `populate` faults every page in now (MAP_POPULATE), on the calling thread.
  Expected<std::span<const std::uint8_t>, std::string> map(std::uint64_t offset, std::size_t length,
                                                           bool populate) const;
  // Undoes map(); the span must be exactly what map() returned.
  static void unmap(std::span<const std::uint8_t> window) noexcept;
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  InputFile(int fd, bool regular, std::uint64_t size, std::string name)
      : fd_(fd), regular_(regular), size_(size), name_(std::move(name)) {}
  int fd_ = -1;
  bool regular_ = false;
  std::uint64_t size_ = 0;
  std::string name_;
};

[[nodiscard]] bool is_terminal(int fd) noexcept;

// Touching a page of a mapped file beyond its end raises SIGBUS, which happens when the file
// is truncated while mapped. From this call on, SIGBUS prints `message` (one line) on stderr
// and exits with `exit_code` instead of dumping core.
void exit_on_sigbus(const std::string& message, int exit_code);

}  // namespace peerdist::cli
