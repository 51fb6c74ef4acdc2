// Pieces read from a client's file (AddFileToStream, docs/ipc.md "File pieces"): the daemon
// maps windows of the file the client passed a descriptor of, read-only, and the builders hash
// them in place, as `peerdist hash` does with its own files.
//
// The file stays the client's: it may shrink while a window is mapped, and touching a page past
// the new end raises SIGBUS, which would kill the daemon and everyone's service with it. So
// every window is registered with a SIGBUS handler (installed once, process-wide): a fault
// inside a registered window replaces the whole window with zero pages (the faulting read is
// retried and reads zeros) and marks it damaged; the piece then fails. A fault anywhere else is
// handed to whatever handled SIGBUS before (by default: the process dies, as it would have).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::service {

// One AddFileToStream piece: the client's descriptor and the range of the file.
struct FilePiece {
  ipc::UniqueFd fd;
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
};

// Whether the daemon reads a piece from `fd`: ipc::file_piece_source (a regular file, opened
// read-only, on a local filesystem), with [offset, offset + length) inside its size now. The
// Win32 status to answer otherwise: ERROR_INVALID_PARAMETER, or PEERDIST_ERROR_OUT_OF_BOUNDS
// for a range past the end of the file.
[[nodiscard]] std::uint32_t check_file_piece(int fd, std::uint64_t offset, std::uint64_t length);

// A read-only mapping of part of a client's file, registered with the SIGBUS handler while it
// is mapped. Move-only; unmapped by close() or the destructor.
class FileWindow {
 public:
  // At most this many windows are mapped at once in the process (the handler's table).
  static constexpr std::size_t kMaxWindows = 1024;

  // Maps [offset, offset + length) of `fd` (length > 0), its pages read in now (MAP_POPULATE),
  // while the caller's builders hash the previous windows. Fails with the mmap errno, or
  // errc::too_many_files_open when kMaxWindows are mapped.
  [[nodiscard]] static Expected<FileWindow, std::error_code> map(int fd, std::uint64_t offset,
                                                                 std::size_t length);

  FileWindow(FileWindow&& other) noexcept;
  FileWindow& operator=(FileWindow&& other) noexcept;
  FileWindow(const FileWindow&) = delete;
  FileWindow& operator=(const FileWindow&) = delete;
  ~FileWindow();

  // The bytes asked for (empty once closed).
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
  // Whether a read faulted (the file shrank, or could not be read): what was read of the
  // window may be zeros instead of the file's bytes.
  [[nodiscard]] bool damaged() const noexcept;
  // Unmaps; returns damaged() as it was at the end. Idempotent (false when already closed).
  bool close() noexcept;

 private:
  FileWindow(std::size_t slot, void* base, std::size_t mapped, std::span<const std::uint8_t> bytes)
      : slot_(slot), base_(base), mapped_(mapped), bytes_(bytes) {}

  std::size_t slot_ = kMaxWindows;  // kMaxWindows: none
  void* base_ = nullptr;
  std::size_t mapped_ = 0;
  std::span<const std::uint8_t> bytes_;
};

}  // namespace peerdist::service
