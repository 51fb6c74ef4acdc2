/*
 * peerdist.h: the Peer Distribution (BranchCache) API of Windows' peerdist.h, for Linux.
 *
 * Same function names, parameter order, struct layouts, numeric constants and return codes as
 * the Windows SDK header (Windows 8 level), so that a Windows program ports with a recompile.
 * Semantics: shared/spec/peerdist-api.md; what this implementation decides where Windows'
 * documentation is silent or contradicts itself: docs/api.md.
 *
 * Every function returns a Win32 error code (PeerDistGetOverlappedResult returns BOOL).
 * Asynchronous functions return ERROR_IO_PENDING and complete later, through the completion
 * port bound to the handle or the OVERLAPPED's event; until then the library owns the
 * OVERLAPPED and the buffers.
 *
 * Plain C (C99 or later) and C++. The Win32 types come from <peerdist_win32.h>; the Win32 calls
 * a program uses around this API (completion ports, events, GetOverlappedResult) from
 * <peerdist_compat.h>, which includes this header.
 */
#ifndef PEERDIST_H
#define PEERDIST_H
/* A C header with Windows names by design. NOLINTBEGIN */

#include "peerdist_win32.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions ------------------------------------------------------------------------------ */

#define PEERDIST_PUBLICATION_OPTIONS_VERSION_1 1L
#define PEERDIST_PUBLICATION_OPTIONS_VERSION_2 2L
#define PEERDIST_PUBLICATION_OPTIONS_VERSION PEERDIST_PUBLICATION_OPTIONS_VERSION_2

/* The API version: low byte major, high byte minor. Windows 7 builds use MAKEWORD(1,0);
 * Windows 8 and later, which this implementation matches, MAKELONG(2,0). */
#define PEERDIST_VERSION (PEERDIST_WIN32_CAST_(DWORD, MAKELONG(2, 0)))

#define PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1 1L
#define PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2 2L
#define PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2

#define PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY 0UL
#define PEERDIST_READ_TIMEOUT_DEFAULT 0xfffffffeUL

/* ---- Linux extensions (not in Windows) ----------------------------------------------------
 * Bits of PEERDIST_PUBLICATION_OPTIONS.dwFlags, which Windows reserves (no flag is defined
 * there, so a Windows program always passes 0 and gets Windows' behaviour). */

/* The publication outlives the instance that made it and restarts of the service, until
 * PeerDistServerUnpublish. Without it, PeerDistShutdown removes it, as on Windows. */
#define PEERDIST_PUBLICATION_FLAG_PERSISTENT 0x00010000UL
/* Produce only these content-information versions (both bits or neither: the service's
 * configured versions). */
#define PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V1 0x00020000UL
#define PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V2 0x00040000UL

/* ---- Handles ------------------------------------------------------------------------------- */

typedef HANDLE PEERDIST_INSTANCE_HANDLE, *PPEERDIST_INSTANCE_HANDLE;
typedef HANDLE PEERDIST_CONTENT_HANDLE, *PPEERDIST_CONTENT_HANDLE;
typedef HANDLE PEERDIST_CONTENTINFO_HANDLE, *PPEERDIST_CONTENTINFO_HANDLE;
typedef HANDLE PEERDIST_STREAM_HANDLE, *PPEERDIST_STREAM_HANDLE;

/* ---- Enums --------------------------------------------------------------------------------- */

typedef enum {
  PEERDIST_STATUS_DISABLED = 0,
  PEERDIST_STATUS_UNAVAILABLE = 1,
  PEERDIST_STATUS_AVAILABLE = 2
} PEERDIST_STATUS;

typedef enum _PEERDIST_CLIENT_INFO_BY_HANDLE_CLASS {
  PeerDistClientBasicInfo = 0,
  MaximumPeerDistClientInfoByHandlesClass = 1
} PEERDIST_CLIENT_INFO_BY_HANDLE_CLASS,
    *PPEERDIST_CLIENT_INFO_BY_HANDLE_CLASS;

/* ---- Structs ------------------------------------------------------------------------------- */

typedef struct peerdist_publication_options_tag {
  DWORD dwVersion;
  DWORD dwFlags;
} PEERDIST_PUBLICATION_OPTIONS, *PPEERDIST_PUBLICATION_OPTIONS;
typedef const PEERDIST_PUBLICATION_OPTIONS* PCPEERDIST_PUBLICATION_OPTIONS;

typedef struct peerdist_content_tag_tag {
  BYTE Data[16];
} PEERDIST_CONTENT_TAG, *PPEERDIST_CONTENT_TAG;
typedef const PEERDIST_CONTENT_TAG* PCPEERDIST_CONTENT_TAG;

typedef struct peerdist_retrieval_options_tag {
  DWORD cbSize;
  DWORD dwContentInfoMinVersion;
  DWORD dwContentInfoMaxVersion;
  DWORD dwReserved;
} PEERDIST_RETRIEVAL_OPTIONS, *PPEERDIST_RETRIEVAL_OPTIONS;
typedef const PEERDIST_RETRIEVAL_OPTIONS* PCPEERDIST_RETRIEVAL_OPTIONS;

typedef struct peerdist_status_info_tag {
  DWORD cbSize;
  PEERDIST_STATUS status;
  DWORD dwMinVer;
  DWORD dwMaxVer;
} PEERDIST_STATUS_INFO, *PPEERDIST_STATUS_INFO;
typedef const PEERDIST_STATUS_INFO* PCPEERDIST_STATUS_INFO;

typedef struct _PEERDIST_CLIENT_BASIC_INFO {
  BOOL fFlashCrowd;
} PEERDIST_CLIENT_BASIC_INFO, *PPEERDIST_CLIENT_BASIC_INFO;

/* ---- General functions --------------------------------------------------------------------- */

DWORD WINAPI PeerDistStartup(DWORD dwVersionRequested, PPEERDIST_INSTANCE_HANDLE phPeerDist,
                             PDWORD pdwSupportedVersion);
DWORD WINAPI PeerDistShutdown(PEERDIST_INSTANCE_HANDLE hPeerDist);
DWORD WINAPI PeerDistGetStatus(PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_STATUS* pPeerDistStatus);
DWORD WINAPI PeerDistGetStatusEx(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                 PEERDIST_STATUS_INFO* pPeerDistStatus);
DWORD WINAPI PeerDistRegisterForStatusChangeNotification(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                         HANDLE hCompletionPort,
                                                         ULONG_PTR ulCompletionKey,
                                                         LPOVERLAPPED lpOverlapped,
                                                         PEERDIST_STATUS* pPeerDistStatus);
DWORD WINAPI PeerDistRegisterForStatusChangeNotificationEx(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                           HANDLE hCompletionPort,
                                                           ULONG_PTR ulCompletionKey,
                                                           LPOVERLAPPED lpOverlapped,
                                                           PEERDIST_STATUS_INFO* pPeerDistStatus);
DWORD WINAPI PeerDistUnregisterForStatusChangeNotification(PEERDIST_INSTANCE_HANDLE hPeerDist);
BOOL WINAPI PeerDistGetOverlappedResult(LPOVERLAPPED lpOverlapped,
                                        LPDWORD lpNumberOfBytesTransferred, BOOL bWait);

/* ---- Server-side functions ----------------------------------------------------------------- */

DWORD WINAPI PeerDistServerPublishStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                         DWORD cbContentIdentifier, PBYTE pContentIdentifier,
                                         ULONGLONG cbContentLength,
                                         PCPEERDIST_PUBLICATION_OPTIONS pPublishOptions,
                                         HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
                                         PPEERDIST_STREAM_HANDLE phStream);
DWORD WINAPI PeerDistServerPublishAddToStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                              PEERDIST_STREAM_HANDLE hStream,
                                              DWORD cbNumberOfBytes, PBYTE pBuffer,
                                              LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistServerPublishCompleteStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                 PEERDIST_STREAM_HANDLE hStream,
                                                 LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistServerCloseStreamHandle(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                             PEERDIST_STREAM_HANDLE hStream);
DWORD WINAPI PeerDistServerUnpublish(PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD cbContentIdentifier,
                                     PBYTE pContentIdentifier);
DWORD WINAPI PeerDistServerOpenContentInformation(
    PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD cbContentIdentifier, PBYTE pContentIdentifier,
    ULONGLONG ullContentOffset, ULONGLONG cbContentLength, HANDLE hCompletionPort,
    ULONG_PTR ulCompletionKey, PPEERDIST_CONTENTINFO_HANDLE phContentInfo);
DWORD WINAPI PeerDistServerOpenContentInformationEx(
    PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD cbContentIdentifier, PBYTE pContentIdentifier,
    ULONGLONG ullContentOffset, ULONGLONG cbContentLength,
    PEERDIST_RETRIEVAL_OPTIONS* pRetrievalOptions, HANDLE hCompletionPort,
    ULONG_PTR ulCompletionKey, PPEERDIST_CONTENTINFO_HANDLE phContentInfo);
DWORD WINAPI PeerDistServerRetrieveContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                      PEERDIST_CONTENTINFO_HANDLE hContentInfo,
                                                      DWORD cbMaxNumberOfBytes, PBYTE pBuffer,
                                                      LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistServerCloseContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                   PEERDIST_CONTENTINFO_HANDLE hContentInfo);
DWORD WINAPI PeerDistServerCancelAsyncOperation(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                DWORD cbContentIdentifier,
                                                PBYTE pContentIdentifier,
                                                LPOVERLAPPED pOverlapped);

/* ---- Client-side functions ----------------------------------------------------------------- */

DWORD WINAPI PeerDistClientOpenContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                       PCPEERDIST_CONTENT_TAG pContentTag, HANDLE hCompletionPort,
                                       ULONG_PTR ulCompletionKey,
                                       PPEERDIST_CONTENT_HANDLE phContentHandle);
DWORD WINAPI PeerDistClientCloseContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                        PEERDIST_CONTENT_HANDLE hContentHandle);
DWORD WINAPI PeerDistClientAddContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                 PEERDIST_CONTENT_HANDLE hContentHandle,
                                                 DWORD cbNumberOfBytes, PBYTE pBuffer,
                                                 LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientCompleteContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                      PEERDIST_CONTENT_HANDLE hContentHandle,
                                                      LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientAddData(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                   PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbNumberOfBytes,
                                   PBYTE pBuffer, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientBlockRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                     PEERDIST_CONTENT_HANDLE hContentHandle,
                                     DWORD cbMaxNumberOfBytes, PBYTE pBuffer,
                                     DWORD dwTimeoutInMilliseconds, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientStreamRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                      PEERDIST_CONTENT_HANDLE hContentHandle,
                                      DWORD cbMaxNumberOfBytes, PBYTE pBuffer,
                                      DWORD dwTimeoutInMilliseconds, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientFlushContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                        PCPEERDIST_CONTENT_TAG pContentTag, HANDLE hCompletionPort,
                                        ULONG_PTR ulCompletionKey, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientCancelAsyncOperation(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                PEERDIST_CONTENT_HANDLE hContentHandle,
                                                LPOVERLAPPED pOverlapped);
DWORD WINAPI PeerDistClientGetInformationByHandle(
    PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_CONTENT_HANDLE hContentHandle,
    PEERDIST_CLIENT_INFO_BY_HANDLE_CLASS PeerDistClientInfoClass, DWORD dwBufferSize,
    LPVOID lpInformation);

#ifdef __cplusplus
}
#endif

/* NOLINTEND */
#endif /* PEERDIST_H */
