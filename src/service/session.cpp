#include "peerdist/service/session.hpp"

#include <cerrno>

#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "peerdist.h"
#include "peerdist/ipc/shared_buffer.hpp"
#include "peerdist/service/publication_service.hpp"

namespace peerdist::service {
namespace {

std::uint64_t next_session_id() {
  static std::uint64_t next = 1;  // network thread only
  return next++;
}

// The API major version of a PeerDistStartup request: its low byte (MAKEWORD/MAKELONG layout).
constexpr std::uint32_t api_major(std::uint32_t version) noexcept { return version & 0xFFU; }
constexpr std::uint32_t kSupportedApiMajor = 2;  // PEERDIST_VERSION is MAKELONG(2, 0)

}  // namespace

Session::Session(Socket socket, PublicationService& service, SessionOptions options,
                 ClosedHandler on_closed)
    : socket_(std::move(socket)),
      service_(service),
      options_(std::move(options)),
      on_closed_(std::move(on_closed)),
      id_(next_session_id()),
      flush_timer_(socket_.get_executor()),
      read_buffer_(kReadChunk) {}

Session::~Session() {
  if (instance_) instance_->end();
}

void Session::start() {
  boost::system::error_code ec;
  socket_.native_non_blocking(true, ec);
  if (ec) return close("cannot make the socket non-blocking: " + ec.message());
  auto credentials = ipc::peer_credentials(socket_.native_handle());
  if (!credentials) return close("SO_PEERCRED failed: " + credentials.error().message());
  peer_ = *credentials;
  spdlog::debug("connection {}: {}", id_, who());
  wait_readable();
}

std::string Session::who() const {
  if (!peer_) return "connection " + std::to_string(id_);
  return "connection " + std::to_string(id_) + " (uid " + std::to_string(peer_->uid) + ", pid " +
         std::to_string(peer_->pid) + ")";
}

// ---------------------------------------------------------------------------------------------
// Reading

void Session::wait_readable() {
  // Read more only once everything read has been handled: the inbox never holds more than
  // one read's worth of frames.
  if (closed_ || reading_ || shutting_down_ || !inbox_.empty()) return;
  reading_ = true;
  socket_.async_wait(Socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& error) {
                       self->on_readable(error);
                     });
}

void Session::on_readable(const boost::system::error_code& error) {
  reading_ = false;
  if (closed_ || shutting_down_) return;
  if (error) return close("wait failed: " + error.message());
  auto received = ipc::recv_with_fd(socket_.native_handle(), read_buffer_);
  if (!received) {
    if (received.error() == std::errc::resource_unavailable_try_again ||
        received.error() == std::errc::operation_would_block) {
      return wait_readable();
    }
    return close("read failed: " + received.error().message());
  }
  if (received->extra_fds) return violation("more than one descriptor");
  ipc::UniqueFd fd;
  if (received->fd) fd = std::move(*received->fd);
  if (fd) {
    if (!hello_received_ && assembler_.consumed() == 0 && !hello_fd_.valid()) {
      // The shared buffer comes with the first byte of Hello, the first frame (docs/ipc.md,
      // "Shared buffer").
      hello_fd_ = std::move(fd);
    } else if (!hello_done_) {
      return violation("a descriptor that did not come with Hello");
    }
  }
  if (received->bytes == 0) {
    if (assembler_.mid_frame()) {
      spdlog::warn("{}: closed in the middle of a frame", who());
    }
    return close("closed by the client");
  }
  // This read's frames, each with the descriptor that came with it, if any.
  const bool continues_frame = assembler_.mid_frame();
  std::vector<std::pair<ipc::Frame, ipc::UniqueFd>> frames;
  std::span<const std::uint8_t> input(read_buffer_.data(), received->bytes);
  while (!input.empty()) {
    auto frame = assembler_.next(input);
    if (!frame) return violation(frame.error().message());
    if (!*frame) break;
    frames.emplace_back(std::move(**frame), ipc::UniqueFd());
  }
  if (continues_frame && !frames.empty() && next_frame_fd_) {
    frames.front().second = std::move(next_frame_fd_);  // it came with this frame's start
  }
  if (fd) {
    // A file piece's (docs/ipc.md, "File pieces"). recvmsg stops right after the bytes a
    // descriptor came with, and the client sends the frame it goes with whole: so it came with
    // the last frame that starts in this read.
    if (assembler_.mid_frame() && (!frames.empty() || !continues_frame)) {
      next_frame_fd_ = std::move(fd);  // the frame still being assembled
    } else if (!frames.empty() && (frames.size() > 1 || !continues_frame)) {
      frames.back().second = std::move(fd);
    } else {
      return violation("a descriptor that came with no frame's start");
    }
  }
  for (auto& [frame, frame_fd] : frames) {
    // AddFileToStream, and only it, comes with a descriptor; handle_request takes them in order.
    const bool file_piece = frame.header.type == ipc::MessageType::add_file_to_stream;
    if (file_piece && !frame_fd) return violation("AddFileToStream without a descriptor");
    if (!file_piece && frame_fd) {
      return violation("a descriptor with a frame other than AddFileToStream");
    }
    if (file_piece) file_fds_.push_back(std::move(frame_fd));
    inbox_.push_back(std::move(frame));
  }
  dispatch();
  wait_readable();
}

// ---------------------------------------------------------------------------------------------
// Requests

void Session::dispatch() {
  if (dispatching_) return;
  dispatching_ = true;
  while (!closed_ && !shutting_down_ && !synchronous_busy_ && !inbox_.empty() &&
         outstanding_ < kMaxOutstanding) {
    ipc::Frame frame = std::move(inbox_.front());
    inbox_.pop_front();
    handle(std::move(frame));
  }
  dispatching_ = false;
  wait_readable();
}

void Session::handle(ipc::Frame frame) {
  const ipc::MessageType type = frame.header.type;
  if (!ipc::is_request(type)) {
    return violation("a daemon message (" + std::string(ipc::name(type)) + ") from a client");
  }
  auto message = ipc::decode(frame);
  if (!message) return violation(message.error().message());
  const std::uint64_t request_id = frame.header.request_id;
  if (!hello_done_) {
    const auto* hello = std::get_if<ipc::Hello>(&*message);
    if (hello == nullptr || hello_received_) {
      return violation(std::string(ipc::name(type)) + " before a successful Hello");
    }
    return handle_hello(request_id, *hello);
  }
  if (type == ipc::MessageType::hello) return violation("a second Hello");
  ++outstanding_;
  handle_request(request_id, std::move(*message));
}

void Session::handle_hello(std::uint64_t request_id, const ipc::Hello& hello) {
  hello_received_ = true;
  ipc::UniqueFd fd = std::move(hello_fd_);
  if (hello.shared_buffer_size > 0 && !fd.valid()) {
    return violation("Hello announces a shared buffer but no descriptor came");
  }
  if (hello.shared_buffer_size == 0 && fd.valid()) {
    return violation("a descriptor came with a Hello that announces no shared buffer");
  }
  ipc::HelloReply reply;
  reply.status = ERROR_SUCCESS;
  reply.protocol = ipc::kProtocolVersion;
  reply.api_version = PEERDIST_VERSION;
  reply.service_status = service_.status().status;
  reply.min_ci_version = service_.status().min_ci_version;
  reply.max_ci_version = service_.status().max_ci_version;
  reply.service_version = options_.service_version;

  std::shared_ptr<const ipc::SharedBuffer> shared;
  if (hello.min_protocol > ipc::kProtocolVersion || hello.max_protocol < ipc::kProtocolVersion) {
    spdlog::warn("{}: no common protocol (client speaks {}..{}, we {})", who(),
                 hello.min_protocol, hello.max_protocol, ipc::kProtocolVersion);
    reply.status = PEERDIST_ERROR_VERSION_UNSUPPORTED;
  } else if (api_major(hello.api_version) > kSupportedApiMajor) {
    spdlog::info("{}: API version {:#x} requested, {:#x} supported", who(), hello.api_version,
                 static_cast<std::uint32_t>(PEERDIST_VERSION));
    reply.status = PEERDIST_ERROR_VERSION_UNSUPPORTED;
  } else if (hello.shared_buffer_size > options_.max_shared_buffer) {
    spdlog::warn("{}: shared buffer of {} bytes refused (limits.max_shared_buffer is {})", who(),
                 hello.shared_buffer_size, options_.max_shared_buffer);
    reply.status = ERROR_INVALID_PARAMETER;
  } else if (fd.valid()) {
    auto buffer = ipc::SharedBuffer::open_received(std::move(fd), hello.shared_buffer_size);
    if (!buffer) {
      spdlog::warn("{}: shared buffer refused: {}", who(), buffer.error().message());
      reply.status = ERROR_INVALID_PARAMETER;
    } else {
      shared = std::make_shared<const ipc::SharedBuffer>(std::move(*buffer));
    }
  }
  if (reply.status != ERROR_SUCCESS) {
    // docs/ipc.md rule 1: after a failed HelloReply the daemon closes the connection.
    reply.service_status = 0;
    reply.min_ci_version = 0;
    reply.max_ci_version = 0;
    send(request_id, reply, false);
    shutting_down_ = true;
    close_after_flush_ = true;
    return;
  }
  std::weak_ptr<Session> weak = weak_from_this();
  instance_ = service_.create_instance(
      peer_ ? peer_->uid : 0, std::move(shared), [weak](const ServiceStatus& status) {
        if (auto self = weak.lock()) {
          self->send(0,
                     ipc::StatusChanged{status.status, status.min_ci_version,
                                        status.max_ci_version},
                     false);
        }
      });
  hello_done_ = true;
  spdlog::debug("{}: hello, api version {:#x}, shared buffer {} bytes, instance {}", who(),
                hello.api_version, hello.shared_buffer_size, instance_->id());
  send(request_id, reply, false);
}

ReplyHandler Session::reply_to(std::uint64_t request_id, bool synchronous) {
  if (synchronous) synchronous_busy_ = true;
  return [weak = weak_from_this(), request_id, synchronous](Reply reply) {
    auto self = weak.lock();
    if (!self) return;
    self->send_result(request_id, std::move(reply));
    if (synchronous) {
      self->synchronous_busy_ = false;
      self->dispatch();
    }
  };
}

void Session::handle_request(std::uint64_t request_id, ipc::Message message) {
  Instance& instance = *instance_;
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, ipc::GetStatus>) {
          send_result(request_id, instance.get_status());
        } else if constexpr (std::is_same_v<M, ipc::RegisterStatusNotification>) {
          instance.register_status_notification(request_id, m.baseline_status,
                                                reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::UnregisterStatusNotification>) {
          instance.unregister_status_notification(reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::Cancel>) {
          instance.cancel(m.target_request_id, reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::Shutdown>) {
          // Its Result is the last frame (rule 7): nothing after it is read or handled.
          shutting_down_ = true;
          inbox_.clear();
          instance.shutdown([weak = weak_from_this(), request_id](Reply reply) {
            if (auto self = weak.lock()) {
              self->send_result(request_id, std::move(reply));
              self->close_after_flush_ = true;
              self->write();
            }
          });
        } else if constexpr (std::is_same_v<M, ipc::ServiceInfo>) {
          if (options_.service_info) {
            options_.service_info(reply_to(request_id, true));
          } else {
            send_result(request_id, Reply::failure(ERROR_INVALID_PARAMETER));
          }
        } else if constexpr (std::is_same_v<M, ipc::PublishStream>) {
          instance.publish_stream(m, reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::AddToStream>) {
          instance.add_to_stream(request_id, std::move(m), reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::AddFileToStream>) {
          // Its descriptor is the first waiting (on_readable checked each frame has one).
          if (file_fds_.empty()) return violation("AddFileToStream without a descriptor");
          ipc::UniqueFd fd = std::move(file_fds_.front());
          file_fds_.pop_front();
          instance.add_file_to_stream(request_id, m, std::move(fd), reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::CompleteStream>) {
          instance.complete_stream(request_id, m.stream, reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::CloseStream>) {
          instance.close_stream(m.stream, reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::Unpublish>) {
          instance.unpublish(m.content_id, reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::OpenContentInformation>) {
          instance.open_content_information(m, reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::RetrieveContentInformation>) {
          instance.retrieve_content_information(m.content_info, m.max_bytes,
                                                reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::CloseContentInformation>) {
          instance.close_content_information(m.content_info, reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::OpenContent>) {
          instance.open_content(m, reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::CloseContent>) {
          instance.close_content(m.content, reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::AddContentInformation>) {
          instance.add_content_information(request_id, std::move(m), reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::CompleteContentInformation>) {
          instance.complete_content_information(request_id, m.content,
                                                reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::AddData>) {
          instance.add_data(request_id, std::move(m), reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::BlockRead>) {
          instance.block_read(request_id, m, reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::StreamRead>) {
          instance.stream_read(request_id, m, reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::FlushContent>) {
          instance.flush_content(request_id, m, reply_to(request_id, false));
        } else if constexpr (std::is_same_v<M, ipc::GetClientInformation>) {
          instance.get_client_information(m, reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::CacheInfo>) {
          instance.cache_info(reply_to(request_id, true));
        } else if constexpr (std::is_same_v<M, ipc::CacheClear>) {
          instance.cache_clear(reply_to(request_id, true));
        } else {
          // Hello was handled before; the daemon's own messages were refused by type.
          violation("an unexpected message");
        }
      },
      message);
}

// ---------------------------------------------------------------------------------------------
// Writing

void Session::send_result(std::uint64_t request_id, Reply reply) {
  if (closed_) return;
  ipc::Result result;
  result.status = reply.status;
  result.value = reply.value;
  result.bytes = reply.bytes;
  // The data goes out as it lies (scatter/gather), after the frame's head: not copied.
  try {
    outbox_.push_back(Outgoing{ipc::encode_result_head(request_id, result, reply.data_size()), true,
                               std::move(reply.data), std::move(reply.pieces)});
  } catch (const std::exception& e) {
    // Data past its cap: a bug of ours, not the client's; this connection cannot go on.
    spdlog::error("{}: cannot encode a Result: {}", who(), e.what());
    return close("internal error");
  }
  write();
}

void Session::send(std::uint64_t request_id, const ipc::Message& message, bool result) {
  if (closed_) return;
  try {
    outbox_.push_back(Outgoing{ipc::encode_frame(request_id, message), result, {}, {}});
  } catch (const std::exception& e) {
    // A field past its cap: a bug of ours, not the client's; this connection cannot go on.
    spdlog::error("{}: cannot encode {}: {}", who(), ipc::name(ipc::type_of(message)), e.what());
    return close("internal error");
  }
  write();
}

void Session::write() {
  if (writing_ || closed_) return;
  if (outbox_.empty()) {
    if (close_after_flush_) close("shut down");
    return;
  }
  std::vector<boost::asio::const_buffer> buffers;
  const std::size_t frames = std::min(outbox_.size(), kMaxFramesPerWrite);
  buffers.reserve(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    const Outgoing& out = outbox_[i];
    buffers.emplace_back(boost::asio::buffer(out.bytes));
    if (!out.data.empty()) buffers.emplace_back(boost::asio::buffer(out.data));
    for (const ReplyPiece& piece : out.pieces) {
      if (!piece.bytes.empty()) buffers.emplace_back(piece.bytes.data(), piece.bytes.size());
    }
  }
  writing_ = true;
  boost::asio::async_write(
      socket_, buffers,
      [self = shared_from_this(), frames](const boost::system::error_code& error, std::size_t) {
        self->on_written(error, frames);
      });
}

void Session::on_written(const boost::system::error_code& error, std::size_t frames) {
  writing_ = false;
  if (closed_) return;
  if (error) return close("write failed: " + error.message());
  for (std::size_t i = 0; i < frames; ++i) {
    if (outbox_.front().result) --outstanding_;
    outbox_.pop_front();
  }
  write();
  dispatch();
}

// ---------------------------------------------------------------------------------------------
// Ending

void Session::violation(std::string_view what) {
  spdlog::warn("{}: protocol violation: {}; closing the connection", who(), what);
  close("protocol violation");
}

void Session::close_gracefully() {
  if (closed_) return;
  shutting_down_ = true;
  close_after_flush_ = true;
  inbox_.clear();
  flush_timer_.expires_after(kFlushTimeout);
  flush_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    if (error) return;
    if (auto self = weak.lock()) self->close("the client did not take its last frames in time");
  });
  write();
}

void Session::close(std::string_view why) {
  if (closed_) return;
  closed_ = true;
  spdlog::debug("{}: closed: {}", who(), why);
  outbox_.clear();
  inbox_.clear();
  hello_fd_.reset();
  next_frame_fd_.reset();
  file_fds_.clear();
  // PeerDistShutdown semantics; the replies it produces go nowhere (closed_).
  if (instance_) {
    instance_->end();
    instance_.reset();
  }
  boost::system::error_code ignored;
  flush_timer_.cancel();
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (on_closed_) {
    ClosedHandler handler = std::move(on_closed_);
    on_closed_ = nullptr;
    handler(*this);
  }
}

}  // namespace peerdist::service
