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
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  InputFile(int fd, std::uint64_t size, std::string name) : fd_(fd), size_(size), name_(std::move(name)) {}
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string name_;
};

[[nodiscard]] bool is_terminal(int fd) noexcept;

}  // namespace peerdist::cli
