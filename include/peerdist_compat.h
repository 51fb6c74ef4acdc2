/*
 * peerdist_compat.h: the Win32 calls a Windows program uses together with the PeerDist API
 * (completion ports, events, GetOverlappedResult, CloseHandle, GetLastError), so that such a
 * program builds on Linux with <windows.h> replaced by this header.
 *
 * Plain C (C99 or later) and C++. The signatures are Windows'; the semantics are Windows'
 * except where a comment below says otherwise.
 *
 * Handles returned here are opaque values, not pointers or file descriptors. As on Windows, the
 * two low bits of a handle are ignored when it is used, so (HANDLE)((ULONG_PTR)hEvent | 1)
 * still names the event.
 */
#ifndef PEERDIST_COMPAT_H
#define PEERDIST_COMPAT_H

/* A C header with Windows names and macros by design; the C++ checks of .clang-tidy do not
 * apply. NOLINTBEGIN */

#include "peerdist_win32.h"

/* The PeerDist API itself: a Windows program includes <windows.h> and <peerdist.h>; here this
 * header stands for <windows.h> and brings <peerdist.h> along. */
#include "peerdist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Completion ports -------------------------------------------------------------------- */

/* Only the form that creates a port is supported:
 *   CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, NumberOfConcurrentThreads)
 * PeerDist handles are bound to a port when they are created (spec §1.2), so there is nothing
 * else to associate. Any other FileHandle, or a non-NULL ExistingCompletionPort, returns NULL
 * with ERROR_INVALID_PARAMETER. NumberOfConcurrentThreads is accepted and not enforced: every
 * waiting thread may receive a packet. Returns NULL with ERROR_NOT_ENOUGH_MEMORY or
 * ERROR_TOO_MANY_OPEN_FILES when resources run out. */
HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
                                     ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads);

/* Dequeues one packet, waiting up to dwMilliseconds (INFINITE: forever; 0: do not wait).
 *   TRUE: a packet for a successful operation; bytes, key and *lpOverlapped are filled.
 *   FALSE, *lpOverlapped != NULL: the dequeued operation failed; GetLastError gives its error,
 *         and bytes and key are still filled (spec Q3).
 *   FALSE, *lpOverlapped == NULL: nothing dequeued; GetLastError gives WAIT_TIMEOUT, or
 *         ERROR_INVALID_HANDLE, or ERROR_ABANDONED_WAIT_0 when the port was closed while this
 *         call waited.
 * Unlike Windows, NULL out-pointers fail with ERROR_INVALID_PARAMETER instead of crashing. */
BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                                      PULONG_PTR lpCompletionKey, LPOVERLAPPED* lpOverlapped,
                                      DWORD dwMilliseconds);

/* Queues a packet that GetQueuedCompletionStatus reports as a success. */
BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                       ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped);

/* ---- Events ------------------------------------------------------------------------------ */

/* Creates a manual-reset or auto-reset event. lpEventAttributes is ignored. lpName is ignored:
 * every call creates a new, unnamed event (there is no cross-process object namespace), so
 * GetLastError never reports ERROR_ALREADY_EXISTS; it is ERROR_SUCCESS after a success. */
HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                           BOOL bInitialState, LPCSTR lpName);
HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                           BOOL bInitialState, LPCWSTR lpName);
#ifndef CreateEvent
#ifdef UNICODE
#define CreateEvent CreateEventW
#else
#define CreateEvent CreateEventA
#endif
#endif

BOOL WINAPI SetEvent(HANDLE hEvent);
BOOL WINAPI ResetEvent(HANDLE hEvent);

/* Waits for an event: WAIT_OBJECT_0 when it is (or becomes) set, consuming the signal of an
 * auto-reset event; WAIT_TIMEOUT after dwMilliseconds (INFINITE: never; 0: test only);
 * WAIT_FAILED with ERROR_INVALID_HANDLE for anything that is not an event, completion ports
 * included. */
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);

/* ---- Results of asynchronous operations -------------------------------------------------- */

/* hFile is ignored: the PeerDist API has no file handle, and Windows programs pass the
 * PeerDist handle or NULL. Everything comes from the OVERLAPPED:
 *   still pending and !bWait: FALSE with ERROR_IO_INCOMPLETE;
 *   still pending and bWait: waits until the operation completes;
 *   completed: *lpNumberOfBytesTransferred = bytes (always, even on failure: spec Q20), then
 *   TRUE on success, or FALSE with the operation's error in GetLastError. */
BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                LPDWORD lpNumberOfBytesTransferred, BOOL bWait);

/* ---- Handles and errors ------------------------------------------------------------------ */

/* Closes a completion port or an event. PeerDist handles (instance, stream, content
 * information, content) have their own close functions, and CloseHandle on them fails with
 * ERROR_INVALID_HANDLE. */
BOOL WINAPI CloseHandle(HANDLE hObject);

/* Per-thread, as on Windows. */
DWORD WINAPI GetLastError(void);
void WINAPI SetLastError(DWORD dwErrCode);

/* ---- Linux extension (not Windows) ------------------------------------------------------- */

/* A file descriptor that is readable exactly while the object is signalled: a completion port
 * while it holds at least one packet, an event while it is set. Put it in poll/epoll/Asio and
 * then call GetQueuedCompletionStatus or WaitForSingleObject with a timeout of 0. The
 * descriptor belongs to the object: never read, write or close it, and remove it from any
 * epoll set before CloseHandle. Returns -1 with ERROR_INVALID_HANDLE for other handles. */
int PeerDistCompatGetPollFd(HANDLE hObject);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* NOLINTEND */
#endif /* PEERDIST_COMPAT_H */
