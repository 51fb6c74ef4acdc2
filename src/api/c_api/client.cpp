// The client-side functions of peerdist.h (spec §2.3): the synchronous checks, then the instance
// does the rest. The order of the checks is the server side's: the instance handle, then the
// parameters (ERROR_INVALID_PARAMETER), then the object handles (ERROR_INVALID_HANDLE).
#include <peerdist.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>
#include <span>
#include <tuple>

#include "peerdist/ipc/messages.hpp"

#include "c_api/entry.hpp"
#include "core/completer.hpp"
#include "core/instance.hpp"

namespace {

using peerdist::api::Completer;
using peerdist::api::guarded;
using peerdist::api::InstanceObject;
using peerdist::api::lookup_instance;

peerdist::ipc::ContentTag tag_of(const PEERDIST_CONTENT_TAG& tag) {
  peerdist::ipc::ContentTag out{};
  static_assert(sizeof tag.Data == std::tuple_size_v<peerdist::ipc::ContentTag>);
  std::copy(std::begin(tag.Data), std::end(tag.Data), out.begin());
  return out;
}

// NOLINTBEGIN(cppcoreguidelines-pro-type-union-access): OVERLAPPED is Windows' layout
// spec §1.3: Offset/OffsetHigh are reserved and must be 0 on input for AddContentInformation,
// CompleteContentInformation and FlushContent.
bool offset_is_zero(const OVERLAPPED& overlapped) {
  return overlapped.Offset == 0 && overlapped.OffsetHigh == 0;
}
// ... and carry the content offset for AddData and BlockRead.
std::uint64_t offset_of(const OVERLAPPED& overlapped) {
  return (static_cast<std::uint64_t>(overlapped.OffsetHigh) << 32U) | overlapped.Offset;
}
// NOLINTEND(cppcoreguidelines-pro-type-union-access)

// spec §2.3: pBuffer may be NULL only with a zero size.
bool valid_buffer(DWORD size, const BYTE* buffer) {
  return buffer != nullptr || size == 0;
}

// The checks common to BlockRead and StreamRead; `offset` is set for BlockRead.
DWORD read(PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_CONTENT_HANDLE hContentHandle,
           DWORD cbMaxNumberOfBytes, PBYTE pBuffer, DWORD dwTimeoutInMilliseconds,
           LPOVERLAPPED lpOverlapped, bool block) {
  const auto instance = lookup_instance(hPeerDist);
  if (instance == nullptr) return ERROR_INVALID_HANDLE;
  if (lpOverlapped == nullptr || !valid_buffer(cbMaxNumberOfBytes, pBuffer)) {
    return ERROR_INVALID_PARAMETER;
  }
  const auto content = instance->content(hContentHandle);
  if (content == nullptr) return ERROR_INVALID_HANDLE;
  InstanceObject::ReadRequest request{.offset = std::nullopt,
                                      .buffer = pBuffer,
                                      .capacity = cbMaxNumberOfBytes,
                                      .timeout_ms = dwTimeoutInMilliseconds};
  // StreamRead ignores the input offset: the stream position is the handle's (spec §2.3).
  if (block) request.offset = offset_of(*lpOverlapped);
  return instance->read(content, request,
                        Completer(lpOverlapped, content->port, content->key, true));
}

}  // namespace

extern "C" {

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientOpenContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                         PCPEERDIST_CONTENT_TAG pContentTag,
                                                         HANDLE hCompletionPort,
                                                         ULONG_PTR ulCompletionKey,
                                                         PPEERDIST_CONTENT_HANDLE phContentHandle) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (pContentTag == nullptr || phContentHandle == nullptr) return ERROR_INVALID_PARAMETER;
    if (!peerdist::api::valid_port(hCompletionPort)) return ERROR_INVALID_HANDLE;
    std::shared_ptr<peerdist::api::ContentObject> content;
    const DWORD error =
        instance->open_content(tag_of(*pContentTag), hCompletionPort, ulCompletionKey, content);
    if (error == ERROR_SUCCESS) *phContentHandle = content->handle;
    return error;
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientCloseContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                          PEERDIST_CONTENT_HANDLE hContentHandle) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    return instance->close_content(hContentHandle);
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientAddContentInformation(
    PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_CONTENT_HANDLE hContentHandle,
    DWORD cbNumberOfBytes, PBYTE pBuffer, LPOVERLAPPED lpOverlapped) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (lpOverlapped == nullptr || !valid_buffer(cbNumberOfBytes, pBuffer) ||
        !offset_is_zero(*lpOverlapped)) {
      return ERROR_INVALID_PARAMETER;
    }
    const auto content = instance->content(hContentHandle);
    if (content == nullptr) return ERROR_INVALID_HANDLE;
    return instance->add_content_information(
        content, std::span<const std::uint8_t>(pBuffer, cbNumberOfBytes), {},
        Completer(lpOverlapped, content->port, content->key, true));
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientCompleteContentInformation(
    PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_CONTENT_HANDLE hContentHandle,
    LPOVERLAPPED lpOverlapped) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (lpOverlapped == nullptr || !offset_is_zero(*lpOverlapped)) return ERROR_INVALID_PARAMETER;
    const auto content = instance->content(hContentHandle);
    if (content == nullptr) return ERROR_INVALID_HANDLE;
    return instance->complete_content_information(
        content, Completer(lpOverlapped, content->port, content->key, true));
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientAddData(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                     PEERDIST_CONTENT_HANDLE hContentHandle,
                                                     DWORD cbNumberOfBytes, PBYTE pBuffer,
                                                     LPOVERLAPPED lpOverlapped) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (lpOverlapped == nullptr || !valid_buffer(cbNumberOfBytes, pBuffer)) {
      return ERROR_INVALID_PARAMETER;
    }
    const auto content = instance->content(hContentHandle);
    if (content == nullptr) return ERROR_INVALID_HANDLE;
    // The completion leaves Offset/OffsetHigh as the caller set them (spec §1.3: the input is
    // the data's offset; nothing is documented on completion).
    return instance->add_data(content, offset_of(*lpOverlapped),
                              std::span<const std::uint8_t>(pBuffer, cbNumberOfBytes), {},
                              Completer(lpOverlapped, content->port, content->key, false));
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientBlockRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                       PEERDIST_CONTENT_HANDLE hContentHandle,
                                                       DWORD cbMaxNumberOfBytes, PBYTE pBuffer,
                                                       DWORD dwTimeoutInMilliseconds,
                                                       LPOVERLAPPED lpOverlapped) {
  return guarded([&]() -> DWORD {
    return read(hPeerDist, hContentHandle, cbMaxNumberOfBytes, pBuffer, dwTimeoutInMilliseconds,
                lpOverlapped, true);
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientStreamRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                        PEERDIST_CONTENT_HANDLE hContentHandle,
                                                        DWORD cbMaxNumberOfBytes, PBYTE pBuffer,
                                                        DWORD dwTimeoutInMilliseconds,
                                                        LPOVERLAPPED lpOverlapped) {
  return guarded([&]() -> DWORD {
    return read(hPeerDist, hContentHandle, cbMaxNumberOfBytes, pBuffer, dwTimeoutInMilliseconds,
                lpOverlapped, false);
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientFlushContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                          PCPEERDIST_CONTENT_TAG pContentTag,
                                                          HANDLE hCompletionPort,
                                                          ULONG_PTR ulCompletionKey,
                                                          LPOVERLAPPED lpOverlapped) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (pContentTag == nullptr || lpOverlapped == nullptr || !offset_is_zero(*lpOverlapped)) {
      return ERROR_INVALID_PARAMETER;
    }
    if (!peerdist::api::valid_port(hCompletionPort)) return ERROR_INVALID_HANDLE;
    // No handle to inherit a port from: this call's own (spec §1.2).
    return instance->flush_content(tag_of(*pContentTag),
                                   Completer(lpOverlapped, hCompletionPort, ulCompletionKey, true));
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientCancelAsyncOperation(
    PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_CONTENT_HANDLE hContentHandle,
    LPOVERLAPPED pOverlapped) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    const auto content = instance->content(hContentHandle);
    if (content == nullptr) return ERROR_INVALID_HANDLE;
    // pOverlapped NULL: every operation on the handle (spec §2.3).
    return instance->cancel_content(content, pOverlapped);
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistClientGetInformationByHandle(
    PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_CONTENT_HANDLE hContentHandle,
    PEERDIST_CLIENT_INFO_BY_HANDLE_CLASS PeerDistClientInfoClass, DWORD dwBufferSize,
    LPVOID lpInformation) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    // spec Q22: only PeerDistClientBasicInfo exists; MaximumPeerDistClientInfoByHandlesClass
    // and anything else is a bad parameter, as is a NULL buffer.
    if (PeerDistClientInfoClass != PeerDistClientBasicInfo || lpInformation == nullptr) {
      return ERROR_INVALID_PARAMETER;
    }
    // spec Q22: a buffer too small for the class's structure.
    if (dwBufferSize < sizeof(PEERDIST_CLIENT_BASIC_INFO)) return ERROR_INSUFFICIENT_BUFFER;
    const auto content = instance->content(hContentHandle);
    if (content == nullptr) return ERROR_INVALID_HANDLE;
    PEERDIST_CLIENT_BASIC_INFO info{};
    const DWORD error = instance->client_basic_info(content, info);
    // Written only on success: the caller's buffer is theirs (a plain memcpy, since Windows
    // does not promise its alignment).
    if (error == ERROR_SUCCESS) std::memcpy(lpInformation, &info, sizeof info);
    return error;
  });
}

}  // extern "C"
