// The answer to ServiceInfo (a Linux extension for `peerdist status --json`, docs/ipc.md): the
// daemon's state as one JSON object.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "peerdist/pccrc/types.hpp"
#include "peerdist/service/client_counters.hpp"
#include "peerdist/service/distributed_status.hpp"
#include "peerdist/store/catalog.hpp"

namespace peerdist::service {

struct ServiceInfoFacts {
  std::string version;
  pid_t pid = 0;
  std::uint32_t status = 0;  // PEERDIST_STATUS
  bool enabled = true;
  std::vector<pccrc::Version> versions;
  std::filesystem::path socket;
  std::filesystem::path state_dir;
  std::chrono::seconds uptime{0};
  store::CatalogCounts counts;
  std::size_t connections = 0;
  bool distributed = true;  // [distributed] enabled
  // The network parts of distributed mode, when it runs.
  std::optional<DistributedStatus> network;
  ClientCounters client;
};

// The members of docs/ipc.md, "ServiceInfo"; compact UTF-8 JSON.
[[nodiscard]] std::string service_info_json(const ServiceInfoFacts& facts);

}  // namespace peerdist::service
