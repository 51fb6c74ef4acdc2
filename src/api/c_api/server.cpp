// The server-side functions of peerdist.h (spec §2.2): the synchronous checks of docs/api.md,
// then the instance does the rest.
#include <peerdist.h>

#include <optional>
#include <span>

#include "peerdist/ipc/messages.hpp"

#include "c_api/entry.hpp"
#include "core/completer.hpp"
#include "core/instance.hpp"

namespace {

using peerdist::api::Completer;
using peerdist::api::guarded;
using peerdist::api::InstanceObject;
using peerdist::api::lookup_instance;

// docs/api.md: identifiers are 1..65536 bytes (the protocol's cap, docs/ipc.md).
bool valid_identifier(DWORD size, const BYTE* data) {
  return data != nullptr && size >= peerdist::ipc::kMinContentIdSize &&
         size <= peerdist::ipc::kMaxContentIdSize;
}

std::span<const std::uint8_t> identifier(DWORD size, const BYTE* data) {
  return {data, size};
}

// spec §1.3 and Q4: Offset/OffsetHigh are reserved and must be 0 on input for AddToStream,
// CompleteStream and RetrieveContentInformation.
bool offset_is_zero(const OVERLAPPED& overlapped) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access): OVERLAPPED is Windows' layout
  return overlapped.Offset == 0 && overlapped.OffsetHigh == 0;
}

constexpr DWORD kRetrievalOptionsSize = sizeof(PEERDIST_RETRIEVAL_OPTIONS);

}  // namespace

extern "C" {

PEERDIST_C_EXPORT DWORD WINAPI PeerDistServerPublishStream(
    PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD cbContentIdentifier, PBYTE pContentIdentifier,
    ULONGLONG cbContentLength, PCPEERDIST_PUBLICATION_OPTIONS pPublishOptions,
    HANDLE hCompletionPort, ULONG_PTR ulCompletionKey, PPEERDIST_STREAM_HANDLE phStream) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (!valid_identifier(cbContentIdentifier, pContentIdentifier) || phStream == nullptr) {
      return ERROR_INVALID_PARAMETER;
    }
    if (!peerdist::api::valid_port(hCompletionPort)) return ERROR_INVALID_HANDLE;
    std::optional<InstanceObject::PublishOptions> options;
    if (pPublishOptions != nullptr) {
      options = InstanceObject::PublishOptions{.version = pPublishOptions->dwVersion,
                                               .flags = pPublishOptions->dwFlags};
    }
    std::shared_ptr<peerdist::api::StreamObject> stream;
    const DWORD error = instance->publish_stream(
        identifier(cbContentIdentifier, pContentIdentifier), cbContentLength, options,
        hCompletionPort, ulCompletionKey, stream);
    if (error == ERROR_SUCCESS) *phStream = stream->handle;
    return error;
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistServerPublishAddToStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                                PEERDIST_STREAM_HANDLE hStream,
                                                                DWORD cbNumberOfBytes,
                                                                PBYTE pBuffer,
                                                                LPOVERLAPPED lpOverlapped) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (lpOverlapped == nullptr || (pBuffer == nullptr && cbNumberOfBytes != 0) ||
        !offset_is_zero(*lpOverlapped)) {
      return ERROR_INVALID_PARAMETER;
    }
    const auto stream = instance->stream(hStream);
    if (stream == nullptr) return ERROR_INVALID_HANDLE;
    return instance->add_to_stream(stream, std::span<const std::uint8_t>(pBuffer, cbNumberOfBytes),
                                   {}, Completer(lpOverlapped, stream->port, stream->key, true),
                                   false);
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistServerPublishCompleteStream(
    PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_STREAM_HANDLE hStream, LPOVERLAPPED lpOverlapped) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (lpOverlapped == nullptr || !offset_is_zero(*lpOverlapped)) return ERROR_INVALID_PARAMETER;
    const auto stream = instance->stream(hStream);
    if (stream == nullptr) return ERROR_INVALID_HANDLE;
    return instance->complete_stream(stream,
                                     Completer(lpOverlapped, stream->port, stream->key, true));
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistServerCloseStreamHandle(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                               PEERDIST_STREAM_HANDLE hStream) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    return instance->close_stream(hStream);
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistServerUnpublish(PEERDIST_INSTANCE_HANDLE hPeerDist,
                                                       DWORD cbContentIdentifier,
                                                       PBYTE pContentIdentifier) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (!valid_identifier(cbContentIdentifier, pContentIdentifier)) return ERROR_INVALID_PARAMETER;
    return instance->unpublish(identifier(cbContentIdentifier, pContentIdentifier));
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistServerOpenContentInformation(
    PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD cbContentIdentifier, PBYTE pContentIdentifier,
    ULONGLONG ullContentOffset, ULONGLONG cbContentLength, HANDLE hCompletionPort,
    ULONG_PTR ulCompletionKey, PPEERDIST_CONTENTINFO_HANDLE phContentInfo) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (!valid_identifier(cbContentIdentifier, pContentIdentifier) || phContentInfo == nullptr) {
      return ERROR_INVALID_PARAMETER;
    }
    if (!peerdist::api::valid_port(hCompletionPort)) return ERROR_INVALID_HANDLE;
    std::shared_ptr<peerdist::api::ContentInfoObject> reader;
    const DWORD error = instance->open_content_information(
        identifier(cbContentIdentifier, pContentIdentifier), ullContentOffset, cbContentLength,
        std::nullopt, hCompletionPort, ulCompletionKey, reader);
    if (error == ERROR_SUCCESS) *phContentInfo = reader->handle;
    return error;
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistServerOpenContentInformationEx(
    PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD cbContentIdentifier, PBYTE pContentIdentifier,
    ULONGLONG ullContentOffset, ULONGLONG cbContentLength,
    PEERDIST_RETRIEVAL_OPTIONS* pRetrievalOptions, HANDLE hCompletionPort,
    ULONG_PTR ulCompletionKey, PPEERDIST_CONTENTINFO_HANDLE phContentInfo) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (!valid_identifier(cbContentIdentifier, pContentIdentifier) || phContentInfo == nullptr ||
        pRetrievalOptions == nullptr) {
      return ERROR_INVALID_PARAMETER;
    }
    // docs/api.md: cbSize < 16 or min > max is ERROR_INVALID_PARAMETER.
    if (pRetrievalOptions->cbSize < kRetrievalOptionsSize ||
        pRetrievalOptions->dwContentInfoMinVersion > pRetrievalOptions->dwContentInfoMaxVersion) {
      return ERROR_INVALID_PARAMETER;
    }
    if (!peerdist::api::valid_port(hCompletionPort)) return ERROR_INVALID_HANDLE;
    std::shared_ptr<peerdist::api::ContentInfoObject> reader;
    const DWORD error = instance->open_content_information(
        identifier(cbContentIdentifier, pContentIdentifier), ullContentOffset, cbContentLength,
        InstanceObject::VersionRange{.min = pRetrievalOptions->dwContentInfoMinVersion,
                                     .max = pRetrievalOptions->dwContentInfoMaxVersion},
        hCompletionPort, ulCompletionKey, reader);
    if (error == ERROR_SUCCESS) *phContentInfo = reader->handle;
    return error;
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistServerRetrieveContentInformation(
    PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_CONTENTINFO_HANDLE hContentInfo,
    DWORD cbMaxNumberOfBytes, PBYTE pBuffer, LPOVERLAPPED lpOverlapped) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    // A zero-byte buffer could never receive anything; refused like a NULL one.
    if (lpOverlapped == nullptr || pBuffer == nullptr || cbMaxNumberOfBytes == 0 ||
        !offset_is_zero(*lpOverlapped)) {
      return ERROR_INVALID_PARAMETER;
    }
    const auto reader = instance->content_info(hContentInfo);
    if (reader == nullptr) return ERROR_INVALID_HANDLE;
    return instance->retrieve(reader, pBuffer, cbMaxNumberOfBytes,
                              Completer(lpOverlapped, reader->port, reader->key, true));
  });
}

PEERDIST_C_EXPORT DWORD WINAPI PeerDistServerCloseContentInformation(
    PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_CONTENTINFO_HANDLE hContentInfo) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    return instance->close_content_information(hContentInfo);
  });
}

PEERDIST_C_EXPORT DWORD WINAPI
PeerDistServerCancelAsyncOperation(PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD cbContentIdentifier,
                                   PBYTE pContentIdentifier, LPOVERLAPPED pOverlapped) {
  return guarded([&]() -> DWORD {
    const auto instance = lookup_instance(hPeerDist);
    if (instance == nullptr) return ERROR_INVALID_HANDLE;
    if (!valid_identifier(cbContentIdentifier, pContentIdentifier) || pOverlapped == nullptr) {
      return ERROR_INVALID_PARAMETER;
    }
    return instance->cancel(identifier(cbContentIdentifier, pContentIdentifier), pOverlapped);
  });
}

}  // extern "C"
