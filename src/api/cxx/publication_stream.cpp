#include <limits>
#include <utility>

#include "core/instance.hpp"
#include "core/policy.hpp"
#include "core/stream.hpp"
#include "cxx/buffer_storage.hpp"
#include "cxx/completion.hpp"

namespace peerdist {

static_assert(PublicationStream::kMaxBufferSize == api::policy::kMaxLeaseSize);

PublicationStream::PublicationStream() noexcept = default;
PublicationStream::PublicationStream(std::shared_ptr<api::InstanceObject> instance,
                                     std::shared_ptr<api::StreamObject> stream) noexcept
    : instance_(std::move(instance)), stream_(std::move(stream)) {}
PublicationStream::PublicationStream(PublicationStream&& other) noexcept = default;

PublicationStream& PublicationStream::operator=(PublicationStream&& other) noexcept {
  if (this != &other) {
    static_cast<void>(close());
    instance_ = std::move(other.instance_);
    stream_ = std::move(other.stream_);
  }
  return *this;
}

PublicationStream::~PublicationStream() {
  static_cast<void>(close());
}

PEERDIST_STREAM_HANDLE PublicationStream::native_handle() const noexcept {
  return stream_ == nullptr ? nullptr : stream_->handle;
}

std::error_code PublicationStream::add_storage(std::shared_ptr<PublicationBuffer::Storage> storage,
                                               std::span<const std::uint8_t> data,
                                               Completion done) {
  if (!valid()) return win32_error(ERROR_INVALID_HANDLE);
  // The completion reports bytes as a DWORD, as the C API does.
  if (data.size() > std::numeric_limits<DWORD>::max()) return win32_error(ERROR_INVALID_PARAMETER);
  return cxx::started(instance_->add_to_stream(stream_, data, std::move(storage),
                                               cxx::completer_for(std::move(done)), true));
}

std::error_code PublicationStream::add(std::span<const std::uint8_t> data, Completion done) {
  return add_storage(nullptr, data, std::move(done));
}

std::future<std::error_code> PublicationStream::add(std::span<const std::uint8_t> data) {
  return cxx::as_future([&](Completion done) { return add(data, std::move(done)); });
}

Expected<PublicationBuffer, std::error_code> PublicationStream::buffer(std::size_t size) {
  if (!valid()) return Unexpected(win32_error(ERROR_INVALID_HANDLE));
  if (size == 0 || size > kMaxBufferSize) return Unexpected(win32_error(ERROR_INVALID_PARAMETER));
  auto lease = instance_->acquire_ring(size);
  if (!lease) return Unexpected(win32_error(lease.error()));
  auto storage = std::make_shared<PublicationBuffer::Storage>();
  if (lease->has_value()) {
    storage->lease = std::move(**lease);
    storage->bytes = storage->lease->data();
  } else {
    // No ring on this connection: ordinary memory, sent inline.
    storage->memory.resize(size);
    storage->bytes = storage->memory;
  }
  return PublicationBuffer(std::move(storage));
}

std::error_code PublicationStream::add(PublicationBuffer buffer, std::size_t length,
                                       Completion done) {
  if (buffer.storage_ == nullptr || length > buffer.size()) {
    return win32_error(ERROR_INVALID_PARAMETER);
  }
  const std::span<const std::uint8_t> data = buffer.storage_->bytes.first(length);
  return add_storage(std::move(buffer.storage_), data, std::move(done));
}

std::future<std::error_code> PublicationStream::add(PublicationBuffer buffer, std::size_t length) {
  return cxx::as_future(
      [&](Completion done) { return add(std::move(buffer), length, std::move(done)); });
}

std::error_code PublicationStream::complete(Completion done) {
  if (!valid()) return win32_error(ERROR_INVALID_HANDLE);
  return cxx::started(instance_->complete_stream(stream_, cxx::completer_for(std::move(done))));
}

std::future<std::error_code> PublicationStream::complete() {
  return cxx::as_future([&](Completion done) { return complete(std::move(done)); });
}

std::error_code PublicationStream::close() {
  if (!valid()) return {};
  const DWORD error = instance_->close_stream(stream_->handle);
  stream_.reset();
  instance_.reset();
  return win32_error(error);
}

}  // namespace peerdist
