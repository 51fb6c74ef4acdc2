#include "peerdist/ipc/file_piece.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <array>

namespace peerdist::ipc {
namespace {

// statfs f_type values (linux/magic.h, and FUSE's own).
constexpr std::array<unsigned long, 10> kRefusedFilesystems = {  // NOLINT(google-runtime-int)
    0x65735546,  // FUSE_SUPER_MAGIC
    0x6969,      // NFS_SUPER_MAGIC
    0x517B,      // SMB_SUPER_MAGIC
    0xFF534D42,  // CIFS_SUPER_MAGIC
    0xFE534D42,  // SMB2_SUPER_MAGIC
    0x01021997,  // V9FS_MAGIC
    0x00C36400,  // CEPH_SUPER_MAGIC
    0x5346414F,  // AFS_SUPER_MAGIC
    0x73757245,  // CODA_SUPER_MAGIC
    0x564C,      // NCP_SUPER_MAGIC
};

}  // namespace

bool file_piece_source(int fd) noexcept {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): fcntl is variadic by definition
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_PATH) != 0 || (flags & O_ACCMODE) != O_RDONLY) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0) return false;
  const auto type = static_cast<unsigned long>(fs.f_type);  // NOLINT(google-runtime-int)
  return std::ranges::none_of(kRefusedFilesystems,
                              [type](const auto refused) { return type == refused; });
}

}  // namespace peerdist::ipc
