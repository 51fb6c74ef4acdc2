// The asynchronous operations that are one request each: CompleteStream,
// RetrieveContentInformation, and on the client side CompleteContentInformation, FlushContent
// (plain RequestOperations) and the reads. The daemon's Result completes them (docs/ipc.md rule 2:
// status -> Internal, bytes -> InternalHigh, value -> Offset/OffsetHigh).
#pragma once

#include <atomic>
#include <cstdint>

#include "core/operation.hpp"
#include "core/request_table.hpp"

namespace peerdist::api {

// An operation carried by a single request.
class RequestOperation : public Operation, public ResultHandler {
 public:
  using Operation::Operation;

  // The request carrying it (for ipc::Cancel); 0 until sent.
  [[nodiscard]] std::uint64_t request_id() const noexcept {
    return request_id_.load(std::memory_order_acquire);
  }
  void set_request(std::uint64_t connection_id, std::uint64_t request_id) noexcept;

  void on_result(ipc::Result&& result) noexcept override;
  // The instance has already ended it with PEERDIST_ERROR_INVALIDATED (docs/api.md, "handles
  // after disable"); this is only the safety net.
  void on_connection_lost() noexcept override;

 private:
  std::atomic<std::uint64_t> request_id_{0};
};

class CompleteStreamOperation final : public RequestOperation {
 public:
  CompleteStreamOperation(std::weak_ptr<InstanceObject> instance, std::uint64_t connection_id,
                          std::shared_ptr<const ipc::Blob> content_id, Completer completer)
      : RequestOperation(OperationKind::complete_stream, std::move(instance), connection_id,
                         std::move(content_id), std::move(completer)) {}
};

// Copies Result.data into the caller's buffer before completing (the buffer belongs to the
// library until then, spec §1.2), and never after the operation has ended another way.
class RetrieveOperation final : public RequestOperation {
 public:
  RetrieveOperation(std::weak_ptr<InstanceObject> instance, std::uint64_t connection_id,
                    std::shared_ptr<const ipc::Blob> content_id, Completer completer,
                    std::uint8_t* buffer, DWORD capacity)
      : RequestOperation(OperationKind::retrieve_content_information, std::move(instance),
                         connection_id, std::move(content_id), std::move(completer)),
        buffer_(buffer),
        capacity_(capacity) {}

  void on_result(ipc::Result&& result) noexcept override;

 private:
  std::uint8_t* const buffer_;
  const DWORD capacity_;
};

// A BlockRead or StreamRead (spec §2.3). Like a Retrieve it copies Result.data into the
// caller's buffer before completing, and never after the operation has ended another way. Unlike
// every other operation, two failures carry values too (docs/ipc.md, BlockRead): MISSING_DATA and
// ERROR_TIMEOUT report the missing range in Offset/OffsetHigh and the byte count (spec Q3).
class ReadOperation final : public RequestOperation {
 public:
  ReadOperation(OperationKind kind, std::weak_ptr<InstanceObject> instance,
                std::uint64_t connection_id, Completer completer, std::uint8_t* buffer,
                DWORD capacity)
      : RequestOperation(kind, std::move(instance), connection_id, nullptr, std::move(completer)),
        buffer_(buffer),
        capacity_(capacity) {}

  void on_result(ipc::Result&& result) noexcept override;

 private:
  std::uint8_t* const buffer_;
  const DWORD capacity_;  // 0: a query, answered with a count and no data
};

}  // namespace peerdist::api
