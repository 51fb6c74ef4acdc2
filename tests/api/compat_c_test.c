/*
 * A C program written the way a Windows program is, with <windows.h> replaced by
 * <peerdist_compat.h>. Built as strict C11 and C99 (-Wall -Wextra -Werror -pedantic); exits
 * non-zero if any check fails.
 */
#include <peerdist_compat.h>
#include <peerdist_compat.h> /* twice on purpose: the headers must tolerate it */
#include <peerdist_win32.h>
#include <stddef.h>
#include <stdio.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static void check_layout(void) {
  OVERLAPPED ov;
  CHECK(sizeof(OVERLAPPED) == 32);
  CHECK(offsetof(OVERLAPPED, Internal) == 0);
  CHECK(offsetof(OVERLAPPED, InternalHigh) == 8);
  CHECK(offsetof(OVERLAPPED, Offset) == 16);
  CHECK(offsetof(OVERLAPPED, OffsetHigh) == 20);
  CHECK(offsetof(OVERLAPPED, Pointer) == 16);
  CHECK(offsetof(OVERLAPPED, hEvent) == 24);
  CHECK(sizeof(DWORD) == 4 && sizeof(BOOL) == 4 && sizeof(WCHAR) == 2);
  CHECK(MAKEWORD(1, 0) == 0x0001);
  CHECK((DWORD)MAKELONG(2, 0) == 2);
  CHECK(LOWORD(0x00020001) == 1 && HIWORD(0x00020001) == 2);
  ov.Internal = STATUS_PENDING;
  CHECK(!HasOverlappedIoCompleted(&ov));
  ov.Internal = ERROR_SUCCESS;
  CHECK(HasOverlappedIoCompleted(&ov));
}

static void check_port(void) {
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  OVERLAPPED ov = {0};
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED got = NULL;
  CHECK(port != NULL);
  CHECK(PeerDistCompatGetPollFd(port) >= 0);

  CHECK(PostQueuedCompletionStatus(port, 512, 42, &ov));
  CHECK(GetQueuedCompletionStatus(port, &bytes, &key, &got, INFINITE));
  CHECK(bytes == 512 && key == 42 && got == &ov);

  /* Nothing queued: FALSE, no OVERLAPPED, WAIT_TIMEOUT. */
  CHECK(!GetQueuedCompletionStatus(port, &bytes, &key, &got, 10));
  CHECK(got == NULL);
  CHECK(GetLastError() == WAIT_TIMEOUT);

  CHECK(CreateIoCompletionPort(port, NULL, 0, 0) == NULL);
  CHECK(GetLastError() == ERROR_INVALID_PARAMETER);

  CHECK(CloseHandle(port));
  CHECK(!PostQueuedCompletionStatus(port, 0, 0, NULL));
  CHECK(GetLastError() == ERROR_INVALID_HANDLE);
}

static void check_events(void) {
  static const WCHAR name[] = {'e', 'v', 0};
  HANDLE manual = CreateEvent(NULL, TRUE, FALSE, NULL);
  HANDLE automatic = CreateEventW(NULL, FALSE, TRUE, name);
  CHECK(manual != NULL && automatic != NULL);

  CHECK(WaitForSingleObject(manual, 0) == WAIT_TIMEOUT);
  CHECK(SetEvent(manual));
  CHECK(WaitForSingleObject(manual, INFINITE) == WAIT_OBJECT_0);
  CHECK(WaitForSingleObject(manual, 0) == WAIT_OBJECT_0);
  CHECK(ResetEvent(manual));
  CHECK(WaitForSingleObject(manual, 10) == WAIT_TIMEOUT);

  CHECK(WaitForSingleObject(automatic, 0) == WAIT_OBJECT_0);
  CHECK(WaitForSingleObject(automatic, 0) == WAIT_TIMEOUT);

  CHECK(CloseHandle(manual));
  CHECK(CloseHandle(automatic));
  CHECK(WaitForSingleObject(manual, 0) == WAIT_FAILED);
  CHECK(GetLastError() == ERROR_INVALID_HANDLE);
  CHECK(!CloseHandle(NULL));
  CHECK(GetLastError() == ERROR_INVALID_HANDLE);
}

static void check_overlapped_result(void) {
  OVERLAPPED ov = {0};
  DWORD bytes = 0;
  ov.Internal = STATUS_PENDING;
  CHECK(!GetOverlappedResult(NULL, &ov, &bytes, FALSE));
  CHECK(GetLastError() == ERROR_IO_INCOMPLETE);

  ov.Internal = ERROR_SUCCESS;
  ov.InternalHigh = 100;
  CHECK(GetOverlappedResult(NULL, &ov, &bytes, TRUE));
  CHECK(bytes == 100);

  ov.Internal = PEERDIST_ERROR_MISSING_DATA;
  ov.InternalHigh = 7;
  CHECK(!GetOverlappedResult(NULL, &ov, &bytes, TRUE));
  CHECK(GetLastError() == PEERDIST_ERROR_MISSING_DATA);
  CHECK(bytes == 7);
}

static void check_last_error(void) {
  SetLastError(ERROR_IO_PENDING);
  CHECK(GetLastError() == ERROR_IO_PENDING);
  SetLastError(ERROR_SUCCESS);
  CHECK(GetLastError() == ERROR_SUCCESS);
}

int main(void) {
  check_layout();
  check_port();
  check_events();
  check_overlapped_result();
  check_last_error();
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  puts("compat C test: all checks passed");
  return 0;
}
