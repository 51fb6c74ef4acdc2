#include "peerdist/service/instance.hpp"

#include <algorithm>
#include <new>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "peerdist.h"
#include "peerdist/service/file_window.hpp"
#include "peerdist/service/publication_service.hpp"

namespace peerdist::service {
namespace {

constexpr std::uint32_t kKnownPublicationFlags = PEERDIST_PUBLICATION_FLAG_PERSISTENT |
                                                 PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V1 |
                                                 PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V2;

// The versions one publication produces (docs/api.md: the configured ones, or the one the
// _CONTENTINFO_V1/_V2 flag names). nullopt: ERROR_INVALID_PARAMETER, for options of an unknown
// version, flags Windows does not define and we do not either, or a version the service is
// configured not to produce.
std::optional<std::vector<pccrc::Version>> publication_versions(
    std::uint32_t options_version, std::uint32_t flags,
    const std::vector<pccrc::Version>& configured) {
  // 0: the application passed no PEERDIST_PUBLICATION_OPTIONS (docs/ipc.md).
  if (options_version > PEERDIST_PUBLICATION_OPTIONS_VERSION_2) return std::nullopt;
  if (options_version == 0 && flags != 0) return std::nullopt;
  if ((flags & ~kKnownPublicationFlags) != 0) return std::nullopt;
  const bool v1 = (flags & PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V1) != 0;
  const bool v2 = (flags & PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V2) != 0;
  if (v1 == v2) return configured;
  const pccrc::Version wanted = v1 ? pccrc::Version::v1 : pccrc::Version::v2;
  if (std::find(configured.begin(), configured.end(), wanted) == configured.end()) {
    return std::nullopt;
  }
  return std::vector<pccrc::Version>{wanted};
}

// The Win32 code for a catalog failure. The details go to the log: the client can do nothing
// with SQLite's message.
std::uint32_t catalog_status(const store::StoreError& error, std::string_view what) {
  spdlog::error("catalog: {} failed: {}", what, error.message);
  switch (error.code) {
    case store::StoreErrc::already_exists: return PEERDIST_ERROR_ALREADY_EXISTS;
    case store::StoreErrc::invalid_argument: return ERROR_INVALID_PARAMETER;
    case store::StoreErrc::disk_full: return kErrorDiskFull;
    default: return PEERDIST_ERROR_SERVICE_UNAVAILABLE;
  }
}

// What a call on a stream that no longer takes data gets.
std::uint32_t closed_stream_status(const Stream& stream) {
  return stream.state == Stream::State::invalidated ? PEERDIST_ERROR_INVALIDATED
                                                    : ERROR_INVALID_PARAMETER;
}

// The bytes of a piece and what keeps them alive while a worker reads them.
struct PieceData {
  std::shared_ptr<const ipc::SharedBuffer> shared;
  std::vector<std::uint8_t> owned;
  std::span<const std::uint8_t> bytes;
};

}  // namespace

Instance::Instance(PublicationService& service, std::uint64_t id, std::uint32_t uid,
                   std::shared_ptr<const ipc::SharedBuffer> shared, StatusListener listener)
    : service_(service),
      id_(id),
      uid_(uid),
      shared_(std::move(shared)),
      listener_(std::move(listener)) {}

Instance::~Instance() {
  if (!ended_) {
    // Ended without shutdown()/end(): still drop its non-persistent publications.
    const std::uint64_t id = id_;
    service_.catalog_.post([id](CatalogState& state) { state.remove_owned_by(id); });
    for (auto& [stream_id, stream] : streams_) dispose(take_builders(stream));
  }
  service_.forget(id_);
}

// ---------------------------------------------------------------------------------------------
// Helpers

std::optional<std::uint32_t> Instance::refuse_new_handle() const {
  const std::uint32_t status = service_.status().status;
  if (status == PEERDIST_STATUS_DISABLED) return ERROR_ACCESS_DISABLED_BY_POLICY;
  if (status != PEERDIST_STATUS_AVAILABLE || ended_) return PEERDIST_ERROR_SERVICE_UNAVAILABLE;
  if (handle_count() >= service_.options_.max_handles_per_connection) {
    return ERROR_TOO_MANY_OPEN_FILES;
  }
  return std::nullopt;
}

bool Instance::duplicate_request(std::uint64_t request_id, const ReplyHandler& reply) const {
  if (!pending_.contains(request_id)) return false;
  // A client that reuses the id of a request still pending breaks docs/ipc.md; the new
  // request is refused and the pending one is left alone.
  spdlog::warn("instance {}: request id {} is already pending", id_, request_id);
  if (reply) reply(Reply::failure(ERROR_INVALID_PARAMETER));
  return true;
}

void Instance::finish(const std::shared_ptr<PendingOperation>& op, Reply reply) {
  auto it = pending_.find(op->request_id());
  if (it != pending_.end() && it->second == op) pending_.erase(it);
  op->complete(std::move(reply));
}

bool Instance::abort(const std::shared_ptr<PendingOperation>& op, std::uint32_t status) {
  auto it = pending_.find(op->request_id());
  const bool registered = it != pending_.end() && it->second == op;
  if (!op->abort(Reply::failure(status))) return false;
  if (registered) pending_.erase(op->request_id());
  return true;
}

void Instance::dispose(std::shared_ptr<StreamBuilders> builders) {
  // A builder's destructor waits for the batches it still has in flight: never on the
  // network thread.
  if (builders) boost::asio::post(service_.hash_pool_, [b = std::move(builders)] {});
}

std::shared_ptr<StreamBuilders> Instance::take_builders(Stream& stream) {
  if (stream.parallel_builders) {
    stream.parallel_builders = false;
    --service_.parallel_streams_;
  }
  return std::move(stream.builders);
}

void Instance::abandon(Stream& stream, std::uint32_t status, Stream::State state) {
  stream.state = state;
  // The pieces consumed first, then the queue: Results stay in request order.
  abort_fed(stream, status);
  std::deque<std::shared_ptr<PendingOperation>> keep;
  for (const auto& op : std::deque(stream.queue)) {
    // A claimed CompleteStream is being written to the catalog; it completes on its own.
    if (op->claimed()) {
      keep.push_back(op);
    } else {
      abort(op, status);
    }
  }
  stream.queue = std::move(keep);
  stream.complete_queued = !stream.queue.empty();
  stream.reservation.reset();
  dispose(take_builders(stream));
}

ReplyHandler Instance::take(std::map<std::uint64_t, ReplyHandler>& from, std::uint64_t token) {
  auto it = from.find(token);
  if (it == from.end()) return nullptr;
  ReplyHandler reply = std::move(it->second);
  from.erase(it);
  return reply;
}

// ---------------------------------------------------------------------------------------------
// Status

Reply Instance::get_status() const { return Reply::success(service_.status().status); }

void Instance::register_status_notification(std::uint64_t request_id, std::uint32_t baseline,
                                            ReplyHandler reply) {
  // One registration per instance (docs/api.md).
  if (notification_ && !notification_->ended()) return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  if (duplicate_request(request_id, reply)) return;
  const std::uint32_t current = service_.status().status;
  // Q12: it fires as soon as the status differs from the one last reported to the application.
  if (current != baseline) return reply(Reply::success(current));
  auto op = std::make_shared<PendingOperation>(request_id, OperationKind::status_notification, 0,
                                               std::move(reply));
  op->baseline_status = baseline;
  pending_.emplace(request_id, op);
  notification_ = std::move(op);
}

void Instance::unregister_status_notification(ReplyHandler reply) {
  // Without a pending registration there is nothing to cancel; it may have fired just before.
  if (notification_) abort(std::exchange(notification_, nullptr), ERROR_OPERATION_ABORTED);
  reply(Reply::success());
}

void Instance::tell_status(const ServiceStatus& status) {
  if (listener_ && !ended_) listener_(status);
}

void Instance::apply_status(const ServiceStatus& status) {
  if (ended_) return;
  if (status.status != PEERDIST_STATUS_AVAILABLE) {
    // §1.5: every stream and content-information handle stops working; only the close
    // functions still succeed.
    for (auto& [id, stream] : streams_) {
      if (stream.state != Stream::State::invalidated) {
        abandon(stream, PEERDIST_ERROR_INVALIDATED, Stream::State::invalidated);
      }
    }
    for (auto& [id, reader] : readers_) reader.invalidate();
    end_contents(PEERDIST_ERROR_INVALIDATED, true);
  }
  if (notification_ && status.status != notification_->baseline_status) {
    finish(std::exchange(notification_, nullptr), Reply::success(status.status));
  }
}

// ---------------------------------------------------------------------------------------------
// Cancel and shutdown

void Instance::cancel(std::uint64_t target_request_id, ReplyHandler reply) {
  auto it = pending_.find(target_request_id);
  if (it == pending_.end()) return reply(Reply::failure(PEERDIST_ERROR_OPERATION_NOTFOUND));
  std::shared_ptr<PendingOperation> op = it->second;
  if (op->claimed()) {
    // It is being committed and will complete; "posted only if no other result was posted
    // first" (spec §2.2), so the cancel finds nothing, once that Result is out.
    op->after_end([reply = std::move(reply)] {
      reply(Reply::failure(PEERDIST_ERROR_OPERATION_NOTFOUND));
    });
    return;
  }
  if (op->kind() == OperationKind::client_request) {
    return cancel_client_request(op, std::move(reply));
  }
  if (op->kind() == OperationKind::status_notification) {
    notification_.reset();
    abort(op, ERROR_OPERATION_ABORTED);
    return reply(Reply::success());
  }
  auto stream = streams_.find(op->stream());
  if (stream != streams_.end() && stream->second.state != Stream::State::completed) {
    // docs/api.md: a cancelled AddToStream or CompleteStream abandons the publication.
    abandon(stream->second, ERROR_OPERATION_ABORTED, Stream::State::abandoned);
  }
  abort(op, ERROR_OPERATION_ABORTED);
  reply(Reply::success());
}

void Instance::shutdown(ReplyHandler reply) {
  if (ended_) {
    if (reply) reply(Reply::success());
    return;
  }
  ended_ = true;
  if (notification_) abort(std::exchange(notification_, nullptr), ERROR_OPERATION_ABORTED);
  for (auto& [id, stream] : streams_) {
    abandon(stream, ERROR_OPERATION_ABORTED, Stream::State::abandoned);
  }
  streams_.clear();
  readers_.clear();
  end_contents(ERROR_OPERATION_ABORTED, false);
  // Synchronous requests still waiting for the catalog (only a caller that did not wait for
  // their replies can have any).
  for (auto& [token, publish] : std::exchange(publishing_, {})) {
    if (publish.reply) publish.reply(Reply::failure(ERROR_OPERATION_ABORTED));
  }
  for (auto* waiting : {&opening_, &unpublishing_}) {
    for (auto& [token, handler] : std::exchange(*waiting, {})) {
      if (handler) handler(Reply::failure(ERROR_OPERATION_ABORTED));
    }
  }
  // The catalog removes the instance's non-persistent publications after every job posted
  // before, including the insert of a CompleteStream that was claimed and so could not be
  // aborted: its Result reaches the client first, then this reply (rule 4).
  const std::uint64_t token = next_token_++;
  if (reply) shutting_down_.emplace(token, std::move(reply));
  service_.catalog_.post([weak = weak_from_this(), executor = service_.executor_, id = id_,
                          token](CatalogState& state) {
    const std::uint64_t removed = state.remove_owned_by(id);
    if (removed > 0) spdlog::debug("instance {}: removed {} publication(s)", id, removed);
    boost::asio::post(executor, [weak, token] {
      if (auto self = weak.lock()) {
        if (auto handler = take(self->shutting_down_, token)) handler(Reply::success());
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Publishing

void Instance::publish_stream(const ipc::PublishStream& request, ReplyHandler reply) {
  if (auto refused = refuse_new_handle()) return reply(Reply::failure(*refused));
  if (request.content_id.empty() || request.content_id.size() > ipc::kMaxContentIdSize) {
    return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  }
  auto versions =
      publication_versions(request.options_version, request.options_flags, service_.versions());
  if (!versions) return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  PublicationKey key{uid_, request.content_id};
  auto reservation = service_.reservations_.reserve(key);
  // A stream in progress with this identifier, in any instance of this user.
  if (!reservation) return reply(Reply::failure(PEERDIST_ERROR_ALREADY_EXISTS));

  const std::uint64_t token = next_token_++;
  publishing_.emplace(token,
                      PendingPublish{std::move(*reservation), std::move(reply),
                                     request.content_length,
                                     (request.options_flags & PEERDIST_PUBLICATION_FLAG_PERSISTENT) != 0,
                                     std::move(*versions)});
  service_.catalog_.post([weak = weak_from_this(), executor = service_.executor_,
                          key = std::move(key), token](CatalogState& state) {
    auto found = state.catalog.find_publication(key.uid, key.content_id);
    const std::uint32_t status =
        !found ? catalog_status(found.error(), "looking up a publication")
        : found->has_value() ? std::uint32_t{PEERDIST_ERROR_ALREADY_EXISTS}
                             : std::uint32_t{ERROR_SUCCESS};
    boost::asio::post(executor, [weak, token, status] {
      if (auto self = weak.lock()) self->on_publish_checked(token, status);
    });
  });
}

void Instance::on_publish_checked(std::uint64_t token, std::uint32_t status) {
  auto it = publishing_.find(token);
  if (it == publishing_.end()) return;
  PendingPublish publish = std::move(it->second);
  publishing_.erase(it);
  if (status == ERROR_SUCCESS) {
    // The policy or a limit may have changed while the catalog looked.
    if (auto refused = refuse_new_handle()) status = *refused;
  }
  if (status != ERROR_SUCCESS) return publish.reply(Reply::failure(status));
  const std::uint64_t id = next_handle_++;
  Stream stream;
  stream.id = id;
  stream.key = publish.reservation.key();
  stream.content_length = publish.content_length;
  stream.persistent = publish.persistent;
  stream.versions = std::move(publish.versions);
  stream.reservation.emplace(std::move(publish.reservation));
  streams_.emplace(id, std::move(stream));
  publish.reply(Reply::success(id));
}

void Instance::add_to_stream(std::uint64_t request_id, ipc::AddToStream request,
                             ReplyHandler reply) {
  queue_piece(request_id, request.stream, request.last_piece, std::move(request.data), nullptr,
              std::move(reply));
}

void Instance::add_file_to_stream(std::uint64_t request_id, const ipc::AddFileToStream& request,
                                  ipc::UniqueFd fd, ReplyHandler reply) {
  // The descriptor is closed when the piece is done with (or refused).
  auto file = std::make_shared<FilePiece>(FilePiece{std::move(fd), request.offset, request.length});
  queue_piece(request_id, request.stream, request.last_piece, ipc::InlineData{}, std::move(file),
              std::move(reply));
}

void Instance::queue_piece(std::uint64_t request_id, std::uint64_t stream_id, bool last_piece,
                           ipc::DataRef data, std::shared_ptr<FilePiece> file,
                           ReplyHandler reply) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  Stream& stream = it->second;
  if (stream.state == Stream::State::invalidated) {
    return reply(Reply::failure(PEERDIST_ERROR_INVALIDATED));
  }
  if (stream.refusing_call) {
    stream.refusing_call = !last_piece;
    return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  }
  const bool starts_call = !stream.in_call;
  if (!starts_call && stream.state == Stream::State::abandoned) {
    // The rest of a call that was cancelled (or whose stream was closed) meanwhile.
    stream.in_call = !last_piece;
    return reply(Reply::failure(ERROR_OPERATION_ABORTED));
  }
  if (!stream.accepts_data() || (starts_call && stream.has_pending_pieces())) {
    // After CompleteStream, after abandonment, or a second AddToStream while one is in flight
    // (docs/api.md): ERROR_INVALID_PARAMETER, for every piece of that call.
    if (starts_call) {
      stream.refusing_call = !last_piece;
    } else {
      stream.in_call = !last_piece;
    }
    return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  }
  if (duplicate_request(request_id, reply)) return;
  stream.in_call = !last_piece;
  auto op = std::make_shared<PendingOperation>(request_id, OperationKind::add_piece, stream.id,
                                               std::move(reply));
  op->first_of_call = starts_call;
  op->last_piece = last_piece;
  op->data = std::move(data);
  op->file = std::move(file);
  pending_.emplace(request_id, op);
  stream.queue.push_back(std::move(op));
  pump(stream.id);
}

void Instance::complete_stream(std::uint64_t request_id, std::uint64_t stream_id,
                               ReplyHandler reply) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  Stream& stream = it->second;
  // After success the handle only accepts Close; so after abandonment (docs/api.md).
  if (!stream.accepts_data()) return reply(Reply::failure(closed_stream_status(stream)));
  if (duplicate_request(request_id, reply)) return;
  auto op = std::make_shared<PendingOperation>(request_id, OperationKind::complete_stream,
                                               stream.id, std::move(reply));
  pending_.emplace(request_id, op);
  stream.queue.push_back(std::move(op));
  stream.complete_queued = true;
  pump(stream.id);
}

void Instance::pump(std::uint64_t stream_id) {
  for (;;) {
    auto it = streams_.find(stream_id);
    if (it == streams_.end()) return;
    Stream& stream = it->second;
    if (stream.busy) return;
    if (stream.queue.empty() ||
        (stream.queue.front()->kind() == OperationKind::complete_stream && !stream.fed.empty())) {
      // Pieces hashed in place are released by the builders' later calls; with no more data
      // queued (the client may be waiting for those very Results to reuse its buffer), or only
      // a CompleteStream, which starts once every piece is answered, ask for them back.
      if (stream.state == Stream::State::open && stream.lending()) start_release(stream);
      return;
    }
    std::shared_ptr<PendingOperation> op = stream.queue.front();
    if (op->ended()) {
      stream.queue.pop_front();
      continue;
    }
    if (stream.state != Stream::State::open) {
      stream.queue.pop_front();
      abort(op, closed_stream_status(stream));
      continue;
    }
    if (op->kind() == OperationKind::complete_stream) {
      // docs/api.md: zero bytes (a CI cannot describe empty content) or a total different
      // from a non-zero cbContentLength publish nothing; the stream stays open.
      if (stream.bytes_fed == 0 ||
          (stream.content_length != 0 && stream.bytes_fed != stream.content_length)) {
        stream.queue.pop_front();
        stream.complete_queued = false;
        finish(op, Reply::failure(ERROR_INVALID_PARAMETER));
        continue;
      }
      start_complete(stream, op);
      return;
    }
    // A piece.
    if (op->first_of_call) stream.call_status = 0;
    std::uint32_t status = stream.call_status;
    std::uint64_t length = 0;
    if (status == 0) {
      if (op->file) {
        // The file itself is checked on a worker (start_piece): fstat and fstatfs may wait on
        // its filesystem.
        length = op->file->length;
      } else if (const auto* shared = std::get_if<ipc::SharedData>(&op->data)) {
        length = shared->length;
        if (!shared_) {
          status = ERROR_INVALID_PARAMETER;  // no shared buffer on this connection
        } else if (!shared_->span(shared->offset, shared->length)) {
          status = ERROR_INVALID_PARAMETER;  // outside the shared buffer
        }
      } else {
        length = std::get<ipc::InlineData>(op->data).bytes.size();
      }
    }
    // Q9: a piece that would take the stream past a non-zero cbContentLength is refused whole.
    if (status == 0 && stream.content_length != 0 &&
        length > stream.content_length - stream.bytes_fed) {
      status = PEERDIST_ERROR_OUT_OF_BOUNDS;
    }
    if (status != 0) {
      // The call's later pieces fail the same way: nothing is appended after a gap.
      stream.call_status = status;
      stream.queue.pop_front();
      answer_in_order(stream, op, 0, status);
      continue;
    }
    if (length == 0) {
      stream.queue.pop_front();
      answer_in_order(stream, op, 0, ERROR_SUCCESS);
      continue;
    }
    start_piece(stream, op);
    return;
  }
}

namespace {

// A file piece is mapped and lent to the builders in windows of this size, as `peerdist hash`
// does (8 MiB: two 4 MiB batches with 2 cores; the builders hold at most kMaxBorrowedBytes of
// windows, so a stream fed from a file keeps at most ~32 MiB of it mapped).
constexpr std::uint64_t kFileWindowBytes = std::uint64_t{8} << 20U;

// Worker thread: hashes a file piece in place, window by window. `consumed` tells whether any
// of it reached the builders (a failure then abandons the stream; before, the piece is only
// refused). A window whose file shrank under it fails the piece when it is released.
std::uint32_t feed_file(StreamBuilders& builders, const FilePiece& file,
                        const std::shared_ptr<PieceLoan>& loan, bool& consumed) {
  consumed = false;
  const int fd = file.fd.get();
  if (const std::uint32_t refused = check_file_piece(fd, file.offset, file.length);
      refused != ERROR_SUCCESS) {
    return refused;
  }
  for (std::uint64_t at = 0; at < file.length;) {
    const auto n = static_cast<std::size_t>(std::min(kFileWindowBytes, file.length - at));
    auto window = FileWindow::map(fd, file.offset + at, n);
    if (!window) {
      spdlog::warn("cannot map a client's file: {}", window.error().message());
      return window.error() == std::errc::not_enough_memory ||
                     window.error() == std::errc::too_many_files_open
                 ? std::uint32_t{ERROR_NOT_ENOUGH_MEMORY}
                 : std::uint32_t{ERROR_INVALID_PARAMETER};
    }
    auto held = std::make_shared<FileWindow>(std::move(*window));
    const std::span<const std::uint8_t> bytes = held->bytes();
    loan->lend();
    consumed = true;
    builders.add_borrowed(bytes, [held = std::move(held), loan]() noexcept {
      loan->give_back(held->close() ? std::uint32_t{PEERDIST_ERROR_OUT_OF_BOUNDS} : 0);
    });
    at += n;
  }
  return ERROR_SUCCESS;
}

}  // namespace

void Instance::start_piece(Stream& stream, const std::shared_ptr<PendingOperation>& op) {
  PieceData piece;
  std::shared_ptr<FilePiece> file = std::move(op->file);
  if (file) {
    // Read on the worker.
  } else if (auto* shared = std::get_if<ipc::SharedData>(&op->data)) {
    piece.shared = shared_;
    piece.bytes = *shared_->span(shared->offset, shared->length);
  } else {
    piece.owned = std::move(std::get<ipc::InlineData>(op->data).bytes);
    piece.bytes = piece.owned;
  }
  op->data = ipc::InlineData{};
  const auto length = file ? file->length : static_cast<std::uint32_t>(piece.bytes.size());
  if (!stream.builders) {
    unsigned threads = 1;  // hash on the feeding thread
    if (service_.parallel_streams_ < service_.parallel_limit_) {
      threads = service_.options_.builder_threads;
      stream.parallel_builders = true;
      ++service_.parallel_streams_;
    }
    stream.builders =
        std::make_shared<StreamBuilders>(service_.secret_, stream.versions, threads);
  }
  stream.busy = true;
  // A shared piece, or a file piece, is hashed in place, where the client wrote it (no copy):
  // its Result waits until the builders have given all of it back (answer_fed). Inline bytes
  // are copied into the builders' batches, as small pieces are anyway.
  auto loan = std::make_shared<PieceLoan>();
  boost::asio::post(
      service_.hash_pool_,
      [weak = weak_from_this(), executor = service_.executor_, builders = stream.builders,
       piece = std::move(piece), file = std::move(file), stream_id = stream.id, op, length,
       loan]() mutable {
        std::uint32_t status = ERROR_SUCCESS;
        bool consumed = true;
        try {
          if (file) {
            status = feed_file(*builders, *file, loan, consumed);
          } else if (piece.shared) {
            // Given back on a worker inside a later builder call (or this one, or the
            // builders' destructor); every such call ends with a post to the network thread,
            // which then sends the Result. Holds the mapping until no batch reads it.
            loan->lend();
            builders->add_borrowed(piece.bytes, [loan, mapping = piece.shared]() noexcept {
              loan->give_back();
            });
          } else {
            builders->add(piece.bytes);
          }
        } catch (const std::bad_alloc&) {
          spdlog::error("stream {}: out of memory while hashing", stream_id);
          status = ERROR_NOT_ENOUGH_MEMORY;
        } catch (const std::exception& e) {
          spdlog::error("stream {}: hashing failed: {}", stream_id, e.what());
          status = ERROR_NOT_ENOUGH_MEMORY;
        }
        loan->give_back();  // the job's own part: every other part is lent by now
        // The piece's memory and, for an abandoned stream, the builders go here, off the
        // network thread.
        piece = {};
        file.reset();
        builders.reset();
        boost::asio::post(executor, [weak, stream_id, op = std::move(op), length, status, consumed,
                                     loan = std::move(loan)]() mutable {
          if (auto self = weak.lock()) {
            self->on_piece_fed(stream_id, op, length, status, consumed, std::move(loan));
          }
        });
      });
}

void Instance::on_piece_fed(std::uint64_t stream_id, const std::shared_ptr<PendingOperation>& op,
                            std::uint32_t bytes, std::uint32_t status, bool consumed,
                            std::shared_ptr<const PieceLoan> loan) {
  auto it = streams_.find(stream_id);
  if (it != streams_.end()) {
    Stream& stream = it->second;
    stream.busy = false;
    if (!stream.queue.empty() && stream.queue.front() == op) stream.queue.pop_front();
    if (stream.state == Stream::State::open) {
      if (status != ERROR_SUCCESS && consumed) {
        // A builder that threw, or took part of a piece that then failed, may be in any state:
        // the stream cannot go on. The earlier pieces' Results first.
        abort_fed(stream, status);
        finish(op, Reply::failure(status));
        abandon(stream, status, Stream::State::abandoned);
        return;
      }
      if (status != ERROR_SUCCESS) {
        // Refused whole before anything was appended (a file piece the daemon does not read):
        // as pump's refusals, the call's later pieces fail the same way.
        stream.call_status = status;
        answer_in_order(stream, op, 0, status);
      } else {
        stream.bytes_fed += bytes;
        stream.fed.push_back(Stream::FedPiece{op, bytes, ERROR_SUCCESS, std::move(loan)});
        answer_fed(stream);
      }
      pump(stream_id);
      return;
    }
  }
  // Closed or abandoned meanwhile: the operation has ended already, and nothing is sent.
  finish(op, status == ERROR_SUCCESS ? Reply::success(0, bytes) : Reply::failure(status));
  pump(stream_id);
}

void Instance::start_release(Stream& stream) {
  if (!stream.builders) return;
  stream.busy = true;
  boost::asio::post(service_.hash_pool_, [weak = weak_from_this(), executor = service_.executor_,
                                          builders = stream.builders,
                                          stream_id = stream.id]() mutable {
    std::uint32_t status = ERROR_SUCCESS;
    bool more = false;
    try {
      more = builders->release_oldest();
    } catch (const std::bad_alloc&) {
      spdlog::error("stream {}: out of memory while hashing", stream_id);
      status = ERROR_NOT_ENOUGH_MEMORY;
    } catch (const std::exception& e) {
      spdlog::error("stream {}: hashing failed: {}", stream_id, e.what());
      status = ERROR_NOT_ENOUGH_MEMORY;
    }
    builders.reset();
    boost::asio::post(executor, [weak, stream_id, status, more] {
      if (auto self = weak.lock()) self->on_released(stream_id, status, more);
    });
  });
}

void Instance::on_released(std::uint64_t stream_id, std::uint32_t status, bool more) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  Stream& stream = it->second;
  stream.busy = false;
  if (stream.state != Stream::State::open) return pump(stream_id);
  answer_fed(stream);
  if (stream.state != Stream::State::open) return pump(stream_id);  // a piece was damaged
  if (status == ERROR_SUCCESS && !more && stream.lending()) {
    // The builders hold nothing, yet a piece was never given back: asking again would spin.
    spdlog::error("stream {}: a borrowed piece was never released", stream_id);
    status = ERROR_NOT_ENOUGH_MEMORY;
  }
  if (status != ERROR_SUCCESS) return abandon(stream, status, Stream::State::abandoned);
  pump(stream_id);
}

void Instance::answer_in_order(Stream& stream, const std::shared_ptr<PendingOperation>& op,
                               std::uint32_t bytes, std::uint32_t status) {
  static const auto kNothingLent = [] {
    auto loan = std::make_shared<PieceLoan>();
    loan->give_back();
    return std::shared_ptr<const PieceLoan>(std::move(loan));
  }();
  stream.fed.push_back(Stream::FedPiece{op, bytes, status, kNothingLent});
  answer_fed(stream);
}

// Sends, in request order, the Results of the pieces the builders no longer read.
void Instance::answer_fed(Stream& stream) {
  while (!stream.fed.empty() && stream.fed.front().loan->released()) {
    if (const std::uint32_t damaged = stream.fed.front().loan->status(); damaged != 0) {
      // What the builders read of this piece was not the client's bytes (its file shrank while
      // mapped): the content information would describe something else. This piece and every
      // later one fail, and the stream publishes nothing.
      spdlog::warn("instance {}: stream {}: a file piece shrank while it was hashed", id_,
                   stream.id);
      abandon(stream, damaged, Stream::State::abandoned);
      return;
    }
    Stream::FedPiece piece = std::move(stream.fed.front());
    stream.fed.pop_front();
    finish(piece.op, piece.status == ERROR_SUCCESS ? Reply::success(0, piece.bytes)
                                                   : Reply::failure(piece.status));
  }
}

void Instance::abort_fed(Stream& stream, std::uint32_t status) {
  for (const Stream::FedPiece& piece : std::exchange(stream.fed, {})) abort(piece.op, status);
}

void Instance::start_complete(Stream& stream, const std::shared_ptr<PendingOperation>& op) {
  stream.busy = true;
  stream.state = Stream::State::completing;
  struct Params {
    PublicationKey key;
    std::uint64_t content_length;
    bool persistent;
  };
  Params params{stream.key, stream.bytes_fed, stream.persistent};
  boost::asio::post(
      service_.hash_pool_,
      [weak = weak_from_this(), executor = service_.executor_, catalog = &service_.catalog_,
       builders = take_builders(stream), params = std::move(params), stream_id = stream.id,
       op, instance_id = id_]() mutable {
        auto report = [&](std::uint32_t status) {
          boost::asio::post(executor, [weak, stream_id, op, status] {
            if (auto self = weak.lock()) self->on_committed(stream_id, op, status);
          });
        };
        std::vector<EncodedCi> cis;
        try {
          cis = builders->finish();
        } catch (const std::exception& e) {
          spdlog::error("stream {}: finishing the content information failed: {}", stream_id,
                        e.what());
          return report(ERROR_NOT_ENOUGH_MEMORY);
        }
        builders.reset();
        if (op->ended()) return;  // aborted meanwhile: nothing to publish, nobody to tell
        catalog->post([weak, executor, cis = std::move(cis), params = std::move(params),
                       stream_id, op, instance_id](CatalogState& state) {
          // From here the publication is committed; a cancel arriving now waits for it.
          if (!op->claim()) return;
          store::NewPublication publication;
          publication.owner_uid = params.key.uid;
          publication.content_id = params.key.content_id;
          publication.content_length = params.content_length;
          publication.persistent = params.persistent;
          for (const EncodedCi& ci : cis) {
            publication.content_information.push_back({ci.version, ci.bytes});
          }
          auto inserted = state.catalog.insert_publication(publication);
          std::uint32_t status = ERROR_SUCCESS;
          if (!inserted) {
            status = catalog_status(inserted.error(), "publishing");
          } else if (!params.persistent) {
            state.own(params.key, instance_id);
          }
          boost::asio::post(executor, [weak, stream_id, op, status] {
            if (auto self = weak.lock()) self->on_committed(stream_id, op, status);
          });
        });
      });
}

void Instance::on_committed(std::uint64_t stream_id, const std::shared_ptr<PendingOperation>& op,
                            std::uint32_t status) {
  auto it = streams_.find(stream_id);
  if (it != streams_.end()) {
    Stream& stream = it->second;
    stream.busy = false;
    if (!stream.queue.empty() && stream.queue.front() == op) stream.queue.pop_front();
    // finish() released every borrowed piece: their Results come before this one's (or, if
    // it failed before that, they fail with it).
    answer_fed(stream);
    abort_fed(stream, status == ERROR_SUCCESS ? std::uint32_t{ERROR_OPERATION_ABORTED} : status);
    stream.complete_queued = false;
    if (stream.state == Stream::State::completing) {
      stream.state = status == ERROR_SUCCESS ? Stream::State::completed : Stream::State::abandoned;
    }
    // Published (the catalog now answers ALREADY_EXISTS) or failed: either way free.
    stream.reservation.reset();
  }
  finish(op, status == ERROR_SUCCESS ? Reply::success() : Reply::failure(status));
}

void Instance::close_stream(std::uint64_t stream_id, ReplyHandler reply) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  Stream& stream = it->second;
  // Cancels what is pending; a completed publication stays (docs/api.md, CloseStreamHandle).
  if (stream.state == Stream::State::open || stream.state == Stream::State::completing) {
    abandon(stream, ERROR_OPERATION_ABORTED, Stream::State::abandoned);
  }
  std::shared_ptr<PendingOperation> committing;
  for (const auto& op : stream.queue) {
    if (op->claimed()) committing = op;
  }
  dispose(take_builders(stream));
  streams_.erase(it);
  if (committing) {
    // Its Result comes first; the stream is published after all (spec §2.2: a close cannot
    // cancel what has completed).
    committing->after_end([reply = std::move(reply)] { reply(Reply::success()); });
    return;
  }
  reply(Reply::success());
}

void Instance::unpublish(const std::vector<std::uint8_t>& content_id, ReplyHandler reply) {
  const std::uint32_t service_status = service_.status().status;
  if (service_status == PEERDIST_STATUS_DISABLED) {
    return reply(Reply::failure(ERROR_ACCESS_DISABLED_BY_POLICY));
  }
  if (service_status != PEERDIST_STATUS_AVAILABLE) {
    return reply(Reply::failure(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  }
  if (content_id.empty() || content_id.size() > ipc::kMaxContentIdSize) {
    return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  }
  PublicationKey key{uid_, content_id};
  // Pending operations on that content in this instance end with ERROR_OPERATION_ABORTED, and
  // a stream in progress for it publishes nothing.
  for (auto& [id, stream] : streams_) {
    if (stream.key == key &&
        (stream.state == Stream::State::open || stream.state == Stream::State::completing)) {
      abandon(stream, ERROR_OPERATION_ABORTED, Stream::State::abandoned);
    }
  }
  for (auto& [id, reader] : readers_) {
    if (reader.content_id() == content_id) reader.unpublished();
  }
  const std::uint64_t token = next_token_++;
  unpublishing_.emplace(token, std::move(reply));
  // After a claimed insert of this content (posted earlier), so it removes that too.
  service_.catalog_.post([weak = weak_from_this(), executor = service_.executor_,
                          key = std::move(key), token](CatalogState& state) {
    auto removed = state.catalog.remove_publication(key.uid, key.content_id);
    state.disown(key);
    // Unknown identifier: ERROR_SUCCESS (docs/api.md).
    const std::uint32_t status =
        removed ? std::uint32_t{ERROR_SUCCESS} : catalog_status(removed.error(), "unpublishing");
    boost::asio::post(executor, [weak, token, status] {
      if (auto self = weak.lock()) {
        if (auto handler = take(self->unpublishing_, token)) {
          handler(status == ERROR_SUCCESS ? Reply::success() : Reply::failure(status));
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Content information

void Instance::open_content_information(const ipc::OpenContentInformation& request,
                                        ReplyHandler reply) {
  if (auto refused = refuse_new_handle()) return reply(Reply::failure(*refused));
  if (request.content_id.empty() || request.content_id.size() > ipc::kMaxContentIdSize) {
    return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  }
  if (request.min_version > request.max_version) {
    return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  }
  const std::uint64_t token = next_token_++;
  opening_.emplace(token, std::move(reply));
  service_.catalog_.post([weak = weak_from_this(), executor = service_.executor_,
                          pool = &service_.hash_pool_, uid = uid_, request,
                          configured = service_.versions(), token](CatalogState& state) {
    auto fail = [&](std::uint32_t status) {
      boost::asio::post(executor, [weak, token, status] {
        if (auto self = weak.lock()) {
          self->on_opened(token, {}, Unexpected(status));
        }
      });
    };
    auto found = state.catalog.find_publication(uid, request.content_id);
    if (!found) return fail(catalog_status(found.error(), "looking up a publication"));
    // Not published, or not yet complete (docs/api.md, Q5).
    if (!found->has_value()) return fail(ERROR_NOT_FOUND);
    const store::PublicationRecord& record = **found;
    auto range = requested_range(record.content_length, request.offset, request.length);
    if (!range) return fail(range.error());
    auto version =
        choose_version(record.versions, configured, request.min_version, request.max_version);
    if (!version) return fail(PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED);
    auto stored = state.catalog.content_information(record.id, *version);
    if (!stored) return fail(catalog_status(stored.error(), "reading content information"));
    if (!stored->has_value()) return fail(ERROR_NOT_FOUND);
    // Parsing, slicing and encoding take time for large content: not on the catalog thread.
    boost::asio::post(*pool, [weak, executor, token, content_id = request.content_id,
                              bytes = std::move(**stored), range = *range]() mutable {
      auto result = reader_bytes(bytes, range);
      if (!result && result.error() == PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO) {
        spdlog::error("a stored content information does not parse or slice: catalog damaged?");
      }
      boost::asio::post(executor, [weak, token, content_id = std::move(content_id),
                                   result = std::move(result)]() mutable {
        if (auto self = weak.lock()) self->on_opened(token, std::move(content_id), std::move(result));
      });
    });
  });
}

void Instance::on_opened(std::uint64_t token, std::vector<std::uint8_t> content_id,
                         Expected<std::vector<std::uint8_t>, std::uint32_t> bytes) {
  ReplyHandler reply = take(opening_, token);
  if (!reply) return;
  if (!bytes) return reply(Reply::failure(bytes.error()));
  if (auto refused = refuse_new_handle()) return reply(Reply::failure(*refused));
  const std::uint64_t id = next_handle_++;
  readers_.emplace(id, ContentInfoReader(std::move(content_id),
                                         std::make_shared<const std::vector<std::uint8_t>>(
                                             std::move(*bytes))));
  reply(Reply::success(id));
}

void Instance::retrieve_content_information(std::uint64_t content_info, std::uint32_t max_bytes,
                                            ReplyHandler reply) {
  auto it = readers_.find(content_info);
  if (it == readers_.end()) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  // The CI is in memory: the read completes at once (still a completion for the client,
  // Q6), so there is never more than one in flight per handle here.
  reply(it->second.next(max_bytes));
}

void Instance::close_content_information(std::uint64_t content_info, ReplyHandler reply) {
  if (readers_.erase(content_info) == 0) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  reply(Reply::success());
}

}  // namespace peerdist::service
