// Key derivation against the values captured from Windows (ipxe-iis85-v*) and the derived
// passphrase vectors.
#include "peerdist/pccrc/keys.hpp"

#include <gtest/gtest.h>

#include "peerdist/util/hex.hpp"
#include "support/vector_file.hpp"

namespace peerdist::pccrc {
namespace {

using test::VectorFile;

crypto::Digest digest(const VectorFile& v, const std::string& key) { return crypto::Digest(v.bytes(key)); }

struct KeyCase {
  const char* name;  // the test's name suffix
  const char* file;
  HashScheme scheme;
  int segments;
};

class KeysFromVectors : public ::testing::TestWithParam<KeyCase> {};

TEST_P(KeysFromVectors, KsKpAndSegmentIdMatch) {
  const auto& param = GetParam();
  const auto v = VectorFile::load(param.file);
  const ServerSecret secret(v.bytes("server_secret_key_hex"));
  const crypto::Digest ks = secret.ks(param.scheme);
  EXPECT_EQ(ks.hex(), v.text("server_secret_ks_hex"));
  for (int i = 0; i < param.segments; ++i) {
    const std::string seg = "segment." + std::to_string(i) + ".";
    const auto hod = digest(v, seg + "hod_hex");
    const auto kp = derive_kp(param.scheme, ks, hod);
    EXPECT_EQ(kp.hex(), v.text(seg + "kp_hex")) << seg;
    EXPECT_EQ(derive_segment_id(param.scheme, kp, hod).hex(), v.text(seg + "hohodk_hex")) << seg;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Windows, KeysFromVectors,
    ::testing::Values(
        KeyCase{"IisV1Sha256", "ipxe-iis85-v1.txt", {Version::v1, crypto::HashAlgorithm::sha256}, 1},
        KeyCase{"IisV2", "ipxe-iis85-v2.txt", HashScheme::v2(), 2},
        KeyCase{"DerivedV1Sha384", "derived/iis85-v1-sha384.txt", {Version::v1, crypto::HashAlgorithm::sha384}, 1},
        KeyCase{"DerivedV1Sha512", "derived/iis85-v1-sha512.txt", {Version::v1, crypto::HashAlgorithm::sha512}, 1}),
    [](const ::testing::TestParamInfo<KeyCase>& param) { return std::string(param.param.name); });

TEST(ServerSecret, PassphraseIsUtf16LeWithoutTerminator) {
  const auto v = VectorFile::load("derived/passphrase-keys.txt");
  for (const std::string& prefix : {std::string("server_secret."), std::string("no_more_secrets.")}) {
    auto secret = ServerSecret::from_passphrase(v.text(prefix + "passphrase"));
    ASSERT_TRUE(secret.has_value());
    EXPECT_EQ(util::to_hex(secret->bytes()), v.text(prefix + "server_secret_key_hex"));
    EXPECT_EQ(secret->ks({Version::v1, crypto::HashAlgorithm::sha256}).hex(), v.text(prefix + "ks_sha256_hex"));
    EXPECT_EQ(secret->ks({Version::v1, crypto::HashAlgorithm::sha384}).hex(), v.text(prefix + "ks_sha384_hex"));
    EXPECT_EQ(secret->ks({Version::v1, crypto::HashAlgorithm::sha512}).hex(), v.text(prefix + "ks_sha512_hex"));
    EXPECT_EQ(secret->ks(HashScheme::v2()).hex(), v.text(prefix + "ks_v2_trunc_sha512_hex"));
  }
}

TEST(ServerSecret, PassphraseOutsideTheBmpUsesSurrogatePairs) {
  auto secret = ServerSecret::from_passphrase("a\xC3\xA9\xF0\x9F\x94\x91");  // "aé🔑"
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(util::to_hex(secret->bytes()), "6100e9003dd811dd");
}

TEST(ServerSecret, RejectsEmptyOrInvalidPassphrase) {
  EXPECT_FALSE(ServerSecret::from_passphrase("").has_value());
  EXPECT_FALSE(ServerSecret::from_passphrase("\xC3").has_value());        // truncated
  EXPECT_FALSE(ServerSecret::from_passphrase("\xC0\x80").has_value());    // overlong NUL
  EXPECT_FALSE(ServerSecret::from_passphrase("\xED\xA0\x80").has_value());  // surrogate
}

TEST(ServerSecret, WindowsExportFileRoundTrip) {
  const auto v = VectorFile::load("ipxe-iis85-v1.txt");
  const ServerSecret secret(v.bytes("server_secret_key_hex"));
  const auto file = secret.to_windows_export("file passphrase");
  // 32-byte checksum + 32-byte key + a full block of PKCS#7 padding.
  EXPECT_EQ(file.size(), 80U);
  auto imported = ServerSecret::from_windows_export(file, "file passphrase");
  ASSERT_TRUE(imported.has_value()) << imported.error().message();
  EXPECT_EQ(util::to_hex(imported->bytes()), v.text("server_secret_key_hex"));
}

TEST(ServerSecret, WindowsExportFileFormatIsAesOfChecksumAndKey) {
  // Build the file independently of to_windows_export: the plaintext layout is
  // SHA-256(key) || key under AES-256-CBC keyed by SHA-256(UTF-16LE(passphrase)), IV 0.
  const auto key = *util::from_hex("00112233445566778899aabbccddeeff");
  const ServerSecret secret(key);
  const auto file = secret.to_windows_export("pw");
  auto imported = ServerSecret::from_windows_export(file, "pw");
  ASSERT_TRUE(imported.has_value());
  EXPECT_EQ(util::to_hex(imported->bytes()), util::to_hex(key));
  // The first 32 plaintext bytes are the V1 Ks.
  EXPECT_EQ(secret.ks({Version::v1, crypto::HashAlgorithm::sha256}),
            crypto::hash(crypto::HashAlgorithm::sha256, key));
}

TEST(ServerSecret, WindowsExportFileErrors) {
  const ServerSecret secret(*util::from_hex("0102030405060708"));
  auto file = secret.to_windows_export("right");
  auto wrong = ServerSecret::from_windows_export(file, "wrong");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message().find("passphrase"), std::string::npos);
  auto truncated = ServerSecret::from_windows_export(std::span(file).first(file.size() - 1), "right");
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().field, "export file");
  EXPECT_FALSE(ServerSecret::from_windows_export({}, "right").has_value());
}

}  // namespace
}  // namespace peerdist::pccrc
