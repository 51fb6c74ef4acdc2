#include "peerdist/service/secret.hpp"

#include <sys/stat.h>

#include <cctype>
#include <string_view>

#include "peerdist/crypto/random.hpp"
#include "peerdist/service/files.hpp"
#include "peerdist/util/hex.hpp"

namespace peerdist::service {
namespace {

// A Windows export file is a few dozen bytes and a hex key file under a KiB; larger files are
// not what they claim to be.
constexpr std::uintmax_t kMaxKeyFileSize = 64 * 1024;
constexpr mode_t kSecretFileMode = 0600;

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

Expected<ResolvedSecret, std::string> from_state(const std::filesystem::path& state_dir) {
  const std::filesystem::path file = state_dir / kSecretFileName;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    auto bytes = read_small_file(file, kMaxKeyFileSize);
    if (!bytes) return Unexpected(bytes.error());
    const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    auto key = util::from_hex(trim(text));
    if (!key || key->empty()) {
      return Unexpected(file.string() +
                        ": not a hex key; fix or remove it (a new random key is then generated, "
                        "and content information changes)");
    }
    ResolvedSecret out{pccrc::ServerSecret(std::move(*key)), file.string(), {}};
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077U) != 0) {
      out.warnings.push_back(file.string() +
                             " is readable by other users; it should be mode 0600");
    }
    return out;
  }
  if (ec) return Unexpected(file.string() + ": " + ec.message());
  std::vector<std::uint8_t> key = crypto::random_bytes(kGeneratedSecretSize);
  const std::string text = util::to_hex(key) + "\n";
  auto written = write_file_atomically(
      file, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, kSecretFileMode);
  if (!written) return Unexpected(written.error());
  return ResolvedSecret{pccrc::ServerSecret(std::move(key)), file.string() + " (generated)", {}};
}

}  // namespace

Expected<ResolvedSecret, std::string> resolve_secret(const SecretSource& source,
                                                     const std::filesystem::path& state_dir) {
  try {
    if (!source.key_hex.empty()) {
      auto key = util::from_hex(source.key_hex);
      if (!key || key->empty()) {
        return Unexpected(std::string("secret.key_hex: not a hex byte string"));
      }
      return ResolvedSecret{pccrc::ServerSecret(std::move(*key)), "secret.key_hex", {}};
    }
    if (!source.passphrase.empty()) {
      auto secret = pccrc::ServerSecret::from_passphrase(source.passphrase);
      if (!secret) return Unexpected("secret.passphrase: " + secret.error());
      return ResolvedSecret{std::move(*secret), "secret.passphrase", {}};
    }
    if (!source.key_file.empty()) {
      auto bytes = read_small_file(source.key_file, kMaxKeyFileSize);
      if (!bytes) return Unexpected("secret.key_file: " + bytes.error());
      auto secret = pccrc::ServerSecret::from_windows_export(*bytes, source.key_file_passphrase);
      if (!secret) {
        return Unexpected("secret.key_file: " + source.key_file.string() + ": " +
                          secret.error().message() + " (wrong key_file_passphrase?)");
      }
      return ResolvedSecret{std::move(*secret), source.key_file.string(), {}};
    }
    return from_state(state_dir);
  } catch (const std::exception& e) {
    // random_bytes() throws when the system has no entropy; nothing else here should.
    return Unexpected(std::string("server secret: ") + e.what());
  }
}

}  // namespace peerdist::service
