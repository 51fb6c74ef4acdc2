// The bytes of an AddContentInformation or AddData request, wherever they travelled: inline
// in the frame, or in the client's shared buffer (docs/ipc.md). Shared bytes may be changed by
// the client at any time, so whoever uses them copies each byte out once and checks the copy.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "peerdist/ipc/messages.hpp"
#include "peerdist/ipc/shared_buffer.hpp"

namespace peerdist::service {

struct ClientData {
  std::shared_ptr<const void> owner;  // keeps `bytes` mapped or allocated
  std::span<const std::uint8_t> bytes;
};

// nullopt for shared data on a connection without a shared buffer, or outside it
// (ERROR_INVALID_PARAMETER for the client).
[[nodiscard]] std::optional<ClientData> resolve_data(
    ipc::DataRef data, const std::shared_ptr<const ipc::SharedBuffer>& shared);

}  // namespace peerdist::service
