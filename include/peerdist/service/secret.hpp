// The server secret peerdistd hashes content with (MS-PCCRC 2.5): from the configuration, or
// generated once and kept in <state>/secret.key so that content information stays the same
// across restarts (peers and hosted caches index content by segment IDs derived from it).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "peerdist/pccrc/keys.hpp"
#include "peerdist/service/config.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::service {

// The file under the state directory that keeps a generated secret: the key as lower-case hex
// and a newline, mode 0600 (the key lets anyone forge content information as this server).
inline constexpr const char* kSecretFileName = "secret.key";
// Bytes of a generated key: 256 bits, like the keys Windows generates.
inline constexpr std::size_t kGeneratedSecretSize = 32;

struct ResolvedSecret {
  pccrc::ServerSecret secret;
  std::string origin;                  // for the log: "secret.key_hex", "/var/lib/peerdist/secret.key (generated)"
  std::vector<std::string> warnings;   // e.g. a secret file readable by others
};

// The secret `source` names; if it names none, the one kept in `state_dir`, generated (and
// written atomically, 0600) when there is none yet. A malformed secret file is an error, never
// replaced: it may be the only copy of a key shared with other servers.
[[nodiscard]] Expected<ResolvedSecret, std::string> resolve_secret(
    const SecretSource& source, const std::filesystem::path& state_dir);

}  // namespace peerdist::service
