#include "peerdist/service/service_info.hpp"

#include <nlohmann/json.hpp>

#include "peerdist/service/service_status.hpp"

namespace peerdist::service {
namespace {

nlohmann::json optional_text(const std::optional<std::string>& text) {
  return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
}

// "distributed": whether it is on, and what each network part has done.
nlohmann::json distributed_json(bool enabled, const std::optional<DistributedStatus>& network) {
  nlohmann::json out = {{"enabled", enabled}};
  if (!network) return out;
  const DistributedStatus& n = *network;
  out["pccrr"] = {
      {"port", n.port},
      {"listening", n.listening},
      {"endpoints", n.endpoints},
      {"error", optional_text(n.error)},
      {"crypto", n.crypto},
  };
  out["discovery"] = {
      {"enabled", n.discovery},
      {"port", n.discovery_port},
      {"responding", n.responding},
      {"probing", n.probing},
      {"error", optional_text(n.discovery_error)},
  };
  out["peers"] = n.peers;
  const net::PccrrServerCounters& sv = n.server;
  out["server"] = {
      {"connections", sv.connections},
      {"refused_connections", sv.refused_connections},
      {"nego_requests", sv.nego_requests},
      {"getblklist_requests", sv.getblklist_requests},
      {"getblks_requests", sv.getblks_requests},
      {"getseglist_requests", sv.getseglist_requests},
      {"version_mismatches", sv.version_mismatches},
      {"blocks_served", sv.blocks_served},
      {"block_bytes_served", sv.block_bytes_served},
      {"response_bytes", sv.response_bytes},
      {"not_held", sv.not_held},
      {"busy", sv.busy},
      {"malformed", sv.malformed},
      {"rejected", sv.rejected},
      {"timed_out", sv.timed_out},
  };
  const net::PeerExchangeCounters& cl = n.client;
  out["client"] = {
      {"block_requests", cl.block_requests},
      {"block_list_requests", cl.block_list_requests},
      {"blocks", cl.blocks},
      {"not_held", cl.not_held},
      {"timed_out", cl.timed_out},
      {"connection_failed", cl.connection_failed},
      {"bad_data", cl.bad_data},
      {"malformed", cl.malformed},
      {"version_mismatch", cl.version_mismatch},
      {"open_connections", n.client_connections},
  };
  const net::PeerFetcherCounters& f = n.fetcher;
  out["fetcher"] = {
      {"fetches", f.fetches},
      {"complete", f.complete},
      {"not_found", f.not_found},
      {"timed_out", f.timed_out},
      {"cancelled", f.cancelled},
      {"no_peers", f.no_peers},
      {"candidates", f.candidates},
      {"blocks", f.blocks},
      {"bytes", f.bytes},
      {"retries", f.retries},
      {"bad_peers", f.bad_peers},
      {"bad_peers_now", n.bad_peers_now},
  };
  const net::DiscoveryResponderCounters& r = n.responder;
  out["responder"] = {
      {"received", r.received},   {"malformed", r.malformed}, {"not_for_us", r.not_for_us},
      {"own", r.own},             {"duplicates", r.duplicates}, {"probes", r.probes},
      {"not_held", r.not_held},   {"dropped", r.dropped},     {"answered", r.answered},
      {"send_errors", r.send_errors},
  };
  const net::DiscoveryProberCounters& pr = n.prober;
  out["prober"] = {
      {"rounds", pr.rounds},         {"probes", pr.probes},
      {"datagrams_sent", pr.datagrams_sent}, {"send_errors", pr.send_errors},
      {"received", pr.received},     {"malformed", pr.malformed},
      {"unrelated", pr.unrelated},   {"off_subnet", pr.off_subnet},
      {"duplicates", pr.duplicates}, {"offers", pr.offers},
  };
  const net::DiscoveryFinderCounters& fi = n.finder;
  out["finder"] = {
      {"searches", fi.searches},
      {"rounds", fi.rounds},
      {"joined", fi.joined},
      {"remembered_peers", fi.remembered_peers},
      {"remembered_nobody", fi.remembered_nobody},
      {"candidates", fi.candidates},
  };
  const CacheSegmentSourceCounters& cs = n.cache_source;
  out["cache_source"] = {
      {"holdings_queries", cs.holdings_queries},
      {"segments_held", cs.segments_held},
      {"block_reads", cs.block_reads},
      {"blocks_served", cs.blocks_served},
      {"errors", cs.errors},
  };
  return out;
}

}  // namespace

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
      {"distributed", distributed_json(facts.distributed, facts.network)},
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
