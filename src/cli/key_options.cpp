#include "key_options.hpp"

#include <iostream>

#include "io.hpp"
#include "peerdist/util/hex.hpp"

namespace peerdist::cli {
namespace {

// A Windows export file is a few dozen bytes; anything large is not one.
constexpr std::uint64_t kMaxKeyFileSize = 64 * 1024;

}  // namespace

void KeyOptions::add_to(CLI::App& command) {
  auto* hex = command.add_option("--key-hex", key_hex, "server secret key as hex bytes");
  auto* pass = command.add_option("--passphrase", passphrase,
                                  "server secret from a passphrase, as Windows' "
                                  "'netsh branchcache set key passphrase=...'");
  auto* file = command.add_option("--key-file", key_file,
                                  "import the secret from a Windows key file "
                                  "('netsh branchcache exportkey')");
  auto* file_pass = command.add_option("--key-file-passphrase", key_file_passphrase,
                                       "the passphrase the key file was exported with");
  hex->excludes(pass)->excludes(file);
  pass->excludes(file);
  file->needs(file_pass);
  file_pass->needs(file);
}

Expected<pccrc::ServerSecret, std::string> KeyOptions::resolve() const {
  if (!key_hex.empty()) {
    auto bytes = util::from_hex(key_hex);
    if (!bytes || bytes->empty()) return Unexpected(std::string("--key-hex: not a hex byte string"));
    return pccrc::ServerSecret(std::move(*bytes));
  }
  if (!passphrase.empty()) {
    auto secret = pccrc::ServerSecret::from_passphrase(passphrase);
    if (!secret) return Unexpected("--passphrase: " + secret.error());
    return std::move(*secret);
  }
  if (!key_file.empty()) {
    auto bytes = read_all(key_file, kMaxKeyFileSize);
    if (!bytes) return Unexpected("--key-file: " + bytes.error());
    auto secret = pccrc::ServerSecret::from_windows_export(*bytes, key_file_passphrase);
    if (!secret) return Unexpected(key_file + ": " + secret.error().message());
    return std::move(*secret);
  }
  std::cerr << "peerdist: no key given: using a random server secret (not saved); the content "
               "information differs on every run. Pass --key-hex, --passphrase or --key-file.\n";
  return pccrc::ServerSecret::random();
}

}  // namespace peerdist::cli
