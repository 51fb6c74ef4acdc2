// Instance::publish_file: a file published with no copy in the library.
//
// * A regular file opened read-only on a local filesystem (ipc::file_piece_source) is read by
//   the daemon itself: the library sends ranges of it with its descriptor (AddFileToStream,
//   docs/ipc.md "File pieces"), and the daemon maps and hashes them in place, as `peerdist
//   hash` does. No byte of the file crosses the socket or the shared ring.
// * Anything else (a pipe, a file on FUSE or NFS, a daemon that refuses the file) is read
//   straight into buffers of the shared ring, handed to the daemon where they lie, with several
//   pieces in flight (the ring's size bounds them), so reading the file and the daemon's
//   hashing overlap.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>

#include "peerdist/ipc/file_piece.hpp"
#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/peerdist.hpp"

#include "core/instance.hpp"
#include "core/policy.hpp"
#include "cxx/completion.hpp"

namespace peerdist {
namespace {

// One read() per ring buffer: the largest buffer, so a piece is a few MiB of the file.
constexpr std::size_t kFilePiece = PublicationStream::kMaxBufferSize;

// Reads until `out` is full or the end of the file; the bytes read, or an errno error.
Expected<std::size_t, std::error_code> read_full(int fd, std::span<std::uint8_t> out) {
  std::size_t filled = 0;
  while (filled < out.size()) {
    const ssize_t n = ::read(fd, out.data() + filled, out.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected(std::error_code(errno, std::generic_category()));
    }
    if (n == 0) break;
    filled += static_cast<std::size_t>(n);
  }
  return filled;
}

// What the adds in flight report back (on the receiver thread) to the publishing thread.
struct Pipeline {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t in_flight = 0;
  std::uint64_t done = 0;
  std::error_code error;  // the first failure
};

// File ranges the daemon reads itself, in flight at once: the daemon handles 8 requests of a
// connection at a time (more wait in the socket), and 8 x 32 MiB keep its hashing busy.
constexpr std::size_t kFileAddsInFlight = 8;

}  // namespace

std::error_code Instance::publish_file(int fd, std::span<const std::uint8_t> content_id,
                                       const PublishOptions& options, const Progress& progress) {
  PublishOptions effective = options;
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const off_t position = regular ? ::lseek(fd, 0, SEEK_CUR) : -1;
  const std::uint64_t file_length =
      position >= 0 && st.st_size > position ? static_cast<std::uint64_t>(st.st_size - position)
                                             : 0;
  if (effective.content_length == 0) {
    // The service then checks that it got exactly the file (docs/api.md, AddToStream).
    effective.content_length = file_length;
  }
  auto stream = publish(content_id, effective);
  if (!stream) return stream.error();

  // The daemon reads the file itself: [position, position + file_length) of it, in ranges of
  // kFilePieceSize. A file that shrinks meanwhile fails the publication (the daemon refuses a
  // range past the end, or finds the pages gone while it hashes them); one that grows is
  // published up to the size it had here. The descriptor is a duplicate of our own, so that
  // the sender thread may send it whatever the caller does with theirs after a failure.
  ipc::UniqueFd own_fd;
  if (file_length > 0 && ipc::file_piece_source(fd)) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): fcntl is variadic by definition
    own_fd = ipc::UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  }
  if (own_fd) {
    const auto shared_fd = std::make_shared<const ipc::UniqueFd>(std::move(own_fd));
    const auto start = static_cast<std::uint64_t>(position);
    auto pipeline = std::make_shared<Pipeline>();
    std::uint64_t reported = 0;
    std::error_code error;
    for (std::uint64_t at = 0; at < file_length && !error;) {
      const std::uint64_t n = std::min<std::uint64_t>(api::policy::kFilePieceSize, file_length - at);
      {
        std::unique_lock lock(pipeline->mutex);
        pipeline->changed.wait(
            lock, [&] { return pipeline->error || pipeline->in_flight < kFileAddsInFlight; });
        if (pipeline->error) break;
        ++pipeline->in_flight;
        if (progress && pipeline->done != reported) {
          reported = pipeline->done;
          lock.unlock();
          progress(reported, effective.content_length);
        }
      }
      error = cxx::started(stream->instance_->add_file_to_stream(
          stream->stream_, shared_fd, start + at, n,
          cxx::completer_for([pipeline](std::error_code e, std::size_t bytes) {
            {
              const std::lock_guard lock(pipeline->mutex);
              --pipeline->in_flight;
              pipeline->done += bytes;
              if (e && !pipeline->error) pipeline->error = e;
            }
            pipeline->changed.notify_all();
          })));
      if (error) {
        const std::lock_guard lock(pipeline->mutex);
        --pipeline->in_flight;
      }
      at += n;
    }
    std::uint64_t done = 0;
    {
      // Every add must be answered before CompleteStream; progress meanwhile.
      std::unique_lock lock(pipeline->mutex);
      while (pipeline->in_flight > 0) {
        pipeline->changed.wait(lock);
        if (progress && pipeline->done != reported) {
          reported = pipeline->done;
          lock.unlock();
          progress(reported, effective.content_length);
          lock.lock();
        }
      }
      if (!error) error = pipeline->error;
      done = pipeline->done;
    }
    if (!error) {
      if (progress && done != reported) progress(done, effective.content_length);
      // As after reading it: the file's position is at the end of what was published.
      ::lseek(fd, static_cast<off_t>(start + file_length), SEEK_SET);
      error = stream->complete().get();
      const std::error_code closed = stream->close();
      return error ? error : closed;
    }
    static_cast<void>(stream->close());  // nothing is published (docs/api.md)
    // ERROR_INVALID_PARAMETER before any byte: the daemon does not read this file (it cannot
    // map it, or it predates file pieces' rules of today); it gets the file copied instead, in
    // a new stream. Any other failure is the publication's.
    if (done != 0 || error != win32_error(ERROR_INVALID_PARAMETER)) return error;
    stream = publish(content_id, effective);
    if (!stream) return stream.error();
  }

  auto pipeline = std::make_shared<Pipeline>();
  std::uint64_t reported = 0;
  const auto report = [&](std::unique_lock<std::mutex>& lock) {
    if (!progress || pipeline->done == reported) return;
    reported = pipeline->done;
    lock.unlock();
    progress(reported, effective.content_length);
    lock.lock();
  };

  std::error_code error;
  for (bool more = true; more;) {
    {
      std::unique_lock lock(pipeline->mutex);
      if (pipeline->error) break;
      report(lock);
    }
    // Waits while the ring is full, i.e. until the daemon has consumed earlier pieces.
    auto buffer = stream->buffer(kFilePiece);
    if (!buffer) {
      error = buffer.error();
      break;
    }
    auto filled = read_full(fd, buffer->data());
    if (!filled) {
      error = filled.error();
      break;
    }
    if (*filled == 0) break;
    more = *filled == buffer->size();
    {
      const std::lock_guard lock(pipeline->mutex);
      ++pipeline->in_flight;
    }
    const std::error_code started =
        stream->add(std::move(*buffer), *filled, [pipeline](std::error_code e, std::size_t bytes) {
          {
            const std::lock_guard lock(pipeline->mutex);
            --pipeline->in_flight;
            pipeline->done += bytes;
            if (e && !pipeline->error) pipeline->error = e;
          }
          pipeline->changed.notify_all();
        });
    if (started) {
      const std::lock_guard lock(pipeline->mutex);
      --pipeline->in_flight;
      error = started;
      break;
    }
  }
  {
    // Every add must be answered before CompleteStream (and before the buffers go).
    std::unique_lock lock(pipeline->mutex);
    while (pipeline->in_flight > 0) {
      pipeline->changed.wait(lock);
      report(lock);
    }
    report(lock);
    if (!error) error = pipeline->error;
  }
  if (error) {
    static_cast<void>(stream->close());  // nothing is published (docs/api.md)
    return error;
  }
  error = stream->complete().get();
  const std::error_code closed = stream->close();
  return error ? error : closed;
}

std::error_code Instance::publish_file(const std::filesystem::path& path,
                                       std::span<const std::uint8_t> content_id,
                                       const PublishOptions& options, const Progress& progress) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open is variadic by definition
  ipc::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {errno, std::generic_category()};
  return publish_file(fd.get(), content_id, options, progress);
}

}  // namespace peerdist
