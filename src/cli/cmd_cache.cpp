// peerdist cache [--json]: the data cache of distributed mode (what it holds, its limit, its
// oldest segment), from peerdistd through the C++ API's CacheInfo extension.
// peerdist cache clear: empties it (CacheClear; root or the service's own user), and says what
// went. It asks nothing: it is a command, and the cache only holds copies.
// Exit 0 when the service answered and did it, 1 otherwise.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>

#include "peerdist/peerdist.hpp"

#include "commands.hpp"
#include "human_units.hpp"

namespace peerdist::cli {
namespace {

struct CacheOptions {
  bool json = false;
};

// A number member of the daemon's object, or 0 when it is missing or not a number (readers
// ignore what they do not know, and tolerate what is absent: docs/ipc.md).
std::uint64_t number(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

// One line on stderr for an error of the service, with what to do about it.
int fail(const char* command, const std::error_code& error) {
  std::cerr << "peerdist " << command << ": ";
  if (error == Win32Error{PEERDIST_ERROR_SERVICE_UNAVAILABLE}) {
    const char* socket = std::getenv("PEERDIST_SOCKET");
    std::cerr << "no service answers" << (socket != nullptr ? std::string(" at ") + socket : "")
              << " (start peerdistd, or set PEERDIST_SOCKET)\n";
  } else if (error == std::errc::permission_denied) {
    std::cerr << "permission denied: only root or the user peerdistd runs as may clear its cache\n";
  } else {
    std::cerr << error.message() << '\n';
  }
  return kExitFailure;
}

// The daemon's JSON text as an object; nullopt (with a message) when it is not one.
std::optional<nlohmann::json> parse(const char* command, const std::string& text) {
  auto object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) {
    std::cerr << "peerdist " << command << ": the service's answer is not a JSON object\n";
    return std::nullopt;
  }
  return object;
}

int run_info(const CacheOptions& o) {
  auto instance = Instance::start();
  if (!instance) return fail("cache", instance.error());
  const auto text = instance->cache_info();
  if (!text) return fail("cache", text.error());
  const auto info = parse("cache", *text);
  if (!info) return kExitFailure;
  if (o.json) {
    std::cout << info->dump(2) << '\n';
    return kExitOk;
  }
  const std::uint64_t used = number(*info, "bytes");
  const std::uint64_t limit = number(*info, "max_bytes");
  std::cout << "used: " << human_bytes(used) << " of " << human_bytes(limit);
  if (limit > 0) {
    std::cout << " (" << (used * 100 + limit / 2) / limit << "%)";
  }
  std::cout << '\n';
  std::cout << "segments: " << number(*info, "segments") << " ("
            << number(*info, "complete_segments") << " complete)\n";
  std::cout << "blocks: " << number(*info, "blocks") << '\n';
  const auto oldest = info->find("oldest_age_seconds");
  if (oldest != info->end() && oldest->is_number_unsigned()) {
    std::cout << "oldest: " << human_duration(std::chrono::seconds(oldest->get<std::int64_t>()))
              << " ago";
  } else {
    std::cout << "oldest: (empty)";
  }
  if (const std::uint64_t max_age = number(*info, "max_age_seconds"); max_age > 0) {
    std::cout << ", kept at most "
              << human_duration(std::chrono::seconds(static_cast<std::int64_t>(max_age)));
  }
  std::cout << '\n';
  if (const auto dir = info->find("dir"); dir != info->end() && dir->is_string()) {
    std::cout << "directory: " << dir->get<std::string>() << '\n';
  }
  return kExitOk;
}

int run_clear() {
  auto instance = Instance::start();
  if (!instance) return fail("cache clear", instance.error());
  const auto text = instance->cache_clear();
  if (!text) return fail("cache clear", text.error());
  const auto removed = parse("cache clear", *text);
  if (!removed) return kExitFailure;
  std::cout << "removed " << human_bytes(number(*removed, "bytes")) << " in "
            << number(*removed, "segments") << " segments (" << number(*removed, "blocks")
            << " blocks)\n";
  return kExitOk;
}

}  // namespace

void add_cache_command(CLI::App& app, Runner& chosen) {
  auto options = std::make_shared<CacheOptions>();
  auto* cmd = app.add_subcommand("cache", "Show the data cache of distributed mode");
  cmd->add_flag("--json", options->json, "print one JSON object");
  auto* clear = cmd->add_subcommand("clear", "Empty the data cache (root or the service's user)");
  cmd->require_subcommand(0, 1);
  cmd->callback([options, clear, &chosen] {
    if (clear->parsed()) {
      chosen = [] { return run_clear(); };
    } else {
      chosen = [options] { return run_info(*options); };
    }
  });
}

}  // namespace peerdist::cli
