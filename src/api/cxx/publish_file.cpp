// Instance::publish_file: a file published with zero copies in the library. Each piece is read
// straight into a buffer of the shared ring and handed to the daemon where it lies, with
// several pieces in flight (the ring's size bounds them), so reading the file, copying nothing
// and the daemon's hashing overlap.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>

#include "peerdist/ipc/unique_fd.hpp"
#include "peerdist/peerdist.hpp"

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

}  // namespace

std::error_code Instance::publish_file(int fd, std::span<const std::uint8_t> content_id,
                                       const PublishOptions& options, const Progress& progress) {
  PublishOptions effective = options;
  struct stat st {};
  if (effective.content_length == 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    // The service then checks that it got exactly the file (docs/api.md, AddToStream).
    const off_t position = ::lseek(fd, 0, SEEK_CUR);
    if (position >= 0 && st.st_size > position) {
      effective.content_length = static_cast<std::uint64_t>(st.st_size - position);
    }
  }
  auto stream = publish(content_id, effective);
  if (!stream) return stream.error();

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
