// peerdist::ClientContent and the client calls of peerdist::Instance: the C++ forms of the
// client functions (spec §2.3), over the same instance as the C API.
#include <algorithm>
#include <chrono>
#include <future>
#include <limits>
#include <memory>
#include <utility>

#include "peerdist/peerdist.hpp"

#include "core/completer.hpp"
#include "core/content.hpp"
#include "core/instance.hpp"
#include "cxx/completion.hpp"

namespace peerdist {
namespace {

// dwTimeoutInMilliseconds is a DWORD: negative durations mean "do not wait" (the local cache
// only), longer ones are the longest the API can express (about 49.7 days, spec Q19).
DWORD timeout_ms(std::chrono::milliseconds timeout) noexcept {
  const auto count = timeout.count();
  if (count <= 0) return PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY;
  return static_cast<DWORD>(
      std::min<std::chrono::milliseconds::rep>(count, std::numeric_limits<DWORD>::max()));
}

// A synchronous error, or the read's completion, as a future.
template <typename Start>
std::future<ReadResult> read_future(Start&& start) {
  auto promise = std::make_shared<std::promise<ReadResult>>();
  auto future = promise->get_future();
  const std::error_code error =
      start([promise](const ReadResult& result) { promise->set_value(result); });
  if (error) promise->set_value(ReadResult{.error = error});
  return future;
}

}  // namespace

ClientContent::ClientContent() noexcept = default;
ClientContent::ClientContent(std::shared_ptr<api::InstanceObject> instance,
                             std::shared_ptr<api::ContentObject> content) noexcept
    : instance_(std::move(instance)), content_(std::move(content)) {}
ClientContent::ClientContent(ClientContent&& other) noexcept = default;

ClientContent& ClientContent::operator=(ClientContent&& other) noexcept {
  if (this != &other) {
    static_cast<void>(close());
    instance_ = std::move(other.instance_);
    content_ = std::move(other.content_);
  }
  return *this;
}

ClientContent::~ClientContent() {
  static_cast<void>(close());
}

PEERDIST_CONTENT_HANDLE ClientContent::native_handle() const noexcept {
  return content_ == nullptr ? nullptr : content_->handle;
}

ContentTag ClientContent::tag() const noexcept {
  return content_ == nullptr ? ContentTag{} : content_->tag;
}

std::error_code ClientContent::add_content_information(std::span<const std::uint8_t> data,
                                                       Completion done) {
  if (!valid()) return win32_error(ERROR_INVALID_HANDLE);
  // The completion reports bytes as a DWORD, as the C API does.
  if (data.size() > std::numeric_limits<DWORD>::max()) return win32_error(ERROR_INVALID_PARAMETER);
  return cxx::started(instance_->add_content_information(content_, data, nullptr,
                                                         cxx::completer_for(std::move(done))));
}

std::future<std::error_code> ClientContent::add_content_information(
    std::span<const std::uint8_t> data) {
  return cxx::as_future(
      [&](Completion done) { return add_content_information(data, std::move(done)); });
}

std::error_code ClientContent::complete_content_information(Completion done) {
  if (!valid()) return win32_error(ERROR_INVALID_HANDLE);
  return cxx::started(
      instance_->complete_content_information(content_, cxx::completer_for(std::move(done))));
}

std::future<std::error_code> ClientContent::complete_content_information() {
  return cxx::as_future(
      [&](Completion done) { return complete_content_information(std::move(done)); });
}

std::error_code ClientContent::add_data(std::uint64_t offset, std::span<const std::uint8_t> data,
                                        Completion done) {
  if (!valid()) return win32_error(ERROR_INVALID_HANDLE);
  if (data.size() > std::numeric_limits<DWORD>::max()) return win32_error(ERROR_INVALID_PARAMETER);
  return cxx::started(
      instance_->add_data(content_, offset, data, nullptr, cxx::completer_for(std::move(done))));
}

std::future<std::error_code> ClientContent::add_data(std::uint64_t offset,
                                                     std::span<const std::uint8_t> data) {
  return cxx::as_future([&](Completion done) { return add_data(offset, data, std::move(done)); });
}

std::error_code ClientContent::read(std::optional<std::uint64_t> offset,
                                    std::span<std::uint8_t> out, std::chrono::milliseconds timeout,
                                    ReadCompletion done) {
  if (!valid()) return win32_error(ERROR_INVALID_HANDLE);
  // A read answers at most 4 MiB (docs/ipc.md), so a larger buffer only means a partial read.
  const auto capacity =
      static_cast<DWORD>(std::min<std::size_t>(out.size(), std::numeric_limits<DWORD>::max()));
  api::Completer completer([done = std::move(done)](const api::OpResult& result) {
    if (done) {
      done(ReadResult{
          .error = win32_error(result.status), .offset = result.offset, .bytes = result.bytes});
    }
  });
  return cxx::started(
      instance_->read(content_,
                      api::InstanceObject::ReadRequest{.offset = offset,
                                                       .buffer = out.data(),
                                                       .capacity = capacity,
                                                       .timeout_ms = timeout_ms(timeout)},
                      std::move(completer)));
}

std::error_code ClientContent::block_read(std::uint64_t offset, std::span<std::uint8_t> out,
                                          std::chrono::milliseconds timeout, ReadCompletion done) {
  return read(offset, out, timeout, std::move(done));
}

std::future<ReadResult> ClientContent::block_read(std::uint64_t offset, std::span<std::uint8_t> out,
                                                  std::chrono::milliseconds timeout) {
  return read_future(
      [&](ReadCompletion done) { return block_read(offset, out, timeout, std::move(done)); });
}

std::error_code ClientContent::stream_read(std::span<std::uint8_t> out,
                                           std::chrono::milliseconds timeout, ReadCompletion done) {
  return read(std::nullopt, out, timeout, std::move(done));
}

std::future<ReadResult> ClientContent::stream_read(std::span<std::uint8_t> out,
                                                   std::chrono::milliseconds timeout) {
  return read_future(
      [&](ReadCompletion done) { return stream_read(out, timeout, std::move(done)); });
}

std::future<std::error_code> ClientContent::flush() {
  if (!valid()) {
    std::promise<std::error_code> invalid;
    invalid.set_value(win32_error(ERROR_INVALID_HANDLE));
    return invalid.get_future();
  }
  return cxx::as_future([&](Completion done) {
    return cxx::started(
        instance_->flush_content(content_->tag, cxx::completer_for(std::move(done))));
  });
}

Expected<ClientBasicInfo, std::error_code> ClientContent::basic_info() const {
  if (!valid()) return Unexpected(win32_error(ERROR_INVALID_HANDLE));
  PEERDIST_CLIENT_BASIC_INFO info{};
  const DWORD error = instance_->client_basic_info(content_, info);
  if (error != ERROR_SUCCESS) return Unexpected(win32_error(error));
  return ClientBasicInfo{.flash_crowd = info.fFlashCrowd != FALSE};
}

std::error_code ClientContent::cancel() {
  if (!valid()) return win32_error(ERROR_INVALID_HANDLE);
  return win32_error(instance_->cancel_content(content_, nullptr));
}

std::error_code ClientContent::close() {
  if (!valid()) return {};
  const DWORD error = instance_->close_content(content_->handle);
  content_.reset();
  instance_.reset();
  return win32_error(error);
}

// ---- Instance -------------------------------------------------------------------------------

Expected<ClientContent, std::error_code> Instance::open_content(const ContentTag& tag) {
  if (instance_ == nullptr) return Unexpected(win32_error(ERROR_INVALID_HANDLE));
  std::shared_ptr<api::ContentObject> content;
  const DWORD error = instance_->open_content(tag, nullptr, 0, content);
  if (error != ERROR_SUCCESS) return Unexpected(win32_error(error));
  return ClientContent(instance_, std::move(content));
}

std::error_code Instance::flush_content(const ContentTag& tag, Completion done) {
  if (instance_ == nullptr) return win32_error(ERROR_INVALID_HANDLE);
  return cxx::started(instance_->flush_content(tag, cxx::completer_for(std::move(done))));
}

std::future<std::error_code> Instance::flush_content(const ContentTag& tag) {
  return cxx::as_future([&](Completion done) { return flush_content(tag, std::move(done)); });
}

Expected<std::string, std::error_code> Instance::cache_info() const {
  if (instance_ == nullptr) return Unexpected(win32_error(ERROR_INVALID_HANDLE));
  std::string info;
  const DWORD error = instance_->cache_info(info);
  if (error != ERROR_SUCCESS) return Unexpected(win32_error(error));
  return info;
}

Expected<std::string, std::error_code> Instance::cache_clear() {
  if (instance_ == nullptr) return Unexpected(win32_error(ERROR_INVALID_HANDLE));
  std::string removed;
  const DWORD error = instance_->cache_clear(removed);
  if (error != ERROR_SUCCESS) return Unexpected(win32_error(error));
  return removed;
}

}  // namespace peerdist
