#include <algorithm>
#include <future>
#include <limits>
#include <memory>
#include <utility>

#include "peerdist/peerdist.hpp"

#include "core/completer.hpp"
#include "core/content_info_reader.hpp"
#include "core/instance.hpp"

namespace peerdist {
namespace {

// read_all's piece size: the largest piece the daemon sends (docs/ipc.md: 4 MiB), so a CI of
// any size takes as few round trips as possible.
constexpr std::size_t kReadAllPiece = std::size_t{4} * 1024 * 1024;

}  // namespace

ContentInformationReader::ContentInformationReader() noexcept = default;
ContentInformationReader::ContentInformationReader(
    std::shared_ptr<api::InstanceObject> instance,
    std::shared_ptr<api::ContentInfoObject> reader) noexcept
    : instance_(std::move(instance)), reader_(std::move(reader)) {}
ContentInformationReader::ContentInformationReader(ContentInformationReader&& other) noexcept =
    default;

ContentInformationReader& ContentInformationReader::operator=(
    ContentInformationReader&& other) noexcept {
  if (this != &other) {
    static_cast<void>(close());
    instance_ = std::move(other.instance_);
    reader_ = std::move(other.reader_);
  }
  return *this;
}

ContentInformationReader::~ContentInformationReader() {
  static_cast<void>(close());
}

PEERDIST_CONTENTINFO_HANDLE ContentInformationReader::native_handle() const noexcept {
  return reader_ == nullptr ? nullptr : reader_->handle;
}

std::error_code ContentInformationReader::next(
    std::span<std::uint8_t> out,
    std::function<void(std::error_code, ContentInformationPiece)> done) {
  if (!valid()) return win32_error(ERROR_INVALID_HANDLE);
  if (out.empty()) return win32_error(ERROR_INVALID_PARAMETER);
  const auto capacity =
      static_cast<DWORD>(std::min<std::size_t>(out.size(), std::numeric_limits<DWORD>::max()));
  api::Completer completer([done = std::move(done)](const api::OpResult& result) {
    if (!done) return;
    // The end of the content information is a value here, not an error (spec Q6).
    if (result.status == PEERDIST_ERROR_NO_MORE) {
      done({}, ContentInformationPiece{.offset = result.offset, .size = 0, .end = true});
      return;
    }
    done(win32_error(result.status),
         ContentInformationPiece{.offset = result.offset, .size = result.bytes, .end = false});
  });
  const DWORD error = instance_->retrieve(reader_, out.data(), capacity, std::move(completer));
  return error == ERROR_IO_PENDING ? std::error_code() : win32_error(error);
}

Expected<ContentInformationPiece, std::error_code> ContentInformationReader::next(
    std::span<std::uint8_t> out) {
  // Shared with the callback, which runs on the receiver thread and may still be inside
  // set_value when this thread wakes.
  auto promise =
      std::make_shared<std::promise<std::pair<std::error_code, ContentInformationPiece>>>();
  auto future = promise->get_future();
  const std::error_code error = next(out, [promise](std::error_code e, ContentInformationPiece p) {
    promise->set_value({e, p});
  });
  if (error) return Unexpected(error);
  const auto [result, piece] = future.get();
  if (result) return Unexpected(result);
  return piece;
}

Expected<std::vector<std::uint8_t>, std::error_code> ContentInformationReader::read_all() {
  std::vector<std::uint8_t> all;
  std::vector<std::uint8_t> piece(kReadAllPiece);
  for (;;) {
    auto got = next(piece);
    if (!got) return Unexpected(got.error());
    if (got->end) return all;
    all.insert(all.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(got->size));
  }
}

std::error_code ContentInformationReader::close() {
  if (!valid()) return {};
  const DWORD error = instance_->close_content_information(reader_->handle);
  reader_.reset();
  instance_.reset();
  return win32_error(error);
}

}  // namespace peerdist
