#include "peerdist/service/service_info.hpp"

#include <nlohmann/json.hpp>

#include "peerdist/service/service_status.hpp"

namespace peerdist::service {

std::string service_info_json(const ServiceInfoFacts& facts) {
  nlohmann::json versions = nlohmann::json::array();
  for (pccrc::Version v : facts.versions) versions.push_back(static_cast<int>(v));
  const nlohmann::json info = {
      {"version", facts.version},
      {"pid", facts.pid},
      {"status", std::string(status_name(facts.status))},
      {"status_code", facts.status},
      {"enabled", facts.enabled},
      {"content_information_versions", versions},
      {"socket", facts.socket.string()},
      {"state_dir", facts.state_dir.string()},
      {"uptime_seconds", facts.uptime.count()},
      {"publications", facts.counts.publications},
      {"persistent", facts.counts.persistent},
      {"content_information_bytes", facts.counts.content_information_bytes},
      {"connections", facts.connections},
      {"distributed", facts.distributed},
      {"bytes_from_cache", facts.client.bytes_from_cache},
      {"bytes_from_peers", facts.client.bytes_from_peers},
      {"bytes_from_origin", facts.client.bytes_from_origin},
      {"bytes_rejected", facts.client.bytes_rejected},
      {"peer_blocks_dropped", facts.client.peer_blocks_dropped},
  };
  // Paths are bytes on Linux; replace what is not UTF-8 rather than fail.
  return info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace peerdist::service
