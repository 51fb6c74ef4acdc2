// peerdist status: the service's state, content-information versions and counts, for people or
// (--json) programs. Exit 0 when the service answered, 1 when none did.
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "peerdist/peerdist.hpp"

namespace peerdist::cli {
namespace {

struct StatusOptions {
  bool json = false;
};

std::string_view status_name(ServiceStatus s) {
  switch (s) {
    case ServiceStatus::available: return "available";
    case ServiceStatus::disabled: return "disabled";
    case ServiceStatus::unavailable: return "unavailable";
  }
  return "unknown";
}

// Distributed mode in a few lines: where peers retrieve from this machine, and where the bytes
// read came from.
void show_distributed(const nlohmann::json& d) {
  if (!d.contains("distributed")) return;
  const nlohmann::json& dist = d["distributed"];
  // An older daemon said only true or false.
  const bool enabled = dist.is_boolean() ? dist.get<bool>() : dist.value("enabled", false);
  std::cout << "distributed mode: " << (enabled ? "on" : "off") << '\n';
  if (dist.is_object() && dist.contains("pccrr")) {
    const nlohmann::json& pccrr = dist["pccrr"];
    std::cout << "  peer retrieval (MS-PCCRR): port " << pccrr.value("port", 0);
    if (pccrr.value("listening", false)) {
      std::cout << ", listening";
    } else {
      const auto& error = pccrr["error"];
      std::cout << ", not listening"
                << (error.is_string() ? " (" + error.get<std::string>() + ")" : "");
    }
    std::cout << '\n';
    if (dist.contains("discovery")) {
      const nlohmann::json& discovery = dist["discovery"];
      std::cout << "  discovery (MS-PCCRD): ";
      if (!discovery.value("enabled", false)) {
        std::cout << "off\n";
      } else {
        std::cout << "UDP " << discovery.value("port", 0)
                  << (discovery.value("responding", false) ? ", answering" : ", not answering")
                  << (discovery.value("probing", false) ? ", probing" : ", not probing") << '\n';
      }
    }
  }
  auto bytes = [&d](const char* key) -> std::string {
    return d.contains(key) ? d[key].dump() : std::string("?");
  };
  std::cout << "bytes read: " << bytes("bytes_from_cache") << " from the cache, "
            << bytes("bytes_from_peers") << " from peers, " << bytes("bytes_from_origin")
            << " from the origin\n";
}

int run_status(const StatusOptions& o) {
  nlohmann::ordered_json out;
  auto instance = Instance::start();
  std::optional<StatusInfo> status;
  if (instance) {
    if (auto s = instance->status()) status = *s;
  }
  out["status"] = status ? status_name(status->status) : "unavailable";
  if (status && status->status != ServiceStatus::unavailable) {
    out["content_information_versions"] = {status->min_content_info_version,
                                           status->max_content_info_version};
  }
  std::optional<nlohmann::json> details;
  if (instance && status && status->status != ServiceStatus::unavailable) {
    if (auto info = instance->service_info()) {
      details = nlohmann::json::parse(*info, nullptr, /*allow_exceptions=*/false);
      if (details->is_discarded()) details.reset();
    }
  }
  if (details) out["service"] = *details;
  const char* socket = std::getenv("PEERDIST_SOCKET");
  if (socket != nullptr) out["socket"] = socket;

  if (o.json) {
    std::cout << out.dump(2) << '\n';
  } else {
    std::cout << "peerdistd: " << out["status"].get<std::string>() << '\n';
    if (out.contains("content_information_versions")) {
      std::cout << "content information versions: " << status->min_content_info_version << " to "
                << status->max_content_info_version << '\n';
    }
    if (details) {
      const auto& d = *details;
      auto show = [&d](const char* label, const char* key) {
        if (d.contains(key)) {
          std::cout << label << ": " << (d[key].is_string() ? d[key].get<std::string>() : d[key].dump())
                    << '\n';
        }
      };
      show("version", "version");
      show("pid", "pid");
      show("socket", "socket");
      show("state directory", "state_dir");
      show("uptime (s)", "uptime_seconds");
      show("publications", "publications");
      show("connections", "connections");
      show_distributed(d);
    } else if (!status || status->status == ServiceStatus::unavailable) {
      std::cout << "no service answers" << (socket != nullptr ? std::string(" at ") + socket : "")
                << " (start peerdistd, or set PEERDIST_SOCKET)\n";
    }
  }
  return status && status->status != ServiceStatus::unavailable ? kExitOk : kExitFailure;
}

}  // namespace

void add_status_command(CLI::App& app, Runner& chosen) {
  auto options = std::make_shared<StatusOptions>();
  auto* cmd = app.add_subcommand("status", "Show the state of the Peer Distribution service");
  cmd->add_flag("--json", options->json, "print one JSON object");
  cmd->callback([options, &chosen] { chosen = [options] { return run_status(*options); }; });
}

}  // namespace peerdist::cli
