#include "c_api/entry.hpp"

#include "peerdist/api/completion_port.hpp"
#include "peerdist/api/handle_table.hpp"

namespace peerdist::api {

bool valid_port(HANDLE port) {
  return port == nullptr || handle_table().lookup<CompletionPort>(port) != nullptr;
}

}  // namespace peerdist::api
