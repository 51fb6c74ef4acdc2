#include "peerdist/service/client_data.hpp"

#include <vector>

namespace peerdist::service {

std::optional<ClientData> resolve_data(ipc::DataRef data,
                                       const std::shared_ptr<const ipc::SharedBuffer>& shared) {
  if (auto* inline_data = std::get_if<ipc::InlineData>(&data)) {
    auto owned = std::make_shared<const std::vector<std::uint8_t>>(std::move(inline_data->bytes));
    const std::span<const std::uint8_t> bytes(*owned);
    return ClientData{std::move(owned), bytes};
  }
  const auto& ref = std::get<ipc::SharedData>(data);
  if (!shared) return std::nullopt;
  auto span = shared->span(ref.offset, ref.length);
  if (!span) return std::nullopt;
  return ClientData{shared, *span};
}

}  // namespace peerdist::service
