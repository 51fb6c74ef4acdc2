#include "segment_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <string>
#include <system_error>
#include <thread>

#include "peerdist/util/hex.hpp"

namespace peerdist::store {
namespace {

constexpr std::string_view kSuffix = ".seg";

// fdatasyncs of one batch in flight at once (see sync_data()).
constexpr std::size_t kMaxSyncThreads = 16;

StoreError errno_error(int err, std::string_view what, const std::filesystem::path& path) {
  const std::error_code ec(err, std::generic_category());
  const StoreErrc code =
      err == ENOSPC || err == EDQUOT ? StoreErrc::disk_full : StoreErrc::io_error;
  return {code, std::string(what) + " " + path.string() + ": " + ec.message()};
}

StoreError fs_error(const std::error_code& ec, std::string_view what,
                    const std::filesystem::path& path) {
  return errno_error(ec.value(), what, path);
}

int open_file(const std::filesystem::path& path, int flags) {
  for (;;) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open is variadic by definition
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}

// mkdir that accepts an existing directory.
bool make_dir(const std::filesystem::path& path) {
  return ::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST;
}

std::string shard_of(const std::string& hex) {
  return hex.substr(0, 2);
}

}  // namespace

SegmentFiles::SegmentFiles(std::filesystem::path segments_dir) : dir_(std::move(segments_dir)) {}

std::filesystem::path SegmentFiles::path_of(const crypto::Digest& segment_id) const {
  const std::string hex = segment_id.hex();
  return dir_ / shard_of(hex) / (hex + std::string(kSuffix));
}

Expected<void, StoreError> SegmentFiles::create_dir() const {
  if (!make_dir(dir_)) return Unexpected(errno_error(errno, "cannot create", dir_));
  return {};
}

Expected<FileDescriptor, StoreError> SegmentFiles::write(const crypto::Digest& segment_id,
                                                         std::span<const BlockWrite> blocks) const {
  const std::filesystem::path path = path_of(segment_id);
  FileDescriptor fd(open_file(path, O_WRONLY | O_CREAT));
  if (!fd.valid() && errno == ENOENT) {
    // The first segment of this shard (or the segments directory went away under us).
    if (!make_dir(dir_) || !make_dir(path.parent_path())) {
      return Unexpected(errno_error(errno, "cannot create", path.parent_path()));
    }
    fd.reset(open_file(path, O_WRONLY | O_CREAT));
  }
  if (!fd.valid()) return Unexpected(errno_error(errno, "cannot open", path));
  for (const BlockWrite& block : blocks) {
    std::size_t done = 0;
    while (done < block.bytes.size()) {
      const ssize_t n = ::pwrite(fd.get(), block.bytes.data() + done, block.bytes.size() - done,
                                 static_cast<off_t>(block.offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Unexpected(errno_error(errno, "cannot write", path));
      }
      done += static_cast<std::size_t>(n);
    }
  }
  return fd;
}

Expected<std::optional<FileDescriptor>, StoreError> SegmentFiles::open_for_sync(
    const crypto::Digest& segment_id) const {
  const std::filesystem::path path = path_of(segment_id);
  FileDescriptor fd(open_file(path, O_RDONLY));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<FileDescriptor>{};
    return Unexpected(errno_error(errno, "cannot open", path));
  }
  return std::optional<FileDescriptor>{std::move(fd)};
}

Expected<void, StoreError> SegmentFiles::sync_data(std::span<const FileDescriptor> files) {
  // The first error any fdatasync met (0: none).
  std::atomic<int> first_error{0};
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < files.size(); i = next.fetch_add(1)) {
      int result = 0;
      while ((result = ::fdatasync(files[i].get())) != 0 && errno == EINTR) {
      }
      if (result != 0) {
        int none = 0;
        first_error.compare_exchange_strong(none, errno);
      }
    }
  };
  if (files.size() > 1) {
    // Starts the write-back of every file at once: the disk sees the writes together.
    for (const FileDescriptor& fd : files) {
      (void)::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);  // a hint; fdatasync reports
    }
    std::vector<std::jthread> helpers;
    const std::size_t wanted = std::min(files.size(), kMaxSyncThreads) - 1;
    try {
      while (helpers.size() < wanted) helpers.emplace_back(work);
    } catch (const std::system_error&) {
      // No more threads now: fewer do the same work.
    }
    work();
    helpers.clear();  // joins
  } else {
    work();
  }
  if (const int err = first_error.load(); err != 0) {
    const std::error_code ec(err, std::generic_category());
    return Unexpected(
        StoreError{err == ENOSPC || err == EDQUOT ? StoreErrc::disk_full : StoreErrc::io_error,
                   "cannot sync a segment file: " + ec.message()});
  }
  return {};
}

int SegmentFiles::reader(const crypto::Digest& segment_id, const std::filesystem::path& path) {
  for (auto it = readers_.begin(); it != readers_.end(); ++it) {
    if (it->first != segment_id) continue;
    struct stat st {};
    if (::fstat(it->second.get(), &st) == 0 && st.st_nlink > 0) {
      std::rotate(it, it + 1, readers_.end());  // most recently used last
      return readers_.back().second.get();
    }
    readers_.erase(it);  // unlinked (or replaced) under us: the path decides again
    break;
  }
  FileDescriptor fd(open_file(path, O_RDONLY));
  if (!fd.valid()) return -1;
  if (readers_.size() >= kOpenReadFiles) readers_.erase(readers_.begin());
  readers_.emplace_back(segment_id, std::move(fd));
  return readers_.back().second.get();
}

void SegmentFiles::forget_reader(const crypto::Digest& segment_id) {
  std::erase_if(readers_, [&](const auto& entry) { return entry.first == segment_id; });
}

Expected<std::optional<std::vector<std::uint8_t>>, StoreError> SegmentFiles::read(
    const crypto::Digest& segment_id, std::uint64_t offset, std::uint32_t length) {
  const std::filesystem::path path = path_of(segment_id);
  const int fd = reader(segment_id, path);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::vector<std::uint8_t>>{};
    return Unexpected(errno_error(errno, "cannot open", path));
  }
  std::vector<std::uint8_t> bytes(length);
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n =
        ::pread(fd, bytes.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected(errno_error(errno, "cannot read", path));
    }
    if (n == 0) return std::optional<std::vector<std::uint8_t>>{};  // the file is too short
    done += static_cast<std::size_t>(n);
  }
  return std::optional<std::vector<std::uint8_t>>{std::move(bytes)};
}

Expected<std::optional<std::uint64_t>, StoreError> SegmentFiles::size(
    const crypto::Digest& segment_id) const {
  const std::filesystem::path path = path_of(segment_id);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::uint64_t>{};
    return Unexpected(errno_error(errno, "cannot stat", path));
  }
  if (!S_ISREG(st.st_mode)) return std::optional<std::uint64_t>{};  // not ours: treat as missing
  return std::optional<std::uint64_t>{static_cast<std::uint64_t>(st.st_size)};
}

Expected<void, StoreError> SegmentFiles::remove(const crypto::Digest& segment_id) {
  forget_reader(segment_id);
  const std::filesystem::path path = path_of(segment_id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Unexpected(errno_error(errno, "cannot remove", path));
  }
  return {};
}

Expected<void, StoreError> SegmentFiles::remove_all() {
  readers_.clear();
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::filesystem::remove_all(it->path(), ec);
    if (ec) return Unexpected(fs_error(ec, "cannot remove", it->path()));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Unexpected(fs_error(ec, "cannot list", dir_));
  }
  return {};
}

Expected<std::uint64_t, StoreError> SegmentFiles::remove_unknown(
    const std::function<bool(const crypto::Digest&)>& keep) {
  readers_.clear();
  std::uint64_t removed = 0;
  std::error_code ec;
  const auto drop = [&](const std::filesystem::path& path) -> Expected<void, StoreError> {
    std::error_code remove_ec;
    std::filesystem::remove_all(path, remove_ec);
    if (remove_ec) return Unexpected(fs_error(remove_ec, "cannot remove", path));
    ++removed;
    return {};
  };
  for (std::filesystem::directory_iterator shard(dir_, ec), end; !ec && shard != end;
       shard.increment(ec)) {
    const std::string shard_name = shard->path().filename().string();
    std::error_code type_ec;
    if (!shard->is_directory(type_ec) || shard_name.size() != 2 || !util::from_hex(shard_name)) {
      if (auto done = drop(shard->path()); !done) return Unexpected(done.error());
      continue;
    }
    std::error_code inner_ec;
    for (std::filesystem::directory_iterator file(shard->path(), inner_ec), inner_end;
         !inner_ec && file != inner_end; file.increment(inner_ec)) {
      const std::string name = file->path().filename().string();
      bool wanted = false;
      std::error_code file_ec;
      if (file->is_regular_file(file_ec) && name.ends_with(kSuffix)) {
        const std::string_view hex = std::string_view(name).substr(0, name.size() - kSuffix.size());
        const auto id = util::from_hex(hex);
        // Lower case only, as path_of() writes it, and in its own shard.
        wanted = id && (id->size() == 32 || id->size() == 48 || id->size() == 64) &&
                 util::to_hex(*id) == hex && shard_of(std::string(hex)) == shard_name &&
                 keep(crypto::Digest(*id));
      }
      if (!wanted) {
        if (auto done = drop(file->path()); !done) return Unexpected(done.error());
      }
    }
    if (inner_ec) return Unexpected(fs_error(inner_ec, "cannot list", shard->path()));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Unexpected(fs_error(ec, "cannot list", dir_));
  }
  return removed;
}

}  // namespace peerdist::store
