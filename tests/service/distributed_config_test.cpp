// [distributed] of the configuration file: every key's default, its forms, and the error that
// names the key for each bad value; and the status JSON's "distributed" object.
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "peerdist/service/config.hpp"
#include "peerdist/service/distributed.hpp"
#include "peerdist/service/service_info.hpp"

namespace peerdist::service {
namespace {

namespace ip = boost::asio::ip;

Config parse_ok(std::string_view text) {
  auto config = parse_config(text, "test.toml");
  EXPECT_TRUE(config) << (config ? "" : config.error());
  return config ? *config : Config{};
}

std::string parse_error(std::string_view text) {
  auto config = parse_config(text, "test.toml");
  EXPECT_FALSE(config);
  return config ? std::string() : config.error();
}

TEST(DistributedConfigTest, Defaults) {
  const DistributedConfig d = parse_ok("").distributed;
  EXPECT_TRUE(d.enabled);
  EXPECT_FALSE(d.port.has_value());
  EXPECT_TRUE(d.listen.empty());
  EXPECT_TRUE(d.discovery);
  EXPECT_EQ(d.discovery_port, 3702);
  EXPECT_TRUE(d.discovery_interfaces.empty());
  EXPECT_EQ(d.crypto, wire::pccrr::CryptoAlgorithm::aes128);
  EXPECT_EQ(d.max_uploads_per_peer, 64U);
  EXPECT_EQ(d.max_uploads, 1024U);
  EXPECT_TRUE(d.peers.empty());
}

TEST(DistributedConfigTest, EveryKey) {
  const DistributedConfig d = parse_ok(
                                  "[distributed]\n"
                                  "enabled = true\n"
                                  "port = 8081\n"
                                  "listen = [\"127.0.0.1\", \"::1\"]\n"
                                  "discovery = false\n"
                                  "discovery_port = 13702\n"
                                  "discovery_interfaces = [\"eth0\", \"br-lan\"]\n"
                                  "crypto = \"aes256\"\n"
                                  "max_uploads_per_peer = 8\n"
                                  "max_uploads = 100\n"
                                  "peers = [\"10.1.2.3:8080\", \"[fe80::1]:80\"]\n")
                                  .distributed;
  EXPECT_EQ(d.port, std::optional<std::uint16_t>(8081));
  EXPECT_EQ(d.listen,
            (std::vector<ip::address>{ip::make_address("127.0.0.1"), ip::make_address("::1")}));
  EXPECT_FALSE(d.discovery);
  EXPECT_EQ(d.discovery_port, 13702);
  EXPECT_EQ(d.discovery_interfaces, (std::vector<std::string>{"eth0", "br-lan"}));
  EXPECT_EQ(d.crypto, wire::pccrr::CryptoAlgorithm::aes256);
  EXPECT_EQ(d.max_uploads_per_peer, 8U);
  EXPECT_EQ(d.max_uploads, 100U);
  EXPECT_EQ(d.peers,
            (std::vector<ip::tcp::endpoint>{ip::tcp::endpoint(ip::make_address("10.1.2.3"), 8080),
                                            ip::tcp::endpoint(ip::make_address("fe80::1"), 80)}));
  EXPECT_EQ(parse_ok("[distributed]\nport = 0").distributed.port, std::optional<std::uint16_t>(0));
  EXPECT_EQ(parse_ok("[distributed]\ncrypto = \"none\"").distributed.crypto,
            wire::pccrr::CryptoAlgorithm::none);
  EXPECT_EQ(parse_ok("[distributed]\ncrypto = \"aes192\"").distributed.crypto,
            wire::pccrr::CryptoAlgorithm::aes192);
  EXPECT_TRUE(parse_ok("[distributed]\npeers = []").distributed.peers.empty());
}

TEST(DistributedConfigTest, BadValuesNameTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"port = 65536", "test.toml:2: distributed.port: must be between 0 and 65535, got 65536"},
      {"port = -1", "test.toml:2: distributed.port: must be between 0 and 65535, got -1"},
      {"port = \"80\"", "test.toml:2: distributed.port: must be an integer"},
      {"listen = \"0.0.0.0\"",
       "test.toml:2: distributed.listen: must be an array of strings such as [\"0.0.0.0\", "
       "\"::\"]"},
      {"listen = []",
       "test.toml:2: distributed.listen: must name at least one address (leave it out to listen "
       "on all; set enabled = false not to serve)"},
      {"listen = [\"eth0\"]", "test.toml:2: distributed.listen: 'eth0' is not an IP address"},
      {"listen = [\"::\", \"::\"]", "test.toml:2: distributed.listen: '::' is listed twice"},
      {"discovery = \"yes\"", "test.toml:2: distributed.discovery: must be true or false"},
      {"discovery_port = 0",
       "test.toml:2: distributed.discovery_port: must be between 1 and 65535, got 0"},
      {"discovery_interfaces = [\"\"]",
       "test.toml:2: distributed.discovery_interfaces: '' is not an interface name"},
      {"discovery_interfaces = [\"a-name-far-too-long\"]",
       "test.toml:2: distributed.discovery_interfaces: 'a-name-far-too-long' is not an "
       "interface name"},
      {"discovery_interfaces = [1]",
       "test.toml:2: distributed.discovery_interfaces: must be an array of strings such as "
       "[\"eth0\"]"},
      {"crypto = \"aes\"",
       "test.toml:2: distributed.crypto: must be one of \"aes128\", \"aes192\", \"aes256\", "
       "\"none\""},
      {"crypto = 1", "test.toml:2: distributed.crypto: must be a string"},
      {"max_uploads_per_peer = 0",
       "test.toml:2: distributed.max_uploads_per_peer: must be between 1 and 16384, got 0"},
      {"max_uploads = 70000",
       "test.toml:2: distributed.max_uploads: must be between 1 and 65536, got 70000"},
      {"peers = [\"10.1.2.3\"]",
       "test.toml:2: distributed.peers: '10.1.2.3': no port (write \"host:port\")"},
      {"peers = [\"peer.example:80\"]",
       "test.toml:2: distributed.peers: 'peer.example:80': 'peer.example' is not an IP address "
       "(names are not resolved)"},
      {"peers = [\"10.1.2.3:80\", \"10.1.2.3:80\"]",
       "test.toml:2: distributed.peers: '10.1.2.3:80' is listed twice"},
      {"advertise = []", "test.toml:2: distributed.advertise: unknown key"},
  };
  for (const auto& [line, error] : cases) {
    EXPECT_EQ(parse_error(std::string("[distributed]\n") + line), error) << line;
  }
  EXPECT_EQ(parse_error("[distributed]\nmax_uploads = 10\nmax_uploads_per_peer = 20"),
            "test.toml:1: distributed.max_uploads_per_peer: must not exceed "
            "distributed.max_uploads (10), got 20");
}

TEST(DistributedConfigTest, TheDefaultPortFollowsThePrivilege) {
  const std::uint16_t port = default_pccrr_port();
  EXPECT_TRUE(port == DistributedConfig::kPrivilegedPort ||
              port == DistributedConfig::kUnprivilegedPort);
  if (::geteuid() == 0) {
    EXPECT_EQ(port, DistributedConfig::kPrivilegedPort);
  }
}

TEST(DistributedStatusJson, ShowsEachPart) {
  ServiceInfoFacts facts;
  facts.distributed = true;
  DistributedStatus s;
  s.port = 8080;
  s.listening = false;
  s.error = "cannot listen on 0.0.0.0:8080: Address already in use";
  s.crypto = "AES-128";
  s.discovery = true;
  s.probing = true;
  s.discovery_port = 3702;
  s.peers = {"10.1.2.3:8080"};
  s.server.blocks_served = 7;
  s.client.block_requests = 9;
  s.client_connections = 2;
  s.fetcher.fetches = 3;
  s.fetcher.bad_peers = 1;
  s.responder.answered = 4;
  s.prober.rounds = 5;
  s.finder.remembered_nobody = 6;
  s.cache_source.blocks_served = 8;
  facts.network = s;
  const auto json = nlohmann::json::parse(service_info_json(facts));
  const auto& d = json["distributed"];
  EXPECT_EQ(d["enabled"], true);
  EXPECT_EQ(d["pccrr"]["port"], 8080);
  EXPECT_EQ(d["pccrr"]["listening"], false);
  EXPECT_EQ(d["pccrr"]["error"], *s.error);
  EXPECT_EQ(d["pccrr"]["crypto"], "AES-128");
  EXPECT_EQ(d["discovery"]["enabled"], true);
  EXPECT_EQ(d["discovery"]["responding"], false);
  EXPECT_EQ(d["discovery"]["probing"], true);
  EXPECT_TRUE(d["discovery"]["error"].is_null());
  EXPECT_EQ(d["peers"], nlohmann::json::array({"10.1.2.3:8080"}));
  EXPECT_EQ(d["server"]["blocks_served"], 7);
  EXPECT_EQ(d["client"]["block_requests"], 9);
  EXPECT_EQ(d["client"]["open_connections"], 2);
  EXPECT_EQ(d["fetcher"]["fetches"], 3);
  EXPECT_EQ(d["fetcher"]["bad_peers"], 1);
  EXPECT_EQ(d["responder"]["answered"], 4);
  EXPECT_EQ(d["prober"]["rounds"], 5);
  EXPECT_EQ(d["finder"]["remembered_nobody"], 6);
  EXPECT_EQ(d["cache_source"]["blocks_served"], 8);
  // Off: only "enabled".
  facts.distributed = false;
  facts.network.reset();
  const auto off = nlohmann::json::parse(service_info_json(facts));
  EXPECT_EQ(off["distributed"], nlohmann::json({{"enabled", false}}));
}

}  // namespace
}  // namespace peerdist::service
