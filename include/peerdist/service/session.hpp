// One client connection: the local protocol (docs/ipc.md) on one Unix stream socket, turned
// into calls on an API Instance and back into Result frames.
//
// * Reading: the socket is waited on for readability, then read with ipc::recv_with_fd, so
//   that the shared buffer's descriptor is received with the Hello frame and a descriptor on
//   any other frame is caught (Asio's own reads would drop it).
// * Requests are handled in arrival order; a synchronous one is finished (its Result queued)
//   before the next is started (rule 3). Results are written in the order they are produced,
//   which is what makes "cancelled first, then the canceller" (rule 4) hold on the wire.
// * Flow control: at most kMaxOutstanding requests may be started and not yet answered on the
//   wire; beyond that the session stops reading, so a client that sends faster than it reads
//   cannot make the daemon queue unbounded data (inline pieces, 4 MiB CI pieces).
// * A protocol violation closes this connection only, with a warning in the log; its end is
//   PeerDistShutdown's (its pending operations aborted, its non-persistent publications gone).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "peerdist/ipc/frame.hpp"
#include "peerdist/ipc/messages.hpp"
#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/ipc/unix_socket.hpp"
#include "peerdist/service/instance.hpp"
#include "peerdist/service/reply.hpp"

namespace peerdist::service {

class PublicationService;

struct SessionOptions {
  std::uint64_t max_shared_buffer = 0;  // larger shared buffers are refused
  std::string service_version;          // HelloReply.service_version
  // Answers ServiceInfo (the JSON in Reply::data); none: ERROR_INVALID_PARAMETER.
  std::function<void(ReplyHandler)> service_info;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;
  using ClosedHandler = std::function<void(Session&)>;

  // Requests started and not yet written back: with 4 MiB pieces, at most 32 MiB of a
  // client's data is held for it, while 8 pieces in flight keep the hashing pipeline fed.
  static constexpr std::size_t kMaxOutstanding = 8;
  // Bytes read from the socket at a time, and what an idle connection costs: a 4 MiB inline
  // piece takes 64 reads, noise beside hashing it.
  static constexpr std::size_t kReadChunk = 64 * 1024;
  // Frames gathered into one write.
  static constexpr std::size_t kMaxFramesPerWrite = 64;
  // How long a stopping daemon waits for a client to take its last frames.
  static constexpr std::chrono::seconds kFlushTimeout{2};

  Session(Socket socket, PublicationService& service, SessionOptions options,
          ClosedHandler on_closed);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  // The daemon is stopping: no more requests; what is queued is sent (for at most
  // kFlushTimeout), then the connection is closed.
  void close_gracefully();
  // Closes now (idempotent); the instance ends.
  void close(std::string_view why);

  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  [[nodiscard]] bool closed() const noexcept { return closed_; }

 private:
  struct Outgoing {
    std::vector<std::uint8_t> bytes;
    bool result = false;  // answers a request (counts against kMaxOutstanding until written)
    // Sent after `bytes`, as they are: a Result's data (Reply::data, then its pieces).
    std::vector<std::uint8_t> data;
    std::vector<ReplyPiece> pieces;
  };

  void wait_readable();
  void on_readable(const boost::system::error_code& error);
  void dispatch();
  void handle(ipc::Frame frame);
  void handle_hello(std::uint64_t request_id, const ipc::Hello& hello);
  void handle_request(std::uint64_t request_id, ipc::Message message);
  [[nodiscard]] ReplyHandler reply_to(std::uint64_t request_id, bool synchronous);
  void send(std::uint64_t request_id, const ipc::Message& message, bool result);
  void send_result(std::uint64_t request_id, Reply reply);
  void write();
  void on_written(const boost::system::error_code& error, std::size_t frames);
  void violation(std::string_view what);
  [[nodiscard]] std::string who() const;

  Socket socket_;
  PublicationService& service_;
  SessionOptions options_;
  ClosedHandler on_closed_;
  std::uint64_t id_;
  boost::asio::steady_timer flush_timer_;

  std::optional<ipc::PeerCredentials> peer_;
  std::shared_ptr<Instance> instance_;

  std::vector<std::uint8_t> read_buffer_;
  ipc::FrameAssembler assembler_;
  ipc::UniqueFd hello_fd_;  // the shared buffer, received with Hello's bytes
  // File pieces' descriptors: one that came with the start of the frame being assembled, and
  // those of the AddFileToStream frames in inbox_, in order.
  ipc::UniqueFd next_frame_fd_;
  std::deque<ipc::UniqueFd> file_fds_;
  std::deque<ipc::Frame> inbox_;  // read, not yet handled
  bool reading_ = false;
  bool hello_received_ = false;
  bool hello_done_ = false;
  bool synchronous_busy_ = false;  // a synchronous request awaits its reply
  bool dispatching_ = false;
  bool shutting_down_ = false;     // Shutdown received, or the daemon is stopping
  std::size_t outstanding_ = 0;

  std::deque<Outgoing> outbox_;
  bool writing_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
};

}  // namespace peerdist::service
