// How the PeerDist API finishes an asynchronous operation: the Windows I/O manager's part,
// writing the result into the caller's OVERLAPPED and notifying the event and/or completion
// port. Every async PeerDist call does mark_pending before it returns ERROR_IO_PENDING and
// complete_overlapped exactly once afterwards (spec §1.1, §1.2).
#pragma once

#include <peerdist_win32.h>

namespace peerdist::api {

// Starts an operation: Internal = STATUS_PENDING. Like ReadFile and WriteFile, it also resets
// the event in hEvent (low tag bits ignored), so a wait on that event does not return for an
// earlier completion. Call it before the operation is handed to anything that can complete
// it. PeerDistGetOverlappedResult(ov, bytes, bWait) can then simply be
// GetOverlappedResult(NULL, ov, bytes, bWait).
void mark_pending(OVERLAPPED* ov) noexcept;

// Finishes an operation, in Windows' order:
//  1. InternalHigh = bytes, then Internal = status with release ordering, so a thread that
//     sees Internal != STATUS_PENDING (HasOverlappedIoCompleted, GetOverlappedResult) also
//     sees InternalHigh, Offset and OffsetHigh as written before this call. From then on the
//     caller owns the OVERLAPPED again, so *ov is never read or written afterwards.
//  2. Notify:
//     hEvent with its low bit set: signal the event (hEvent & ~1) only, no port packet; that
//     is Windows' documented way to opt out of the port for one operation.
//     hEvent set without the tag: signal the event and, if `port` is given, post the packet
//     too. Spec Q2 reads the docs as "the event is used"; Windows' I/O manager in fact does
//     both when a file has a port and the OVERLAPPED an event (the event is set, then the
//     packet queued), and a program written for Windows may rely on the packet, so we do
//     both.
//     No hEvent: post to `port` if given.
//     Threads in GetOverlappedResult(bWait = TRUE) are woken in every case.
// status is a Win32 code (ERROR_SUCCESS or the operation's error) and must not be
// STATUS_PENDING (259, which is also ERROR_NO_MORE_ITEMS; PeerDist never completes with it).
// A port or event handle that is no longer open is skipped: the notification is lost, as it
// is for a Windows program that closes them with I/O in flight. Running out of memory while
// queuing the packet terminates the process rather than losing the completion silently.
void complete_overlapped(OVERLAPPED* ov, DWORD status, DWORD bytes, HANDLE port,
                         ULONG_PTR key) noexcept;

}  // namespace peerdist::api
