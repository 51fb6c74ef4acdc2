// Known answers from FIPS 180-4 (SHA-2 of "abc") and RFC 4231 (HMAC-SHA-2).
#include "peerdist/crypto/hash.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "peerdist/util/hex.hpp"

namespace peerdist::crypto {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};  // NOLINT
}

TEST(Hash, Sha2OfAbc) {
  EXPECT_EQ(hash(HashAlgorithm::sha256, bytes_of("abc")).hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash(HashAlgorithm::sha384, bytes_of("abc")).hex(),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(hash(HashAlgorithm::sha512, bytes_of("abc")).size(), 64U);
}

TEST(Hash, IncrementalEqualsOneShotAndHasherIsReusable) {
  Hasher h(HashAlgorithm::sha512);
  h.update(bytes_of("a"));
  h.update(bytes_of("bc"));
  const Digest first = h.finish();
  EXPECT_EQ(first, hash(HashAlgorithm::sha512, bytes_of("abc")));
  EXPECT_EQ(h.digest(bytes_of("abc")), first);
}

TEST(Hash, TruncationKeepsPrefix) {
  const Digest d = hash(HashAlgorithm::sha512, bytes_of("abc"));
  const Digest t = d.truncated(32);
  EXPECT_EQ(t.size(), 32U);
  EXPECT_TRUE(std::equal(t.bytes().begin(), t.bytes().end(), d.bytes().begin()));
}

TEST(Hmac, Rfc4231TestCase2) {
  const auto key = bytes_of("Jefe");
  const auto msg = bytes_of("what do ya want for nothing?");
  EXPECT_EQ(hmac(HashAlgorithm::sha256, key, msg).hex(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac(HashAlgorithm::sha512, key, msg).hex(),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  // A message in two parts is the concatenation.
  EXPECT_EQ(hmac(HashAlgorithm::sha256, key, bytes_of("what do ya "), bytes_of("want for nothing?")),
            hmac(HashAlgorithm::sha256, key, msg));
}

}  // namespace
}  // namespace peerdist::crypto
