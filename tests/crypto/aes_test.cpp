// Known answers from NIST SP 800-38A F.2.1/F.2.5 (AES-128/256-CBC).
#include "peerdist/crypto/aes.hpp"

#include <gtest/gtest.h>

#include "peerdist/util/hex.hpp"

namespace peerdist::crypto {
namespace {

std::vector<std::uint8_t> h(std::string_view s) { return *util::from_hex(s); }

const auto kIv = h("000102030405060708090a0b0c0d0e0f");
const auto kPlain = h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");

TEST(AesCbc, Sp80038aAes128) {
  const auto key = h("2b7e151628aed2a6abf7158809cf4f3c");
  auto c = aes_cbc_encrypt(key, kIv, kPlain, Padding::none);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(util::to_hex(*c), "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
  auto p = aes_cbc_decrypt(key, kIv, *c, Padding::none);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, kPlain);
}

TEST(AesCbc, Sp80038aAes256) {
  const auto key = h("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  auto c = aes_cbc_encrypt(key, kIv, kPlain, Padding::none);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(util::to_hex(*c), "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d");
}

TEST(AesCbc, Pkcs7RoundTripAndBadPadding) {
  const auto key = h("2b7e151628aed2a6abf7158809cf4f3c");
  const std::vector<std::uint8_t> msg = {1, 2, 3, 4, 5};
  auto c = aes_cbc_encrypt(key, kIv, msg, Padding::pkcs7);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->size(), 16U);
  EXPECT_EQ(*aes_cbc_decrypt(key, kIv, *c, Padding::pkcs7), msg);
  auto wrong_key = h("000102030405060708090a0b0c0d0e0f");
  // With a wrong key the padding is almost surely invalid; either way the bytes differ.
  auto p = aes_cbc_decrypt(wrong_key, kIv, *c, Padding::pkcs7);
  EXPECT_TRUE(!p.has_value() || *p != msg);
}

TEST(AesCbc, RejectsBadSizes) {
  const std::vector<std::uint8_t> key(15);
  EXPECT_FALSE(aes_cbc_encrypt(key, kIv, kPlain, Padding::none).has_value());
  const std::vector<std::uint8_t> good_key(16);
  const std::vector<std::uint8_t> odd(17);
  EXPECT_FALSE(aes_cbc_encrypt(good_key, kIv, odd, Padding::none).has_value());
  EXPECT_FALSE(aes_cbc_decrypt(good_key, kIv, odd, Padding::pkcs7).has_value());
  EXPECT_FALSE(aes_cbc_decrypt(good_key, std::vector<std::uint8_t>(8), kPlain, Padding::none).has_value());
}

}  // namespace
}  // namespace peerdist::crypto
