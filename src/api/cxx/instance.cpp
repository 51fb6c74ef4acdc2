#include "core/instance.hpp"

#include <utility>

#include "peerdist/api/handle_table.hpp"
#include "peerdist/peerdist.hpp"

#include "core/stream.hpp"

namespace peerdist {

Instance::Instance() noexcept = default;
Instance::Instance(std::shared_ptr<api::InstanceObject> instance) noexcept
    : instance_(std::move(instance)) {}
Instance::Instance(Instance&& other) noexcept = default;

Instance& Instance::operator=(Instance&& other) noexcept {
  if (this != &other) {
    static_cast<void>(shutdown());
    instance_ = std::move(other.instance_);
  }
  return *this;
}

Instance::~Instance() {
  static_cast<void>(shutdown());
}

Expected<Instance, std::error_code> Instance::start(std::uint32_t version) {
  auto instance = api::InstanceObject::start(version);
  if (!instance) return Unexpected(win32_error(instance.error()));
  return Instance(std::move(*instance));
}

std::error_code Instance::shutdown() {
  if (instance_ == nullptr) return {};
  // As PeerDistShutdown: out of the handle table first, so that the C API sees it gone too.
  const auto instance = api::handle_table().remove<api::InstanceObject>(instance_->handle());
  instance_.reset();
  if (instance == nullptr) return win32_error(ERROR_INVALID_HANDLE);
  return win32_error(instance->shutdown());
}

std::uint32_t Instance::supported_version() const {
  return instance_ == nullptr ? 0 : instance_->supported_version();
}

PEERDIST_INSTANCE_HANDLE Instance::native_handle() const noexcept {
  return instance_ == nullptr ? nullptr : instance_->handle();
}

Expected<StatusInfo, std::error_code> Instance::status() const {
  if (instance_ == nullptr) return Unexpected(win32_error(ERROR_INVALID_HANDLE));
  PEERDIST_STATUS_INFO info{};
  info.cbSize = sizeof info;
  const DWORD error = instance_->get_status(info);
  if (error != ERROR_SUCCESS) return Unexpected(win32_error(error));
  return StatusInfo{.status = static_cast<ServiceStatus>(info.status),
                    .min_content_info_version = info.dwMinVer,
                    .max_content_info_version = info.dwMaxVer};
}

Expected<std::string, std::error_code> Instance::service_info() const {
  if (instance_ == nullptr) return Unexpected(win32_error(ERROR_INVALID_HANDLE));
  std::string info;
  const DWORD error = instance_->service_info(info);
  if (error != ERROR_SUCCESS) return Unexpected(win32_error(error));
  return info;
}

Expected<PublicationStream, std::error_code> Instance::publish(
    std::span<const std::uint8_t> content_id, const PublishOptions& options) {
  if (instance_ == nullptr) return Unexpected(win32_error(ERROR_INVALID_HANDLE));
  DWORD flags = 0;
  if (options.persistent) flags |= PEERDIST_PUBLICATION_FLAG_PERSISTENT;
  if (options.content_info_v1) flags |= PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V1;
  if (options.content_info_v2) flags |= PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V2;
  std::shared_ptr<api::StreamObject> stream;
  const DWORD error = instance_->publish_stream(
      content_id, options.content_length,
      api::InstanceObject::PublishOptions{.version = PEERDIST_PUBLICATION_OPTIONS_VERSION,
                                          .flags = flags},
      nullptr, 0, stream);
  if (error != ERROR_SUCCESS) return Unexpected(win32_error(error));
  return PublicationStream(instance_, std::move(stream));
}

std::error_code Instance::unpublish(std::span<const std::uint8_t> content_id) {
  if (instance_ == nullptr) return win32_error(ERROR_INVALID_HANDLE);
  return win32_error(instance_->unpublish(content_id));
}

Expected<ContentInformationReader, std::error_code> Instance::open_content_information(
    std::span<const std::uint8_t> content_id, ContentRange range,
    std::optional<VersionRange> versions) {
  if (instance_ == nullptr) return Unexpected(win32_error(ERROR_INVALID_HANDLE));
  std::optional<api::InstanceObject::VersionRange> wanted;
  if (versions)
    wanted = api::InstanceObject::VersionRange{.min = versions->min, .max = versions->max};
  std::shared_ptr<api::ContentInfoObject> reader;
  const DWORD error = instance_->open_content_information(content_id, range.offset, range.length,
                                                          wanted, nullptr, 0, reader);
  if (error != ERROR_SUCCESS) return Unexpected(win32_error(error));
  return ContentInformationReader(instance_, std::move(reader));
}

}  // namespace peerdist
