// The library's tunables, each with the reason for its value. Nothing here is part of the
// protocol (docs/ipc.md) or the API contract (docs/api.md); changing a value changes only speed
// and memory use.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "peerdist/ipc/frame.hpp"

namespace peerdist::api::policy {

// The shared ring one connection uses for AddToStream data (docs/api.md, "Bulk data"). 32 MiB
// keeps the daemon's hashing pipeline fed: the pccrc builder hashes V1 blocks / V2 segments of
// up to a few MiB on every core, so about 32 one-MiB pieces in flight cover the copy in the
// library, the hashing of the previous pieces and the Results on the way back, while the
// library copies the next. A memfd's pages are allocated only when written, so an instance that
// never publishes costs address space, not memory; one that does keeps up to this much shmem.
// It is below peerdistd's default limits.max_shared_buffer (64 MiB); a daemon configured lower
// refuses the ring in HelloReply and the library reconnects without one (inline data).
inline constexpr std::size_t kRingSize = std::size_t{32} * 1024 * 1024;

// The ring is cut into slots; a piece occupies whole slots until its Result frees them. One
// slot is one copied piece: 1 MiB is large enough that the per-piece cost (a frame each way,
// ~10 us) is below 1% of copying and hashing it, and small enough that 32 of them pipeline.
inline constexpr std::size_t kRingSlotSize = std::size_t{1024} * 1024;

// The largest zero-copy buffer the C++ API hands out (PublicationStream::buffer): four slots.
// Larger buffers would leave too few slots to pipeline; the same 4 MiB as an inline piece.
inline constexpr std::size_t kMaxLeaseSize = 4 * kRingSlotSize;

// Pieces of data already inside the ring (zero copy) are sent as they are, cut at this size so
// that the daemon frees (answers) ring space progressively.
inline constexpr std::size_t kMaxSharedPiece = kMaxLeaseSize;

// A file the daemon reads itself (AddFileToStream, docs/ipc.md "File pieces") is sent in pieces
// of this size: each is a frame of a few dozen bytes, so only the Result granularity matters.
// 32 MiB is four of the daemon's 8 MiB mapping windows, so a piece keeps its hashing threads
// busy while the next one is queued, and progress is still reported 32 times per GiB.
inline constexpr std::size_t kFilePieceSize = std::size_t{32} * 1024 * 1024;

// Without a ring, data goes inline (docs/ipc.md: at most kMaxInlineData per piece). 1 MiB
// pieces pipeline through the socket buffers like ring slots do, at one frame-sized
// allocation each.
inline constexpr std::size_t kInlinePieceSize = std::size_t{1024} * 1024;
static_assert(kInlinePieceSize <= ipc::kMaxInlineData);

// One recv() of the receiver thread. Results carry at most 4 MiB (a CI piece) but most are a
// few dozen bytes; 64 KiB drains many of them per system call without a large idle buffer.
inline constexpr std::size_t kReceiveBufferSize = std::size_t{64} * 1024;

// How long PeerDistStartup (or a reconnect) waits for HelloReply. peerdistd answers at once; a
// daemon that does not answer within this time is treated as absent, so no call hangs on a
// wedged daemon at connect time.
inline constexpr std::chrono::milliseconds kHandshakeTimeout{10000};

// While a status notification is armed and no daemon answers, the library tries to connect
// this often, so that the notification fires when the service comes up even if the program
// makes no other call (docs/api.md: the library reconnects "on the next call"; a program that
// waits for the notification makes none).
inline constexpr std::chrono::milliseconds kReconnectInterval{1000};

}  // namespace peerdist::api::policy
