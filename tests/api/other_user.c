/*
 * other_user: the second user of daemon_lifecycle_test's TwoUsers test, a plain C program on
 * the installed-style API (<peerdist_compat.h> + <peerdist.h>). Run as root, it drops to UID
 * (setgid/setuid) and then, through PEERDIST_SOCKET, publishes SHARED_ID (which root has
 * published too), reads its own content information back, and tries to open and unpublish
 * ROOT_ONLY_ID, which only root has published. It prints one "step=code" line per call.
 *
 *   other_user UID SHARED_ID ROOT_ONLY_ID
 */
#define _GNU_SOURCE /* setgroups */
#include <peerdist_compat.h>

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char kContent[] = "the other user's content, which is not root's";

static DWORD wait_port(HANDLE port) {
  DWORD bytes = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED done = NULL;
  if (GetQueuedCompletionStatus(port, &bytes, &key, &done, 20000)) return ERROR_SUCCESS;
  return done == NULL ? WAIT_TIMEOUT : GetLastError();
}

static DWORD publish(PEERDIST_INSTANCE_HANDLE instance, const char* id) {
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  PEERDIST_STREAM_HANDLE stream = NULL;
  OVERLAPPED ov;
  DWORD error = PeerDistServerPublishStream(instance, (DWORD)strlen(id), (PBYTE)id, 0, NULL, port,
                                            0, &stream);
  if (error == ERROR_SUCCESS) {
    memset(&ov, 0, sizeof ov);
    error = PeerDistServerPublishAddToStream(instance, stream, sizeof kContent, (PBYTE)kContent, &ov);
    if (error == ERROR_IO_PENDING) error = wait_port(port);
  }
  if (error == ERROR_SUCCESS) {
    memset(&ov, 0, sizeof ov);
    error = PeerDistServerPublishCompleteStream(instance, stream, &ov);
    if (error == ERROR_IO_PENDING) error = wait_port(port);
  }
  if (stream != NULL) PeerDistServerCloseStreamHandle(instance, stream);
  CloseHandle(port);
  return error;
}

/* The size of the content information of `id`, or 0 with *error set. */
static DWORD ci_size(PEERDIST_INSTANCE_HANDLE instance, const char* id, DWORD* error) {
  PEERDIST_CONTENTINFO_HANDLE ci = NULL;
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  BYTE buffer[65536];
  OVERLAPPED ov;
  DWORD total = 0;
  *error = PeerDistServerOpenContentInformation(instance, (DWORD)strlen(id), (PBYTE)id, 0, 0, port,
                                                0, &ci);
  while (*error == ERROR_SUCCESS) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED done = NULL;
    memset(&ov, 0, sizeof ov);
    *error = PeerDistServerRetrieveContentInformation(instance, ci, sizeof buffer, buffer, &ov);
    if (*error != ERROR_IO_PENDING) break;
    if (!GetQueuedCompletionStatus(port, &bytes, &key, &done, 20000)) {
      *error = done == NULL ? WAIT_TIMEOUT : GetLastError();
      if (*error == PEERDIST_ERROR_NO_MORE) *error = ERROR_SUCCESS;
      break;
    }
    total += bytes;
    *error = ERROR_SUCCESS;
  }
  if (ci != NULL) PeerDistServerCloseContentInformation(instance, ci);
  CloseHandle(port);
  return total;
}

int main(int argc, char** argv) {
  PEERDIST_INSTANCE_HANDLE instance = NULL;
  DWORD error = 0;
  DWORD size = 0;
  uid_t uid;
  if (argc != 4) {
    fprintf(stderr, "usage: %s UID SHARED_ID ROOT_ONLY_ID\n", argv[0]);
    return 2;
  }
  uid = (uid_t)strtoul(argv[1], NULL, 10);
  if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid(uid) != 0) {
    perror("dropping privileges");
    return 2;
  }
  printf("uid=%u\n", (unsigned)getuid());
  printf("startup=%lu\n", (unsigned long)PeerDistStartup(PEERDIST_VERSION, &instance, NULL));
  printf("publish_shared=%lu\n", (unsigned long)publish(instance, argv[2]));
  size = ci_size(instance, argv[2], &error);
  printf("read_shared=%lu\nshared_ci_bytes=%lu\n", (unsigned long)error, (unsigned long)size);
  ci_size(instance, argv[3], &error);
  printf("open_root_only=%lu\n", (unsigned long)error);
  printf("unpublish_root_only=%lu\n",
         (unsigned long)PeerDistServerUnpublish(instance, (DWORD)strlen(argv[3]), (PBYTE)argv[3]));
  printf("unpublish_shared=%lu\n",
         (unsigned long)PeerDistServerUnpublish(instance, (DWORD)strlen(argv[2]), (PBYTE)argv[2]));
  printf("shutdown=%lu\n", (unsigned long)PeerDistShutdown(instance));
  return 0;
}
