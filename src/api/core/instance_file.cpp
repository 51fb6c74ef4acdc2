// InstanceObject::add_file_to_stream: publishing a file the daemon reads itself (a Linux
// extension of the local protocol, docs/ipc.md "File pieces"), for the C++ publish_file.
#include "core/add_operation.hpp"
#include "core/instance.hpp"

namespace peerdist::api {

DWORD InstanceObject::add_file_to_stream(const std::shared_ptr<StreamObject>& stream,
                                         std::shared_ptr<const ipc::UniqueFd> fd,
                                         std::uint64_t offset, std::uint64_t length,
                                         Completer completer) {
  std::shared_ptr<AddOperation> operation;
  std::shared_ptr<Connection> connection;
  {
    // The rules of add_to_stream (C++, queued adds allowed).
    const std::lock_guard lock(mutex_);
    if (const DWORD refused = refuse_add(*stream); refused != ERROR_SUCCESS) return refused;
    if (fd == nullptr || !*fd) return ERROR_INVALID_PARAMETER;
    if (!current_locked(stream->connection_id)) return PEERDIST_ERROR_INVALIDATED;
    connection = connection_;
    completer.begin();
    // Queued adds are one long call (no piece ends it), as in add_to_stream.
    const std::uint64_t daemon_stream = stream->daemon_id;
    operation = std::make_shared<AddOperation>(
        OperationKind::add_to_stream, weak_from_this(), connection->id(), stream->content_id,
        std::move(completer),
        [daemon_stream](std::uint64_t /*at*/, bool /*last*/, std::uint64_t file_offset,
                        std::uint32_t piece) {
          return ipc::AddFileToStream{
              .stream = daemon_stream, .last_piece = false, .offset = file_offset, .length = piece};
        },
        AddOperation::FileRange{std::move(fd), offset, length});
    stream->adds.push_back(operation);
    operations_.push_back(operation);
  }
  connection->enqueue(operation);
  return ERROR_IO_PENDING;
}

}  // namespace peerdist::api
