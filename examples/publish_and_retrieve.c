/*
 * publish_and_retrieve.c: a program written for Windows' PeerDist API, unchanged but for the
 * first include. On Windows it starts with <windows.h>; on Linux, <peerdist_compat.h>.
 *
 * It publishes a file through the Peer Distribution service, driving AddToStream and
 * CompleteStream through an I/O completion port, then reads the content information back in
 * small pieces through an event and GetOverlappedResult, writes it to a file, and unpublishes.
 *
 *   publish_and_retrieve CONTENT_FILE CONTENT_ID CI_OUTPUT_FILE
 *
 * Build on Linux:  cc publish_and_retrieve.c $(pkg-config --cflags --libs peerdist)
 */
#include <peerdist_compat.h> /* Windows: #include <windows.h> */
#include <peerdist.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIECE_SIZE (256 * 1024)
#define CI_READ_SIZE 4096

static int fail(const char* what, DWORD error) {
  fprintf(stderr, "%s failed: %lu\n", what, (unsigned long)error);
  return 1;
}

/* Waits for the one completion we expect on the port and returns its status. */
static DWORD wait_port(HANDLE port, LPOVERLAPPED expected, DWORD* bytes) {
  ULONG_PTR key = 0;
  LPOVERLAPPED done = NULL;
  BOOL ok = GetQueuedCompletionStatus(port, bytes, &key, &done, 60000);
  if (done == NULL) return GetLastError(); /* timed out, or the port is gone */
  if (done != expected || key != 42) return ERROR_INVALID_PARAMETER;
  return ok ? ERROR_SUCCESS : GetLastError();
}

int main(int argc, char** argv) {
  PEERDIST_INSTANCE_HANDLE instance = NULL;
  PEERDIST_STREAM_HANDLE stream = NULL;
  PEERDIST_CONTENTINFO_HANDLE content_info = NULL;
  DWORD supported = 0;
  DWORD error;
  DWORD bytes = 0;
  OVERLAPPED ov;
  HANDLE port;
  HANDLE event;
  FILE* in;
  FILE* out;
  BYTE* piece;
  ULONGLONG total = 0;
  ULONGLONG ci_size = 0;
  PEERDIST_PUBLICATION_OPTIONS options = {PEERDIST_PUBLICATION_OPTIONS_VERSION, 0};

  if (argc != 4) {
    fprintf(stderr, "usage: %s CONTENT_FILE CONTENT_ID CI_OUTPUT_FILE\n", argv[0]);
    return 2;
  }
  in = fopen(argv[1], "rb");
  if (in == NULL) return fail("fopen", 0);
  fseek(in, 0, SEEK_END);
  total = (ULONGLONG)ftell(in);
  fseek(in, 0, SEEK_SET);

  error = PeerDistStartup(PEERDIST_VERSION, &instance, &supported);
  if (error != ERROR_SUCCESS) return fail("PeerDistStartup", error);
  printf("PeerDist API version %u.%u\n", (unsigned)LOBYTE(LOWORD(supported)),
         (unsigned)HIBYTE(LOWORD(supported)));

  port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  if (port == NULL) return fail("CreateIoCompletionPort", GetLastError());

  error = PeerDistServerPublishStream(instance, (DWORD)strlen(argv[2]), (PBYTE)argv[2], total,
                                      &options, port, 42, &stream);
  if (error != ERROR_SUCCESS) return fail("PeerDistServerPublishStream", error);

  piece = (BYTE*)malloc(PIECE_SIZE);
  for (;;) {
    size_t n = fread(piece, 1, PIECE_SIZE, in);
    if (n == 0) break;
    memset(&ov, 0, sizeof ov);
    error = PeerDistServerPublishAddToStream(instance, stream, (DWORD)n, piece, &ov);
    if (error != ERROR_IO_PENDING) return fail("PeerDistServerPublishAddToStream", error);
    error = wait_port(port, &ov, &bytes); /* the buffer is ours again only now */
    if (error != ERROR_SUCCESS) return fail("AddToStream completion", error);
  }
  fclose(in);
  free(piece);

  memset(&ov, 0, sizeof ov);
  error = PeerDistServerPublishCompleteStream(instance, stream, &ov);
  if (error != ERROR_IO_PENDING) return fail("PeerDistServerPublishCompleteStream", error);
  error = wait_port(port, &ov, &bytes);
  if (error != ERROR_SUCCESS) return fail("CompleteStream completion", error);
  PeerDistServerCloseStreamHandle(instance, stream);
  printf("published %llu bytes as \"%s\"\n", (unsigned long long)total, argv[2]);

  /* Read the content information back, in small pieces, through an event. */
  error = PeerDistServerOpenContentInformation(instance, (DWORD)strlen(argv[2]), (PBYTE)argv[2],
                                               0, 0, NULL, 0, &content_info);
  if (error != ERROR_SUCCESS) return fail("PeerDistServerOpenContentInformation", error);
  event = CreateEvent(NULL, TRUE, FALSE, NULL);
  out = fopen(argv[3], "wb");
  if (event == NULL || out == NULL) return fail("CreateEvent/fopen", GetLastError());
  for (;;) {
    BYTE buffer[CI_READ_SIZE];
    memset(&ov, 0, sizeof ov);
    ov.hEvent = event;
    error = PeerDistServerRetrieveContentInformation(instance, content_info, sizeof buffer, buffer,
                                                     &ov);
    if (error != ERROR_IO_PENDING) return fail("PeerDistServerRetrieveContentInformation", error);
    if (WaitForSingleObject(event, 60000) != WAIT_OBJECT_0) return fail("WaitForSingleObject", 0);
    if (!GetOverlappedResult(NULL, &ov, &bytes, FALSE)) {
      error = GetLastError();
      if (error == PEERDIST_ERROR_NO_MORE) break;
      return fail("RetrieveContentInformation completion", error);
    }
    if (((ULONGLONG)ov.OffsetHigh << 32 | ov.Offset) != ci_size) {
      return fail("content information offset", ERROR_INVALID_DATA);
    }
    fwrite(buffer, 1, bytes, out);
    ci_size += bytes;
  }
  fclose(out);
  CloseHandle(event);
  PeerDistServerCloseContentInformation(instance, content_info);
  printf("content information: %llu bytes\n", (unsigned long long)ci_size);

  error = PeerDistServerUnpublish(instance, (DWORD)strlen(argv[2]), (PBYTE)argv[2]);
  if (error != ERROR_SUCCESS) return fail("PeerDistServerUnpublish", error);
  CloseHandle(port);
  error = PeerDistShutdown(instance);
  if (error != ERROR_SUCCESS) return fail("PeerDistShutdown", error);
  return 0;
}
