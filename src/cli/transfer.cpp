#include "transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>
#include <nlohmann/json.hpp>
#include <utility>

#include "peerdist/crypto/hash.hpp"

namespace peerdist::cli {
namespace {

// Pieces of the CI handed to AddContentInformation (the service takes them one at a time).
constexpr std::size_t kContentInformationPiece = std::size_t{1} << 20U;
// Each read asks for this much; the service answers with up to what it holds.
constexpr std::size_t kReadSize = std::size_t{1} << 20U;

// The service's byte counters (ServiceInfo JSON), to say where the bytes came from. Missing
// keys read as 0: the counters are informative, never a reason to fail.
struct Counters {
  std::uint64_t from_cache = 0;
  std::uint64_t from_peers = 0;
};
Counters read_counters(const Instance& instance) {
  Counters counters;
  auto info = instance.service_info();
  if (!info) return counters;
  const auto json = nlohmann::json::parse(*info, nullptr, false);
  if (!json.is_object()) return counters;
  const auto number = [&json](const char* key) -> std::uint64_t {
    const auto& value = json.value(key, nlohmann::json());
    return value.is_number_unsigned() ? value.get<std::uint64_t>() : 0;
  };
  counters.from_cache = number("bytes_from_cache");
  counters.from_peers = number("bytes_from_peers");
  return counters;
}

struct PendingRead {
  std::vector<std::uint8_t> buffer;
  std::future<ReadResult> result;
  // BlockRead mode: where this read asked (a short answer asks again for the rest).
  std::uint64_t offset = 0;
};

TransferError service_failure(const std::string& what, const std::error_code& error) {
  // Disabled by policy is the administrator saying "no BranchCache here": like no service.
  return {what + ": " + describe_service_error(error),
          error.value() == PEERDIST_ERROR_SERVICE_UNAVAILABLE ||
              error.value() == ERROR_ACCESS_DISABLED_BY_POLICY};
}

std::vector<pccrc::ByteRange> merged(std::vector<pccrc::ByteRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const auto& a, const auto& b) { return a.start < b.start; });
  std::vector<pccrc::ByteRange> out;
  for (const auto& r : ranges) {
    if (!out.empty() && out.back().end >= r.start) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace

std::string describe_service_error(const std::error_code& error) {
  std::string text = error.message();
  if (error.value() == PEERDIST_ERROR_SERVICE_UNAVAILABLE) {
    text += " (is peerdistd running? PEERDIST_SOCKET names its socket)";
  }
  return text;
}

Expected<OutputFile, std::string> OutputFile::create(const std::string& path,
                                                     const std::string& temporary,
                                                     std::optional<std::uint64_t> size) {
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Unexpected(temporary + ": " + std::strerror(errno));
  OutputFile file(fd, path, temporary);
  if (size && ::ftruncate(fd, static_cast<off_t>(*size)) != 0) {
    return Unexpected(temporary + ": " + std::strerror(errno));
  }
  return file;
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      temporary_(std::move(other.temporary_)),
      appended_(other.appended_) {}

OutputFile::~OutputFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temporary_.c_str());
  }
}

Expected<void, std::string> OutputFile::write_at(std::uint64_t position,
                                                 std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const auto n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(position));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unexpected(temporary_ + ": " + std::strerror(errno));
    data = data.subspan(static_cast<std::size_t>(n));
    position += static_cast<std::uint64_t>(n);
  }
  return {};
}

Expected<void, std::string> OutputFile::append(std::span<const std::uint8_t> data) {
  auto written = write_at(appended_, data);
  if (written) appended_ += data.size();
  return written;
}

Expected<void, std::string> OutputFile::commit() {
  if (::fsync(fd_) != 0 || ::close(std::exchange(fd_, -1)) != 0) {
    return Unexpected(temporary_ + ": " + std::strerror(errno));
  }
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
    return Unexpected(path_ + ": " + std::strerror(errno));
  }
  return {};
}

Expected<TransferResult, TransferError> transfer(Instance& instance,
                                                 std::span<const std::uint8_t> ci_bytes,
                                                 const pccrc::ContentInformation& ci,
                                                 Origin* origin, OutputFile& output,
                                                 const TransferOptions& options) {
  const pccrc::ByteRange range = ci.range;
  const Counters before = read_counters(instance);

  // The tag labels what this transfer adds to the cache: the CI's own hash, so getting the
  // same content again uses the same tag and `FlushContent` of it removes it.
  ContentTag tag{};
  const auto digest = crypto::hash(crypto::HashAlgorithm::sha256, ci_bytes);
  std::copy_n(digest.bytes().begin(), tag.size(), tag.begin());
  auto content = instance.open_content(tag);
  if (!content) return Unexpected(service_failure("opening the content", content.error()));
  for (std::size_t at = 0; at < ci_bytes.size(); at += kContentInformationPiece) {
    const auto piece =
        ci_bytes.subspan(at, std::min(kContentInformationPiece, ci_bytes.size() - at));
    if (auto error = content->add_content_information(piece).get()) {
      return Unexpected(service_failure("adding the content information", error));
    }
  }
  if (auto error = content->complete_content_information().get()) {
    return Unexpected(service_failure("completing the content information", error));
  }

  Progress progress(options.label, range.length(), options.progress);
  TransferResult result;
  std::deque<PendingRead> window;
  bool at_end = false;
  std::uint64_t from_service = 0;
  std::uint64_t done = 0;
  const auto fail = [](std::string message) {
    return Unexpected(TransferError{std::move(message), false});
  };
  // BlockRead mode walks the content itself: `next` is the first offset not yet asked for,
  // and a read answered short asks again for the rest of its piece.
  std::uint64_t next = range.start;
  const auto reads_started = std::chrono::steady_clock::now();
  // The buffers of finished reads, for the next ones: a read is often answered with one
  // 64 KiB block, and a fresh zero-filled buffer of kReadSize for each cost more CPU than
  // everything else this process does.
  std::vector<std::vector<std::uint8_t>> spare;
  const auto buffer_of = [&](std::size_t length) {
    std::vector<std::uint8_t> buffer;
    if (!spare.empty()) {
      buffer = std::move(spare.back());
      spare.pop_back();
    }
    buffer.resize(length);  // from a spare of kReadSize: no allocation, no fill
    return buffer;
  };
  const auto issue_at = [&](std::uint64_t offset, std::size_t length) {
    PendingRead read{buffer_of(length), {}, offset};
    read.result = content->block_read(offset, read.buffer, options.timeout);
    window.push_back(std::move(read));
  };
  const auto issue = [&] {
    if (options.block_reads) {
      if (next >= range.end) return;
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kReadSize, range.end - next));
      issue_at(next, n);
      next += n;
      return;
    }
    PendingRead read{buffer_of(kReadSize), {}, 0};
    read.result = content->stream_read(read.buffer, options.timeout);
    window.push_back(std::move(read));
  };
  while (!at_end && window.size() < std::max(1U, options.window)) {
    const auto queued = window.size();
    issue();
    if (window.size() == queued) break;
  }

  // Progress while the origin fills a missing range: `done` when it began, and where it began.
  std::uint64_t origin_base = 0;
  std::uint64_t origin_start = 0;
  const OriginSink sink = [&](std::uint64_t at,
                              std::span<const std::uint8_t> bytes) -> Expected<void, std::string> {
    if (auto error = content->add_data(at, bytes).get()) {
      return Unexpected("the origin's bytes at " + std::to_string(at) +
                        " were refused: " + describe_service_error(error) +
                        " (does the origin hold the content this CI describes?)");
    }
    auto written = output.write_at(at - range.start, bytes);
    if (!written) return written;
    result.from_origin += bytes.size();
    progress.update(origin_base + (at + bytes.size() - origin_start));
    return {};
  };

  while (!window.empty()) {
    PendingRead read = std::move(window.front());
    window.pop_front();
    const ReadResult got = read.result.get();
    if (got.end()) {
      at_end = true;
    } else if (got.ok()) {
      if (got.offset < range.start || got.offset + got.bytes > range.end ||
          got.bytes > read.buffer.size() || got.bytes == 0 ||
          (options.block_reads && got.offset != read.offset)) {
        return fail("the service answered a read outside the content; giving up");
      }
      if (!result.first_byte_seconds) {
        result.first_byte_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - reads_started).count();
      }
      auto written =
          output.write_at(got.offset - range.start, std::span(read.buffer).first(got.bytes));
      if (!written) return fail(written.error());
      from_service += got.bytes;
      done += got.bytes;
      if (options.block_reads && got.bytes < read.buffer.size()) {
        issue_at(read.offset + got.bytes, read.buffer.size() - static_cast<std::size_t>(got.bytes));
      }
    } else if (got.missing()) {
      // A BlockRead's missing range may run past the piece it asked for (to the next cached
      // byte): only the piece is this read's to fill; later pieces have reads of their own.
      const std::uint64_t limit =
          options.block_reads ? read.offset + read.buffer.size() : range.end;
      const std::uint64_t end = std::min(limit, got.offset + got.bytes);
      if (got.offset < range.start || end <= got.offset ||
          (options.block_reads && got.offset != read.offset)) {
        return fail("the service reported a missing range outside the content; giving up");
      }
      if (origin == nullptr) {
        result.unavailable.push_back({got.offset, end});
      } else if (options.retry_missing && options.timeout != kReadLocalCacheOnly) {
        // A second chance for the peers, a piece at a time; what is still missing then goes
        // to the origin.
        for (std::uint64_t at = got.offset; at < end;) {
          std::vector<std::uint8_t> buffer(
              static_cast<std::size_t>(std::min<std::uint64_t>(kReadSize, end - at)));
          const ReadResult again = content->block_read(at, buffer, options.timeout).get();
          if (again.ok() && again.offset == at && again.bytes > 0 && again.bytes <= buffer.size()) {
            auto written = output.write_at(at - range.start, std::span(buffer).first(again.bytes));
            if (!written) return fail(written.error());
            from_service += again.bytes;
            at += again.bytes;
          } else if (again.missing() && again.offset == at) {
            const std::uint64_t missing_end =
                std::min(end, at + std::max<std::uint64_t>(1, again.bytes));
            origin_base = done + (at - got.offset);
            origin_start = at;
            auto read_origin = origin->read({at, missing_end}, sink);
            if (!read_origin) return fail(read_origin.error());
            at = missing_end;
          } else {
            return Unexpected(service_failure("reading again", again.error));
          }
          progress.update(done + (at - got.offset));
        }
      } else {
        origin_base = done;
        origin_start = got.offset;
        auto read_origin = origin->read({got.offset, end}, sink);
        if (!read_origin) return fail(read_origin.error());
      }
      done += end - got.offset;
    } else {
      return Unexpected(service_failure("reading", got.error));
    }
    progress.update(done);
    spare.push_back(std::move(read.buffer));
    if (!at_end) issue();
  }
  progress.finish();

  result.unavailable = merged(std::move(result.unavailable));
  const Counters after = read_counters(instance);
  result.from_peers = after.from_peers - std::min(after.from_peers, before.from_peers);
  result.from_cache = from_service - std::min(from_service, result.from_peers);
  return result;
}

}  // namespace peerdist::cli
