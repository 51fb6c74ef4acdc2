// A content handle (PeerDistClientOpenContent): the daemon's content id, the tag it was opened
// with, the port and key its completions go to (spec §1.2: AddContentInformation,
// CompleteContentInformation, AddData, BlockRead, StreamRead), and its pending operations, which
// PeerDistClientCancelAsyncOperation and PeerDistClientCloseContent find here.
#pragma once

#include <peerdist_win32.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "peerdist/api/handle_table.hpp"
#include "peerdist/ipc/messages.hpp"

namespace peerdist::api {

class InstanceObject;
class Operation;

class ContentObject final : public HandleObject {
 public:
  static constexpr HandleKind kKind = HandleKind::peerdist_content;

  ContentObject(const InstanceObject* owning_instance, std::uint64_t connection, std::uint64_t id,
                const ipc::ContentTag& content_tag, HANDLE completion_port,
                ULONG_PTR completion_key) noexcept
      : HandleObject(kKind),
        owner(owning_instance),
        connection_id(connection),
        daemon_id(id),
        tag(content_tag),
        port(completion_port),
        key(completion_key) {}

  const InstanceObject* const owner;  // identity only
  const std::uint64_t connection_id;
  const std::uint64_t daemon_id;
  const ipc::ContentTag tag;
  HANDLE port;  // set at creation, never changed
  const ULONG_PTR key;

  // Guarded by the owning instance's mutex.
  HANDLE handle = nullptr;
  bool invalidated = false;
  bool closed = false;  // the application closed it (C++ objects may still hold it)
  // Every operation started on the handle and not finished yet (reads may be many).
  std::vector<std::shared_ptr<Operation>> operations;
  // spec §2.3: one AddContentInformation in flight per handle; Complete waits for it too.
  std::shared_ptr<Operation> adding_content_information;
  std::shared_ptr<Operation> completing;
};

}  // namespace peerdist::api
