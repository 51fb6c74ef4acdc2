#include "io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

namespace peerdist::cli {
namespace {

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + (path == "-" ? std::string("standard stream") : path) + ": " +
         std::strerror(errno);
}

Expected<void, std::string> write_fd(int fd, std::span<const std::uint8_t> bytes,
                                     const std::string& name) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected(errno_text("cannot write", name));
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

bool is_terminal(int fd) noexcept { return ::isatty(fd) == 1; }

Expected<InputFile, std::string> InputFile::open(const std::string& path) {
  if (path == "-") return InputFile(STDIN_FILENO, false, 0, "-");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected(errno_text("cannot open", path));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Unexpected(errno_text("cannot stat", path));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Unexpected(path + " is a directory");
  }
  const bool regular = S_ISREG(st.st_mode);
  const std::uint64_t size = regular ? static_cast<std::uint64_t>(st.st_size) : 0;
  // We read (or map) front to back once: let the kernel read ahead aggressively.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return InputFile(fd, regular, size, path);
}

InputFile::InputFile(InputFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      regular_(other.regular_),
      size_(other.size_),
      name_(std::move(other.name_)) {}

InputFile::~InputFile() {
  if (fd_ > STDERR_FILENO) ::close(fd_);
}

Expected<std::size_t, std::string> InputFile::read(std::span<std::uint8_t> out) {
  for (;;) {
    const ssize_t n = ::read(fd_, out.data(), out.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return Unexpected(errno_text("cannot read", name_));
  }
}

Expected<void, std::string> InputFile::seek(std::uint64_t offset) {
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
    return Unexpected(errno_text("cannot seek in", name_));
  }
  return {};
}

Expected<std::span<const std::uint8_t>, std::string> InputFile::map(std::uint64_t offset,
                                                                    std::size_t length,
                                                                    bool populate) const {
  const int flags = MAP_PRIVATE | (populate ? MAP_POPULATE : 0);
  void* p = ::mmap(nullptr, length, PROT_READ, flags, fd_, static_cast<off_t>(offset));
  if (p == MAP_FAILED) return Unexpected(errno_text("cannot map", name_));
  return std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(p), length);
}

void InputFile::unmap(std::span<const std::uint8_t> window) noexcept {
  // munmap only fails for an address range that map() cannot have returned.
  ::munmap(const_cast<std::uint8_t*>(window.data()), window.size());  // NOLINT
}

namespace {

// What the SIGBUS handler prints: set before the handler is installed, read only by it.
std::array<char, 1024> sigbus_message{};
std::size_t sigbus_message_size = 0;
volatile std::sig_atomic_t sigbus_exit_code = 1;

extern "C" void on_sigbus(int /*signal*/) {
  // Only async-signal-safe calls here.
  [[maybe_unused]] const ssize_t ignored =
      ::write(STDERR_FILENO, sigbus_message.data(), sigbus_message_size);
  ::_exit(sigbus_exit_code);
}

}  // namespace

void exit_on_sigbus(const std::string& message, int exit_code) {
  const std::string line = message + "\n";
  sigbus_message_size = std::min(line.size(), sigbus_message.size());
  std::memcpy(sigbus_message.data(), line.data(), sigbus_message_size);
  sigbus_message[sigbus_message_size - 1] = '\n';  // also when cut short
  sigbus_exit_code = exit_code;
  struct sigaction action {};
  action.sa_handler = on_sigbus;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, nullptr);
}

Expected<std::vector<std::uint8_t>, std::string> read_all(const std::string& path,
                                                          std::uint64_t max_bytes) {
  auto in = InputFile::open(path);
  if (!in) return Unexpected(in.error());
  std::vector<std::uint8_t> data;
  std::size_t filled = 0;
  for (;;) {
    if (data.size() - filled < 65536) data.resize(data.size() + 65536 + data.size() / 2);
    auto n = in->read(std::span(data).subspan(filled));
    if (!n) return Unexpected(n.error());
    if (*n == 0) break;
    filled += *n;
    if (filled > max_bytes) {
      return Unexpected((path == "-" ? std::string("input") : path) + " is larger than " +
                        std::to_string(max_bytes) + " bytes");
    }
  }
  data.resize(filled);
  return data;
}

Expected<void, std::string> write_all(const std::string& path, std::span<const std::uint8_t> bytes) {
  if (path == "-") return write_fd(STDOUT_FILENO, bytes, "-");
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Unexpected(errno_text("cannot create", temp));
  auto written = write_fd(fd, bytes, temp);
  if (written && ::fsync(fd) != 0) written = Unexpected(errno_text("cannot flush", temp));
  if (::close(fd) != 0 && written) written = Unexpected(errno_text("cannot close", temp));
  if (written && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = Unexpected(errno_text("cannot rename to", path));
  }
  if (!written) ::unlink(temp.c_str());
  return written;
}

}  // namespace peerdist::cli
