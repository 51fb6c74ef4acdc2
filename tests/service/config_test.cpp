// The configuration file: every key, its default, and the errors that name key and line.
#include <gtest/gtest.h>

#include <map>

#include "peerdist/service/config.hpp"

namespace peerdist::service {
namespace {

Config parse_ok(std::string_view text) {
  auto config = parse_config(text, "test.toml", "/etc/peerdist");
  EXPECT_TRUE(config) << (config ? "" : config.error());
  return config ? *config : Config{};
}

std::string parse_error(std::string_view text) {
  auto config = parse_config(text, "test.toml");
  EXPECT_FALSE(config);
  return config ? std::string() : config.error();
}

TEST(ConfigTest, EmptyFileGivesTheDefaults) {
  const Config config = parse_ok("");
  EXPECT_EQ(config, Config{});
  EXPECT_TRUE(config.enabled);
  EXPECT_FALSE(config.state_dir);
  EXPECT_FALSE(config.socket);
  EXPECT_EQ(config.content_information_versions,
            (std::vector<pccrc::Version>{pccrc::Version::v1, pccrc::Version::v2}));
  EXPECT_TRUE(config.secret.empty());
  EXPECT_EQ(config.limits.max_connections, 256U);
  EXPECT_EQ(config.limits.max_handles_per_connection, 1024U);
  EXPECT_EQ(config.limits.max_shared_buffer, 64U << 20U);
  EXPECT_EQ(config.log_level, "info");
}

TEST(ConfigTest, EveryKey) {
  const Config config = parse_ok(R"(
enabled = false
state_dir = "/srv/peerdist"
socket = "run/peerdistd.sock"
content_information_versions = [2, 1]
log_level = "debug"

[secret]
key_file = "branchcache.key"
key_file_passphrase = "s3cret"

[limits]
max_connections = 10
max_handles_per_connection = 20
max_shared_buffer = 1048576
)");
  EXPECT_FALSE(config.enabled);
  EXPECT_EQ(config.state_dir, std::filesystem::path("/srv/peerdist"));
  // Relative paths are relative to the file's directory.
  EXPECT_EQ(config.socket, std::filesystem::path("/etc/peerdist/run/peerdistd.sock"));
  EXPECT_EQ(config.content_information_versions,
            (std::vector<pccrc::Version>{pccrc::Version::v1, pccrc::Version::v2}));
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.secret.key_file, std::filesystem::path("/etc/peerdist/branchcache.key"));
  EXPECT_EQ(config.secret.key_file_passphrase, "s3cret");
  EXPECT_EQ(config.limits.max_connections, 10U);
  EXPECT_EQ(config.limits.max_handles_per_connection, 20U);
  EXPECT_EQ(config.limits.max_shared_buffer, 1U << 20U);

  EXPECT_EQ(parse_ok("[secret]\nkey_hex = \"00ff\"\n").secret.key_hex, "00ff");
  EXPECT_EQ(parse_ok("[secret]\npassphrase = \"p\"\n").secret.passphrase, "p");
  EXPECT_EQ(parse_ok("content_information_versions = [2]").content_information_versions,
            std::vector<pccrc::Version>{pccrc::Version::v2});
}

TEST(ConfigTest, ErrorsNameTheKeyAndTheLine) {
  EXPECT_EQ(parse_error("enabled = true\nenable = false\n"),
            "test.toml:2: enable: unknown key");
  EXPECT_EQ(parse_error("\n\nenabled = \"yes\"\n"), "test.toml:3: enabled: must be true or false");
  EXPECT_EQ(parse_error("[limits]\nmax_connections = \"many\"\n"),
            "test.toml:2: limits.max_connections: must be an integer");
  EXPECT_EQ(parse_error("[limits]\nmax_connections = 0\n"),
            "test.toml:2: limits.max_connections: must be between 1 and 1048576, got 0");
  EXPECT_EQ(parse_error("[limits]\nmax_shared_buffer = 2147483648\n"),
            "test.toml:2: limits.max_shared_buffer: must be between 0 and 1073741824, got "
            "2147483648");
  EXPECT_EQ(parse_error("[limits]\nmax_sockets = 1\n"), "test.toml:2: limits.max_sockets: unknown key");
  EXPECT_EQ(parse_error("[secret]\nkey = \"00\"\n"), "test.toml:2: secret.key: unknown key");
  EXPECT_EQ(parse_error("content_information_versions = [3]\n"),
            "test.toml:1: content_information_versions: each element must be 1 or 2");
  EXPECT_EQ(parse_error("content_information_versions = []\n"),
            "test.toml:1: content_information_versions: must name at least one version (1, 2)");
  EXPECT_EQ(parse_error("content_information_versions = [1, 1]\n"),
            "test.toml:1: content_information_versions: a version is listed twice");
  EXPECT_EQ(parse_error("content_information_versions = 2\n"),
            "test.toml:1: content_information_versions: must be an array such as [1, 2]");
  EXPECT_EQ(parse_error("socket = \"\"\n"), "test.toml:1: socket: must not be empty");
  EXPECT_EQ(parse_error("log_level = \"loud\"\n"),
            "test.toml:1: log_level: must be one of trace, debug, info, warn, error, critical, off");
  EXPECT_EQ(parse_error("limits = 3\n"), "test.toml:1: limits: must be a table ([limits])");
  EXPECT_EQ(parse_error("[secret]\nkey_hex = \"00\"\npassphrase = \"p\"\n"),
            "test.toml:1: secret: give only one of key_hex, passphrase and key_file");
  EXPECT_EQ(parse_error("[secret]\nkey_file_passphrase = \"p\"\n"),
            "test.toml:1: secret.key_file_passphrase: needs secret.key_file");
  // TOML syntax errors keep toml++'s description.
  const std::string syntax = parse_error("enabled = \n");
  EXPECT_EQ(syntax.rfind("test.toml:1: ", 0), 0U) << syntax;
}

TEST(ConfigTest, TheShippedExampleParsesAndShowsTheDefaults) {
  auto config = load_config(PEERDIST_EXAMPLE_CONFIG);
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(*config, Config{});
}

TEST(ConfigTest, LoadReadsAFileAndReportsAMissingOne) {
  auto missing = load_config("/nonexistent/peerdistd.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/nonexistent/peerdistd.toml"), std::string::npos);
}

TEST(ConfigTest, DefaultPaths) {
  std::map<std::string, std::string> env;
  const EnvLookup lookup = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto root = default_paths(0, lookup);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->socket, std::filesystem::path("/run/peerdist/peerdistd.sock"));
  EXPECT_EQ(root->state_dir, std::filesystem::path("/var/lib/peerdist"));
  EXPECT_EQ(root->config_file, std::filesystem::path("/etc/peerdist/peerdistd.toml"));

  env = {{"XDG_RUNTIME_DIR", "/run/user/1000"}, {"XDG_STATE_HOME", "/home/u/state"},
         {"XDG_CONFIG_HOME", "/home/u/conf"}, {"HOME", "/home/u"}};
  auto user = default_paths(1000, lookup);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->socket, std::filesystem::path("/run/user/1000/peerdist/peerdistd.sock"));
  EXPECT_EQ(user->state_dir, std::filesystem::path("/home/u/state/peerdist"));
  EXPECT_EQ(user->config_file, std::filesystem::path("/home/u/conf/peerdist/peerdistd.toml"));

  env = {{"HOME", "/home/u"}};
  auto bare = default_paths(1000, lookup);
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->socket);  // no XDG_RUNTIME_DIR: the daemon asks for --socket
  EXPECT_EQ(bare->state_dir, std::filesystem::path("/home/u/.local/state/peerdist"));
  EXPECT_EQ(bare->config_file, std::filesystem::path("/home/u/.config/peerdist/peerdistd.toml"));
}

}  // namespace
}  // namespace peerdist::service
