#include "peerdist/service/config.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <toml++/toml.h>

#include "peerdist/ipc/messages.hpp"
#include "peerdist/net/peer_endpoint.hpp"

namespace peerdist::service {
namespace {

// A configuration file is a few hundred bytes; anything much larger is not one, and reading it
// whole must not be a way to make the daemon allocate without bound.
constexpr std::uintmax_t kMaxConfigFileSize = 1U << 20U;

constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};

// A size with its unit: binary (KiB..TiB) or decimal (KB..TB) multiples of a byte.
struct SizeUnit {
  std::string_view name;
  std::uint64_t bytes;
};
constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kKB = 1000;
constexpr std::array<SizeUnit, 9> kSizeUnits = {{{"B", 1},
                                                 {"KiB", kKiB},
                                                 {"MiB", kKiB * kKiB},
                                                 {"GiB", kKiB * kKiB * kKiB},
                                                 {"TiB", kKiB * kKiB * kKiB * kKiB},
                                                 {"KB", kKB},
                                                 {"MB", kKB * kKB},
                                                 {"GB", kKB * kKB * kKB},
                                                 {"TB", kKB * kKB * kKB * kKB}}};

// The leading decimal digits of `text` as a number (nullopt on none or on overflow); `text`
// keeps the rest.
std::optional<std::uint64_t> leading_number(std::string_view& text) {
  std::uint64_t value = 0;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[digits] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  text.remove_prefix(digits);
  return value;
}

// "2.5%" as hundredths of a percent (250): at most two decimals, more than 0, at most 100%.
std::optional<std::uint32_t> parse_percent(std::string_view text) {
  if (text.empty() || text.back() != '%') return std::nullopt;
  text.remove_suffix(1);
  auto whole = leading_number(text);
  if (!whole || *whole > 100) return std::nullopt;
  std::uint64_t hundredths = *whole * 100;
  if (!text.empty()) {
    if (text.front() != '.' || text.size() < 2 || text.size() > 3) return std::nullopt;
    text.remove_prefix(1);
    const std::size_t decimals = text.size();
    auto fraction = leading_number(text);
    if (!fraction || !text.empty()) return std::nullopt;
    hundredths += decimals == 1 ? *fraction * 10 : *fraction;
  }
  if (hundredths == 0 || hundredths > CacheConfig::kHundredthsOfPercentWhole) return std::nullopt;
  return static_cast<std::uint32_t>(hundredths);
}

// "10GiB", "500 MB", "1048576B" as bytes.
std::optional<std::uint64_t> parse_size(std::string_view text) {
  auto number = leading_number(text);
  if (!number) return std::nullopt;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  for (const SizeUnit& unit : kSizeUnits) {
    if (text != unit.name) continue;
    if (*number > std::numeric_limits<std::uint64_t>::max() / unit.bytes) return std::nullopt;
    return *number * unit.bytes;
  }
  return std::nullopt;
}

struct Parser {
  std::string source;
  std::filesystem::path base_dir;
  std::string error;

  // "peerdistd.toml:3: limits.max_connections: must be an integer"
  bool fail(const toml::source_region& where, std::string_view key, std::string_view what) {
    std::ostringstream out;
    out << source << ':' << where.begin.line << ": " << key << ": " << what;
    error = out.str();
    return false;
  }

  bool boolean(const toml::node& node, std::string_view key, bool& out) {
    const auto* v = node.as_boolean();
    if (v == nullptr) return fail(node.source(), key, "must be true or false");
    out = v->get();
    return true;
  }

  bool string(const toml::node& node, std::string_view key, std::string& out) {
    const auto* v = node.as_string();
    if (v == nullptr) return fail(node.source(), key, "must be a string");
    out = v->get();
    return true;
  }

  bool path(const toml::node& node, std::string_view key, std::filesystem::path& out) {
    std::string text;
    if (!string(node, key, text)) return false;
    if (text.empty()) return fail(node.source(), key, "must not be empty");
    out = text;
    if (out.is_relative() && !base_dir.empty()) out = base_dir / out;
    return true;
  }

  template <class T>
  bool integer(const toml::node& node, std::string_view key, T min, T max, T& out) {
    const auto* v = node.as_integer();
    if (v == nullptr) return fail(node.source(), key, "must be an integer");
    const std::int64_t value = v->get();
    if (value < 0 || static_cast<std::uint64_t>(value) < static_cast<std::uint64_t>(min) ||
        static_cast<std::uint64_t>(value) > static_cast<std::uint64_t>(max)) {
      return fail(node.source(), key,
                  "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", got " + std::to_string(value));
    }
    out = static_cast<T>(value);
    return true;
  }

  bool versions(const toml::node& node, std::string_view key, std::vector<pccrc::Version>& out) {
    const auto* array = node.as_array();
    if (array == nullptr) return fail(node.source(), key, "must be an array such as [1, 2]");
    if (array->empty()) return fail(node.source(), key, "must name at least one version (1, 2)");
    std::array<bool, 3> seen{};
    for (const toml::node& element : *array) {
      const auto* v = element.as_integer();
      if (v == nullptr || (v->get() != 1 && v->get() != 2)) {
        return fail(element.source(), key, "each element must be 1 or 2");
      }
      const auto index = static_cast<std::size_t>(v->get());
      if (seen.at(index)) return fail(element.source(), key, "a version is listed twice");
      seen.at(index) = true;
    }
    out.clear();
    if (seen[1]) out.push_back(pccrc::Version::v1);
    if (seen[2]) out.push_back(pccrc::Version::v2);
    return true;
  }

  bool secret(const toml::table& table, SecretSource& out) {
    for (auto&& [k, node] : table) {
      const std::string key = "secret." + std::string(k.str());
      if (k.str() == "key_hex") {
        if (!string(node, key, out.key_hex)) return false;
        if (out.key_hex.empty()) return fail(node.source(), key, "must not be empty");
      } else if (k.str() == "passphrase") {
        if (!string(node, key, out.passphrase)) return false;
        if (out.passphrase.empty()) return fail(node.source(), key, "must not be empty");
      } else if (k.str() == "key_file") {
        if (!path(node, key, out.key_file)) return false;
      } else if (k.str() == "key_file_passphrase") {
        if (!string(node, key, out.key_file_passphrase)) return false;
      } else {
        return fail(k.source(), key, "unknown key");
      }
    }
    const int forms = int{!out.key_hex.empty()} + int{!out.passphrase.empty()} +
                      int{!out.key_file.empty()};
    if (forms > 1) {
      return fail(table.source(), "secret",
                  "give only one of key_hex, passphrase and key_file");
    }
    if (!out.key_file_passphrase.empty() && out.key_file.empty()) {
      return fail(table.source(), "secret.key_file_passphrase", "needs secret.key_file");
    }
    return true;
  }

  bool limits(const toml::table& table, Limits& out) {
    for (auto&& [k, node] : table) {
      const std::string key = "limits." + std::string(k.str());
      if (k.str() == "max_connections") {
        if (!integer<std::uint32_t>(node, key, 1, 1U << 20U, out.max_connections)) return false;
      } else if (k.str() == "max_handles_per_connection") {
        if (!integer<std::uint32_t>(node, key, 1, 1U << 24U, out.max_handles_per_connection)) {
          return false;
        }
      } else if (k.str() == "max_shared_buffer") {
        // 0 turns shared buffers off (every piece then travels inline); the protocol's own cap
        // is the upper bound.
        if (!integer<std::uint64_t>(node, key, 0, ipc::kMaxSharedBufferSize,
                                    out.max_shared_buffer)) {
          return false;
        }
      } else {
        return fail(k.source(), key, "unknown key");
      }
    }
    return true;
  }

  // max_size: "5%", "10GiB" or an integer number of bytes.
  bool cache_size(const toml::node& node, std::string_view key, CacheConfig& out) {
    constexpr std::string_view kForms =
        "must be a share of the disk such as \"5%\", a size such as \"10GiB\" or \"500MB\", "
        "or a number of bytes";
    std::uint64_t bytes = 0;
    if (const auto* integer = node.as_integer()) {
      if (integer->get() < 0) return fail(node.source(), key, kForms);
      bytes = static_cast<std::uint64_t>(integer->get());
    } else if (const auto* text = node.as_string()) {
      if (auto percent = parse_percent(text->get())) {
        out.max_bytes = 0;
        out.max_hundredths_of_percent = *percent;
        return true;
      }
      auto size = parse_size(text->get());
      if (!size) return fail(node.source(), key, kForms);
      bytes = *size;
    } else {
      return fail(node.source(), key, kForms);
    }
    if (bytes < CacheConfig::kMinMaxBytes) {
      return fail(node.source(), key,
                  "must be at least " + std::to_string(CacheConfig::kMinMaxBytes) +
                      " bytes (1MiB), got " + std::to_string(bytes));
    }
    out.max_bytes = bytes;
    return true;
  }

  bool cache(const toml::table& table, CacheConfig& out) {
    for (auto&& [k, node] : table) {
      const std::string key = "cache." + std::string(k.str());
      if (k.str() == "max_size") {
        if (!cache_size(node, key, out)) return false;
      } else if (k.str() == "max_age_days") {
        if (!integer<std::uint32_t>(node, key, 1, CacheConfig::kMaxMaxAgeDays, out.max_age_days)) {
          return false;
        }
      } else {
        return fail(k.source(), key, "unknown key");
      }
    }
    return true;
  }

  // An array of strings, each made a T by `element` (the value, or an error text).
  template <class T, class Element>
  bool string_array(const toml::node& node, std::string_view key, std::vector<T>& out,
                    std::string_view example, Element element) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      return fail(node.source(), key,
                  "must be an array of strings such as " + std::string(example));
    }
    std::vector<T> values;
    for (const toml::node& item : *array) {
      const auto* text = item.as_string();
      if (text == nullptr) {
        return fail(item.source(), key,
                    "must be an array of strings such as " + std::string(example));
      }
      Expected<T, std::string> value = element(text->get());
      if (!value) return fail(item.source(), key, value.error());
      if (std::find(values.begin(), values.end(), *value) != values.end()) {
        return fail(item.source(), key, "'" + text->get() + "' is listed twice");
      }
      values.push_back(std::move(*value));
    }
    out = std::move(values);
    return true;
  }

  bool crypto(const toml::node& node, std::string_view key, wire::pccrr::CryptoAlgorithm& out) {
    std::string text;
    if (!string(node, key, text)) return false;
    using wire::pccrr::CryptoAlgorithm;
    constexpr std::array<std::pair<std::string_view, CryptoAlgorithm>, 4> kNames = {{
        {"none", CryptoAlgorithm::none},
        {"aes128", CryptoAlgorithm::aes128},
        {"aes192", CryptoAlgorithm::aes192},
        {"aes256", CryptoAlgorithm::aes256},
    }};
    for (const auto& [name, value] : kNames) {
      if (text == name) {
        out = value;
        return true;
      }
    }
    return fail(node.source(), key, "must be one of \"aes128\", \"aes192\", \"aes256\", \"none\"");
  }

  bool distributed(const toml::table& table, DistributedConfig& out) {
    using IpAddress = boost::asio::ip::address;
    using Endpoint = boost::asio::ip::tcp::endpoint;
    for (auto&& [k, node] : table) {
      const std::string key = "distributed." + std::string(k.str());
      if (k.str() == "enabled") {
        if (!boolean(node, key, out.enabled)) return false;
      } else if (k.str() == "port") {
        std::uint16_t port = 0;
        if (!integer<std::uint16_t>(node, key, 0, std::numeric_limits<std::uint16_t>::max(), port))
          return false;
        out.port = port;
      } else if (k.str() == "listen") {
        if (!string_array<IpAddress>(
                node, key, out.listen, "[\"0.0.0.0\", \"::\"]",
                [](const std::string& text) { return net::parse_ip_address(text); })) {
          return false;
        }
        if (out.listen.empty()) {
          return fail(node.source(), key,
                      "must name at least one address (leave it out to listen on all; set "
                      "enabled = false not to serve)");
        }
      } else if (k.str() == "discovery") {
        if (!boolean(node, key, out.discovery)) return false;
      } else if (k.str() == "discovery_port") {
        if (!integer<std::uint16_t>(node, key, 1, std::numeric_limits<std::uint16_t>::max(),
                                    out.discovery_port))
          return false;
      } else if (k.str() == "discovery_interfaces") {
        if (!string_array<std::string>(
                node, key, out.discovery_interfaces, "[\"eth0\"]",
                [](const std::string& name) -> Expected<std::string, std::string> {
                  // IFNAMSIZ - 1: the longest name the kernel gives an interface.
                  constexpr std::size_t kMaxInterfaceName = 15;
                  if (name.empty() || name.size() > kMaxInterfaceName ||
                      name.find_first_of(" /") != std::string::npos) {
                    return Unexpected("'" + name + "' is not an interface name");
                  }
                  return name;
                })) {
          return false;
        }
      } else if (k.str() == "crypto") {
        if (!crypto(node, key, out.crypto)) return false;
      } else if (k.str() == "max_uploads_per_peer") {
        if (!integer<std::uint32_t>(node, key, 1, DistributedConfig::kMaxMaxUploadsPerPeer,
                                    out.max_uploads_per_peer)) {
          return false;
        }
      } else if (k.str() == "max_uploads") {
        if (!integer<std::uint32_t>(node, key, 1, DistributedConfig::kMaxMaxUploads,
                                    out.max_uploads)) {
          return false;
        }
      } else if (k.str() == "peers") {
        if (!string_array<Endpoint>(
                node, key, out.peers, "[\"10.1.2.3:8080\"]",
                [](const std::string& text) { return net::parse_peer_endpoint(text); })) {
          return false;
        }
      } else {
        return fail(k.source(), key, "unknown key");
      }
    }
    if (out.max_uploads_per_peer > out.max_uploads) {
      return fail(table.source(), "distributed.max_uploads_per_peer",
                  "must not exceed distributed.max_uploads (" + std::to_string(out.max_uploads) +
                      "), got " + std::to_string(out.max_uploads_per_peer));
    }
    return true;
  }

  bool top(const toml::table& root, Config& out) {
    for (auto&& [k, node] : root) {
      const std::string key(k.str());
      if (key == "enabled") {
        if (!boolean(node, key, out.enabled)) return false;
      } else if (key == "state_dir") {
        std::filesystem::path p;
        if (!path(node, key, p)) return false;
        out.state_dir = p;
      } else if (key == "socket") {
        std::filesystem::path p;
        if (!path(node, key, p)) return false;
        out.socket = p;
      } else if (key == "content_information_versions") {
        if (!versions(node, key, out.content_information_versions)) return false;
      } else if (key == "log_level") {
        if (!string(node, key, out.log_level)) return false;
        bool known = false;
        for (auto level : kLogLevels) known = known || level == out.log_level;
        if (!known) {
          return fail(node.source(), key,
                      "must be one of trace, debug, info, warn, error, critical, off");
        }
      } else if (key == "secret") {
        const auto* table = node.as_table();
        if (table == nullptr) return fail(node.source(), key, "must be a table ([secret])");
        if (!secret(*table, out.secret)) return false;
      } else if (key == "limits") {
        const auto* table = node.as_table();
        if (table == nullptr) return fail(node.source(), key, "must be a table ([limits])");
        if (!limits(*table, out.limits)) return false;
      } else if (key == "cache") {
        const auto* table = node.as_table();
        if (table == nullptr) return fail(node.source(), key, "must be a table ([cache])");
        if (!cache(*table, out.cache)) return false;
      } else if (key == "distributed") {
        const auto* table = node.as_table();
        if (table == nullptr) return fail(node.source(), key, "must be a table ([distributed])");
        if (!distributed(*table, out.distributed)) return false;
      } else {
        return fail(k.source(), key, "unknown key");
      }
    }
    return true;
  }
};

}  // namespace

Expected<Config, std::string> parse_config(std::string_view text, std::string_view source,
                                           const std::filesystem::path& base_dir) {
  Parser parser{std::string(source), base_dir, {}};
  Config config;
  try {
    const toml::table root = toml::parse(text, source);
    if (!parser.top(root, config)) return Unexpected(parser.error);
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    out << source << ':' << e.source().begin.line << ": " << e.description();
    return Unexpected(out.str());
  } catch (const std::exception& e) {
    return Unexpected(std::string(source) + ": " + e.what());
  }
  return config;
}

Expected<Config, std::string> load_config(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return Unexpected(file.string() + ": cannot read: " + ec.message());
  if (size > kMaxConfigFileSize) {
    return Unexpected(file.string() + ": too large for a configuration file (" +
                      std::to_string(size) + " bytes)");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Unexpected(file.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unexpected(file.string() + ": read error");
  return parse_config(text.str(), file.string(), file.parent_path());
}

EnvLookup process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start-up
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

Expected<DefaultPaths, std::string> default_paths(uid_t euid, const EnvLookup& env) {
  DefaultPaths paths;
  if (euid == 0) {
    paths.socket = "/run/peerdist/peerdistd.sock";
    paths.state_dir = "/var/lib/peerdist";
    paths.config_file = "/etc/peerdist/peerdistd.toml";
    return paths;
  }
  if (auto runtime = env("XDG_RUNTIME_DIR")) {
    paths.socket = std::filesystem::path(*runtime) / "peerdist" / "peerdistd.sock";
  }
  std::filesystem::path home;
  if (auto h = env("HOME")) {
    home = *h;
  } else {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): called once at start-up, before any thread.
    const passwd* pw = ::getpwuid(euid);
    if (pw != nullptr && pw->pw_dir != nullptr) home = pw->pw_dir;
  }
  if (auto state = env("XDG_STATE_HOME")) {
    paths.state_dir = std::filesystem::path(*state) / "peerdist";
  } else if (!home.empty()) {
    paths.state_dir = home / ".local" / "state" / "peerdist";
  } else {
    return Unexpected(std::string(
        "no state directory: neither XDG_STATE_HOME nor HOME is set; pass --state-dir"));
  }
  if (auto config = env("XDG_CONFIG_HOME")) {
    paths.config_file = std::filesystem::path(*config) / "peerdist" / "peerdistd.toml";
  } else if (!home.empty()) {
    paths.config_file = home / ".config" / "peerdist" / "peerdistd.toml";
  }
  return paths;
}

}  // namespace peerdist::service
