// One API instance: what PeerDistStartup creates and PeerDistShutdown ends, i.e. one client
// connection. It holds the instance's stream and content-information handles and its pending
// asynchronous operations, and implements every server-side request of docs/api.md on them.
//
// Threading: every member function runs on the service's executor (the network thread), and
// so does every ReplyHandler. What may block, hashing, fsync and SQLite, is posted to the
// service's hashing pool or catalog thread, which post their results back; those results find
// the instance through a weak pointer, so an instance that ended meanwhile is simply not told.
//
// Replies: each request's handler is called exactly once. For a synchronous request (all but
// AddToStream, CompleteStream, RegisterStatusNotification and RetrieveContentInformation) the
// caller must wait for it before making the next request (docs/ipc.md, rule 3); the session
// does. A request that ends others (Cancel, CloseStream, Unpublish, Unregister..., Shutdown)
// calls their handlers before its own (rule 4).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "peerdist/ipc/messages.hpp"
#include "peerdist/ipc/shared_buffer.hpp"
#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/service/client_content.hpp"
#include "peerdist/service/content_info.hpp"
#include "peerdist/service/file_window.hpp"
#include "peerdist/service/pending_operation.hpp"
#include "peerdist/service/reply.hpp"
#include "peerdist/service/reservations.hpp"
#include "peerdist/service/service_status.hpp"
#include "peerdist/service/stream.hpp"

namespace peerdist::service {

class PublicationService;

class Instance : public std::enable_shared_from_this<Instance> {
 public:
  // Told of every change of the service status or CI versions, before any Result that
  // reflects it (docs/ipc.md, rule 6): the session sends StatusChanged.
  using StatusListener = std::function<void(const ServiceStatus&)>;

  // Made by PublicationService::create_instance; must not outlive the service.
  Instance(PublicationService& service, std::uint64_t id, std::uint32_t uid,
           std::shared_ptr<const ipc::SharedBuffer> shared, StatusListener listener);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  [[nodiscard]] std::uint32_t uid() const noexcept { return uid_; }
  [[nodiscard]] std::size_t handle_count() const noexcept {
    return streams_.size() + readers_.size() + contents_.size();
  }
  [[nodiscard]] std::size_t pending_count() const noexcept { return pending_.size(); }

  // General.
  [[nodiscard]] Reply get_status() const;
  void register_status_notification(std::uint64_t request_id, std::uint32_t baseline,
                                    ReplyHandler reply);
  void unregister_status_notification(ReplyHandler reply);
  void cancel(std::uint64_t target_request_id, ReplyHandler reply);
  // PeerDistShutdown: ends the pending operations (ERROR_OPERATION_ABORTED), closes every
  // handle, removes the instance's non-persistent publications, then replies. Operations that
  // were already committing to the catalog complete first.
  void shutdown(ReplyHandler reply);
  // The connection is gone: the same as shutdown, with nobody left to answer.
  void end() { shutdown(nullptr); }

  // Server side.
  void publish_stream(const ipc::PublishStream& request, ReplyHandler reply);
  void add_to_stream(std::uint64_t request_id, ipc::AddToStream request, ReplyHandler reply);
  // Linux extension: a piece read from the client's file `fd` came with (docs/ipc.md).
  void add_file_to_stream(std::uint64_t request_id, const ipc::AddFileToStream& request,
                          ipc::UniqueFd fd, ReplyHandler reply);
  void complete_stream(std::uint64_t request_id, std::uint64_t stream, ReplyHandler reply);
  void close_stream(std::uint64_t stream, ReplyHandler reply);
  void unpublish(const std::vector<std::uint8_t>& content_id, ReplyHandler reply);
  void open_content_information(const ipc::OpenContentInformation& request, ReplyHandler reply);
  void retrieve_content_information(std::uint64_t content_info, std::uint32_t max_bytes,
                                    ReplyHandler reply);
  void close_content_information(std::uint64_t content_info, ReplyHandler reply);

  // Client side (docs/distributed-cache.md), in instance_client.cpp: each content handle is a
  // ClientContent; asynchronous requests are registered for Cancel and end through it.
  void open_content(const ipc::OpenContent& request, ReplyHandler reply);
  void close_content(std::uint64_t content, ReplyHandler reply);
  void add_content_information(std::uint64_t request_id, ipc::AddContentInformation request,
                               ReplyHandler reply);
  void complete_content_information(std::uint64_t request_id, std::uint64_t content,
                                    ReplyHandler reply);
  void add_data(std::uint64_t request_id, ipc::AddData request, ReplyHandler reply);
  void block_read(std::uint64_t request_id, const ipc::BlockRead& request, ReplyHandler reply);
  void stream_read(std::uint64_t request_id, const ipc::StreamRead& request, ReplyHandler reply);
  void flush_content(std::uint64_t request_id, const ipc::FlushContent& request,
                     ReplyHandler reply);
  void get_client_information(const ipc::GetClientInformation& request, ReplyHandler reply);
  // Linux extensions: the data cache's usage as JSON; emptying it (root or the daemon's user).
  void cache_info(ReplyHandler reply);
  void cache_clear(ReplyHandler reply);
  [[nodiscard]] std::shared_ptr<ClientContent> content(std::uint64_t id) const;

 private:
  friend class PublicationService;

  // Called by the service on a status change: first tell_status on every instance, then
  // apply_status on every instance.
  void tell_status(const ServiceStatus& status);
  void apply_status(const ServiceStatus& status);

  struct PendingPublish {
    Reservation reservation;
    ReplyHandler reply;
    std::uint64_t content_length = 0;
    bool persistent = false;
    std::vector<pccrc::Version> versions;
  };

  [[nodiscard]] std::optional<std::uint32_t> refuse_new_handle() const;
  [[nodiscard]] bool duplicate_request(std::uint64_t request_id, const ReplyHandler& reply) const;
  void finish(const std::shared_ptr<PendingOperation>& op, Reply reply);
  bool abort(const std::shared_ptr<PendingOperation>& op, std::uint32_t status);
  void abandon(Stream& stream, std::uint32_t status, Stream::State state);
  void dispose(std::shared_ptr<StreamBuilders> builders);
  // The stream's builders, taken from it (and from the parallel count).
  [[nodiscard]] std::shared_ptr<StreamBuilders> take_builders(Stream& stream);
  void pump(std::uint64_t stream_id);
  void start_piece(Stream& stream, const std::shared_ptr<PendingOperation>& op);
  void start_complete(Stream& stream, const std::shared_ptr<PendingOperation>& op);
  // Stream feeding: a piece queued (AddToStream's data, or AddFileToStream's file); borrowed
  // pieces given back without new data; the Results of the pieces, in request order.
  void queue_piece(std::uint64_t request_id, std::uint64_t stream_id, bool last_piece,
                   ipc::DataRef data, std::shared_ptr<FilePiece> file, ReplyHandler reply);
  void start_release(Stream& stream);
  // more: whether the builders still borrow pieces.
  void on_released(std::uint64_t stream_id, std::uint32_t status, bool more);
  void answer_in_order(Stream& stream, const std::shared_ptr<PendingOperation>& op,
                       std::uint32_t bytes, std::uint32_t status);
  void answer_fed(Stream& stream);
  void abort_fed(Stream& stream, std::uint32_t status);
  void on_publish_checked(std::uint64_t token, std::uint32_t status);
  // consumed: whether any of the piece reached the builders; loan: what they still borrow of it.
  void on_piece_fed(std::uint64_t stream_id, const std::shared_ptr<PendingOperation>& op,
                    std::uint32_t bytes, std::uint32_t status, bool consumed,
                    std::shared_ptr<const PieceLoan> loan);
  void on_committed(std::uint64_t stream_id, const std::shared_ptr<PendingOperation>& op,
                    std::uint32_t status);
  void on_opened(std::uint64_t token, std::vector<std::uint8_t> content_id,
                 Expected<std::vector<std::uint8_t>, std::uint32_t> bytes);
  static ReplyHandler take(std::map<std::uint64_t, ReplyHandler>& from, std::uint64_t token);
  // Client side (instance_client.cpp).
  [[nodiscard]] std::shared_ptr<PendingOperation> start_client_request(std::uint64_t request_id,
                                                                       std::uint64_t content,
                                                                       ReplyHandler reply);
  [[nodiscard]] ClientContent::Finish client_finisher();
  void cancel_client_request(const std::shared_ptr<PendingOperation>& op, ReplyHandler reply);
  // Ends every content handle's pending requests with `status` (and, on shutdown, pending
  // FlushContent requests); invalidate: the handles stay, answering PEERDIST_ERROR_INVALIDATED.
  void end_contents(std::uint32_t status, bool invalidate);

  PublicationService& service_;
  std::uint64_t id_;
  std::uint32_t uid_;
  std::shared_ptr<const ipc::SharedBuffer> shared_;
  StatusListener listener_;
  bool ended_ = false;

  // Handle ids: one counter for both kinds, never reused, so a stale or mistyped id never
  // reaches another object (docs/ipc.md, rule 5).
  std::uint64_t next_handle_ = 1;
  std::map<std::uint64_t, Stream> streams_;
  std::map<std::uint64_t, ContentInfoReader> readers_;
  std::map<std::uint64_t, std::shared_ptr<ClientContent>> contents_;
  // Asynchronous operations not yet answered, by request id (for Cancel).
  std::map<std::uint64_t, std::shared_ptr<PendingOperation>> pending_;
  std::shared_ptr<PendingOperation> notification_;

  // Synchronous requests waiting for the catalog, by token. Their handlers and reservations
  // stay here, on the network thread; the catalog thread only ever sees the token.
  std::uint64_t next_token_ = 1;
  std::map<std::uint64_t, PendingPublish> publishing_;
  std::map<std::uint64_t, ReplyHandler> opening_;
  std::map<std::uint64_t, ReplyHandler> unpublishing_;
  std::map<std::uint64_t, ReplyHandler> shutting_down_;
};

}  // namespace peerdist::service
