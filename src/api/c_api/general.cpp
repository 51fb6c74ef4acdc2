// The general functions of peerdist.h (spec §2.1), as docs/api.md decides them.
#include <peerdist_compat.h>

#include "peerdist/api/handle_table.hpp"

#include "c_api/entry.hpp"
#include "core/completer.hpp"
#include "core/instance.hpp"

namespace {

using peerdist::api::guarded;
using peerdist::api::lookup_instance;

// spec Q15: the caller sets cbSize; anything smaller than the struct is refused.
constexpr DWORD kStatusInfoSize = sizeof(PEERDIST_STATUS_INFO);

}  // namespace

extern "C" {

PEERDIST_C_EXPORT DWORD WINAPI PeerDistStartup(DWORD dwVersionRequested,
                                               PPEERDIST_INSTANCE_HANDLE phPeerDist,
                                               PDWORD pdwSupportedVersion) {
  return guarded([&]() -> DWORD {
    if (phPeerDist == nullptr) return ERROR_INVALID_PARAMETER;
    auto instance = peerdist::api::InstanceObject::start(dwVersionRequested);
    if (!instance) {
      if (pdwSupportedVersion != nullptr) *pdwSupportedVersion = PEERDIST_VERSION;
      return instance.error();
    }
    *phPeerDist = (*instance)->handle();
    if (pdwSupportedVersion != nullptr) *pdwSupportedVersion = (*instance)->supported_version();
    return ERROR_SUCCESS;
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistShutdown(PEERDIST_INSTANCE_HANDLE hPeerDist) {
  return guarded([&]() -> DWORD {
    // Out of the table first: from now on every call with this handle is ERROR_INVALID_HANDLE,
    // and of two concurrent Shutdowns only one gets the instance.
    const auto instance =
        peerdist::api::handle_table().remove<peerdist::api::InstanceObject>(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    return instance->shutdown();
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistGetStatus(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                 PEERDIST_STATUS* pPeerDistStatus) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (pPeerDistStatus == nullptr) return ERROR_INVALID_PARAMETER;
    PEERDIST_STATUS_INFO info{};
    const DWORD error = instance->get_status(info);
    if (error == ERROR_SUCCESS) *pPeerDistStatus = info.status;
    return error;
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistGetStatusEx(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                   PEERDIST_STATUS_INFO* pPeerDistStatus) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (pPeerDistStatus == nullptr || pPeerDistStatus->cbSize < kStatusInfoSize) {
      return ERROR_INVALID_PARAMETER;
    }
    PEERDIST_STATUS_INFO info{};
    const DWORD error = instance->get_status(info);
    if (error == ERROR_SUCCESS) {
      pPeerDistStatus->status = info.status;
      pPeerDistStatus->dwMinVer = info.dwMinVer;
      pPeerDistStatus->dwMaxVer = info.dwMaxVer;
    }
    return error;
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistRegisterForStatusChangeNotification(
    PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
    LPOVERLAPPED lpOverlapped, PEERDIST_STATUS* pPeerDistStatus) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (lpOverlapped == nullptr || pPeerDistStatus == nullptr) return ERROR_INVALID_PARAMETER;
    if (!peerdist::api::valid_port(hCompletionPort)) return ERROR_INVALID_HANDLE;
    return instance->register_status(
        peerdist::api::Completer(lpOverlapped, hCompletionPort, ulCompletionKey, false),
        pPeerDistStatus, nullptr);
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistRegisterForStatusChangeNotificationEx(
    PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
    LPOVERLAPPED lpOverlapped, PEERDIST_STATUS_INFO* pPeerDistStatus) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (lpOverlapped == nullptr || pPeerDistStatus == nullptr ||
        pPeerDistStatus->cbSize < kStatusInfoSize) {
      return ERROR_INVALID_PARAMETER;
    }
    if (!peerdist::api::valid_port(hCompletionPort)) return ERROR_INVALID_HANDLE;
    // Async like the non-Ex form (spec Q1).
    return instance->register_status(
        peerdist::api::Completer(lpOverlapped, hCompletionPort, ulCompletionKey, false), nullptr,
        pPeerDistStatus);
  });
}

PEERDIST_C_EXPORT DWORD WINAPI
PeerDistUnregisterForStatusChangeNotification(PEERDIST_INSTANCE_HANDLE hPeerDist) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    return instance->unregister_status();
  });
}

PEERDIST_C_EXPORT BOOL WINAPI PeerDistGetOverlappedResult(LPOVERLAPPED lpOverlapped,
                                                          LPDWORD lpNumberOfBytesTransferred,
                                                          BOOL bWait) {
  // Everything is in the OVERLAPPED (spec §2.1: no instance handle), which is exactly what the
  // compat GetOverlappedResult works from.
  return GetOverlappedResult(nullptr, lpOverlapped, lpNumberOfBytesTransferred, bWait);
}

}  // extern "C"
