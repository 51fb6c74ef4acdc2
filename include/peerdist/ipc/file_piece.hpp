// AddFileToStream's rule for the file a client passes (docs/ipc.md, "File pieces"), shared by
// the library (which sends file pieces only for a file the daemon takes, and otherwise copies
// through the shared ring) and the daemon (which checks every descriptor it is given).
#pragma once

namespace peerdist::ipc {

// Whether the daemon reads pieces from `fd`: a regular file, opened read-only (not O_PATH),
// on a local filesystem: not FUSE (whose reads the client itself may answer late or never),
// nor a network filesystem (NFS, SMB/CIFS, 9p, Ceph, AFS, Coda, NCP), whose reads may wait on
// a server for long. The range a piece names is the daemon's to check against the file's size.
[[nodiscard]] bool file_piece_source(int fd) noexcept;

}  // namespace peerdist::ipc
