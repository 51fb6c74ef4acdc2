#include "peerdist/service/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "peerdist/ipc/unique_fd.hpp"

namespace peerdist::service {
namespace {

// Parents that ensure_directory() creates on the way: readable by all, as ~/.local/state or
// /run would be.
constexpr mode_t kParentMode = 0755;

std::string errno_text(int error) { return std::strerror(error); }  // NOLINT(concurrency-mt-unsafe)

Expected<void, std::string> make_one(const std::filesystem::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) == 0) {
    // mkdir() applies the umask; the mode asked for is the mode meant.
    if (::chmod(dir.c_str(), mode) != 0) {
      return Unexpected(dir.string() + ": cannot set mode: " + errno_text(errno));
    }
    return {};
  }
  const int error = errno;
  struct stat st {};
  if (error == EEXIST && ::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return Unexpected(dir.string() + ": exists and is not a directory");
  }
  return Unexpected(dir.string() + ": cannot create directory: " + errno_text(error));
}

}  // namespace

Expected<void, std::string> ensure_directory(const std::filesystem::path& dir, mode_t mode) {
  if (dir.empty()) return Unexpected(std::string("empty directory path"));
  const std::filesystem::path absolute = dir.lexically_normal();
  std::filesystem::path partial;
  std::vector<std::filesystem::path> parts(absolute.begin(), absolute.end());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    partial /= parts[i];
    if (parts[i].empty() || partial == partial.root_path()) continue;
    auto made = make_one(partial, i + 1 == parts.size() ? mode : kParentMode);
    if (!made) return made;
  }
  return {};
}

Expected<void, std::string> write_file_atomically(const std::filesystem::path& file,
                                                  std::span<const std::uint8_t> bytes,
                                                  mode_t mode) {
  const std::filesystem::path temp = file.string() + ".tmp";
  ipc::UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                          mode));
  if (!fd) return Unexpected(temp.string() + ": cannot create: " + errno_text(errno));
  auto failed = [&](const char* what) {
    const int error = errno;
    ::unlink(temp.c_str());
    return Unexpected(temp.string() + ": " + what + ": " + errno_text(error));
  };
  // An existing temporary file (from a crash) keeps its old mode through O_CREAT.
  if (::fchmod(fd.get(), mode) != 0) return failed("cannot set mode");
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed("write failed");
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  if (::fsync(fd.get()) != 0) return failed("fsync failed");
  fd.reset();
  if (::rename(temp.c_str(), file.c_str()) != 0) return failed("cannot rename into place");
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  ipc::UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd || ::fsync(dir_fd.get()) != 0) {
    return Unexpected(dir.string() + ": cannot flush directory: " + errno_text(errno));
  }
  return {};
}

Expected<std::vector<std::uint8_t>, std::string> read_small_file(const std::filesystem::path& file,
                                                                 std::uintmax_t max_size) {
  ipc::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Unexpected(file.string() + ": cannot open: " + errno_text(errno));
  std::vector<std::uint8_t> out;
  std::array<std::uint8_t, 4096> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected(file.string() + ": read error: " + errno_text(errno));
    }
    if (n == 0) break;
    out.insert(out.end(), buffer.begin(), buffer.begin() + n);
    if (out.size() > max_size) {
      return Unexpected(file.string() + ": larger than " + std::to_string(max_size) + " bytes");
    }
  }
  return out;
}

}  // namespace peerdist::service
