// The block bytes of the data cache: one file per segment, <segments>/<xx>/<segment id hex>.seg
// (xx: the ID's first byte in hex, so that no directory holds more than 1/256 of the files),
// each block at block_index * block_size. Private to src/store; the DataCache decides what the
// bytes mean (which blocks are present is its database's business, not the files').
//
// Files are created 0600 and their directories 0700. Errors come back as StoreError with
// disk_full for ENOSPC/EDQUOT and io_error otherwise.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/store/errc.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::store {

// Owns a file descriptor.
class FileDescriptor {
 public:
  FileDescriptor() noexcept = default;
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~FileDescriptor() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);  // not retried on EINTR: on Linux the descriptor is gone
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// One block to write: where in the segment's file and what.
struct BlockWrite {
  std::uint64_t offset = 0;
  std::span<const std::uint8_t> bytes;
};

class SegmentFiles {
 public:
  explicit SegmentFiles(std::filesystem::path segments_dir);

  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
  [[nodiscard]] std::filesystem::path path_of(const crypto::Digest& segment_id) const;

  // Creates the segments directory (0700) if missing.
  [[nodiscard]] Expected<void, StoreError> create_dir() const;

  // Writes blocks into the segment's file, creating it (and its directory) when missing, and
  // returns the open file for sync_data(). Nothing is durable until then.
  [[nodiscard]] Expected<FileDescriptor, StoreError> write(
      const crypto::Digest& segment_id, std::span<const BlockWrite> blocks) const;

  // The segment's file opened for sync_data() (read-only: fdatasync syncs the file, whichever
  // descriptor wrote it), or nullopt when it does not exist.
  [[nodiscard]] Expected<std::optional<FileDescriptor>, StoreError> open_for_sync(
      const crypto::Digest& segment_id) const;

  // Makes the data written to every file durable (fdatasync each). A batch of 64 V2 segments
  // is 64 files, and 64 fdatasyncs one after the other each wait for a flush of the disk's
  // cache (~4 ms each on the VM disk measured: 15 MB/s). So with several files the write-back
  // of all starts at once, and up to 16 threads (for the call's duration only) run the
  // fdatasyncs concurrently: the block layer merges the flushes they wait for. syncfs() would
  // be as fast but would also write out, and wait for, every other process's dirty data on
  // the file system.
  [[nodiscard]] static Expected<void, StoreError> sync_data(std::span<const FileDescriptor> files);

  // `length` bytes at `offset` of the segment's file; nullopt when the file is missing or
  // shorter than offset + length. The descriptors of the last kOpenReadFiles files read stay
  // open (a peer reads a segment block after block: an open and a close per block cost more
  // than the read of the block itself); one whose file was unlinked since (remove(), or under
  // the cache) is not used again.
  [[nodiscard]] Expected<std::optional<std::vector<std::uint8_t>>, StoreError> read(
      const crypto::Digest& segment_id, std::uint64_t offset, std::uint32_t length);

  // The file's size, nullopt when it does not exist.
  [[nodiscard]] Expected<std::optional<std::uint64_t>, StoreError> size(
      const crypto::Digest& segment_id) const;

  // Removes the segment's file (a missing one is no error).
  [[nodiscard]] Expected<void, StoreError> remove(const crypto::Digest& segment_id);
  // Removes every file and directory under the segments directory (which stays).
  [[nodiscard]] Expected<void, StoreError> remove_all();
  // Removes everything under the segments directory that is not the file of a segment for
  // which `keep` returns true (files of unknown segments, stray names, files in the wrong
  // directory); returns how many entries went.
  [[nodiscard]] Expected<std::uint64_t, StoreError> remove_unknown(
      const std::function<bool(const crypto::Digest&)>& keep);

  // Read descriptors kept open: a few segments read at once by peers' connections, few enough
  // next to a soft RLIMIT_NOFILE of 1024 shared with the daemon's sockets.
  static constexpr std::size_t kOpenReadFiles = 8;

 private:
  // The open read descriptor of the segment's file (opened now if need be, the least recently
  // used one closed past kOpenReadFiles), -1 with errno set when it cannot be opened.
  int reader(const crypto::Digest& segment_id, const std::filesystem::path& path);
  void forget_reader(const crypto::Digest& segment_id);

  std::filesystem::path dir_;
  std::vector<std::pair<crypto::Digest, FileDescriptor>> readers_;  // most recently used last
};

}  // namespace peerdist::store
