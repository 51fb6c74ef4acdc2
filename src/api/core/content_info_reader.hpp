// A content-information handle (PeerDistServerOpenContentInformation(Ex)): the daemon's reader
// id, the port and key its Retrieve completions go to, and its one Retrieve in flight.
#pragma once

#include <peerdist_win32.h>

#include <cstdint>
#include <memory>

#include "peerdist/api/handle_table.hpp"
#include "peerdist/ipc/messages.hpp"

namespace peerdist::api {

class InstanceObject;
class RetrieveOperation;

class ContentInfoObject final : public HandleObject {
 public:
  static constexpr HandleKind kKind = HandleKind::peerdist_content_info;

  ContentInfoObject(const InstanceObject* owning_instance, std::uint64_t connection,
                    std::uint64_t id, std::shared_ptr<const ipc::Blob> content,
                    HANDLE completion_port, ULONG_PTR completion_key) noexcept
      : HandleObject(kKind),
        owner(owning_instance),
        connection_id(connection),
        daemon_id(id),
        content_id(std::move(content)),
        port(completion_port),
        key(completion_key) {}

  const InstanceObject* const owner;  // identity only
  const std::uint64_t connection_id;
  const std::uint64_t daemon_id;
  const std::shared_ptr<const ipc::Blob> content_id;
  HANDLE port;  // set at creation, never changed
  const ULONG_PTR key;

  // Guarded by the owning instance's mutex.
  HANDLE handle = nullptr;
  bool invalidated = false;
  bool closed = false;  // the application closed it (C++ objects may still hold it)
  // One Retrieve in flight: the read position is implicit (docs/api.md, spec Q11).
  std::shared_ptr<RetrieveOperation> retrieving;
};

}  // namespace peerdist::api
