#include <utility>

#include "cxx/buffer_storage.hpp"

namespace peerdist {

PublicationBuffer::PublicationBuffer() noexcept = default;
PublicationBuffer::PublicationBuffer(std::shared_ptr<Storage> storage) noexcept
    : storage_(std::move(storage)) {}
PublicationBuffer::PublicationBuffer(PublicationBuffer&& other) noexcept = default;
PublicationBuffer& PublicationBuffer::operator=(PublicationBuffer&& other) noexcept = default;
PublicationBuffer::~PublicationBuffer() = default;

std::span<std::uint8_t> PublicationBuffer::data() const noexcept {
  return storage_ == nullptr ? std::span<std::uint8_t>() : storage_->bytes;
}

bool PublicationBuffer::shared() const noexcept {
  return storage_ != nullptr && storage_->lease.has_value();
}

}  // namespace peerdist
