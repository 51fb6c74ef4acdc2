// The server-secret options every command that produces content information shares:
//   --key-hex HEX | --passphrase TEXT | --key-file FILE --key-file-passphrase TEXT
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "peerdist/pccrc/keys.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::cli {

struct KeyOptions {
  std::string key_hex;
  std::string passphrase;
  std::string key_file;
  std::string key_file_passphrase;

  void add_to(CLI::App& command);
  [[nodiscard]] bool any_given() const noexcept {
    return !key_hex.empty() || !passphrase.empty() || !key_file.empty();
  }
  // The secret the options name; a random one (and a note on stderr) when none is given.
  [[nodiscard]] Expected<pccrc::ServerSecret, std::string> resolve() const;
};

}  // namespace peerdist::cli
