// The MSG_BLK cipher (spec digest §1.8, A1, A2): known answers computed independently with the
// openssl command line, round trips for every CryptoAlgoId, padding ignored on receipt, and the
// errors a client must see instead of a wrong block.
#include "peerdist/wire/pccrr/block_cipher.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <variant>

#include "peerdist/crypto/aes.hpp"
#include "peerdist/wire/pccrr/codec.hpp"

#include "message_samples.hpp"
#include "support/test_data.hpp"
#include "test_util.hpp"

namespace peerdist::wire::pccrr {
namespace {

using test::Bytes;
using test::hex;

// Kp = 00 01 .. 1f, IV = a0 a1 .. af, plaintext = the 39 ASCII bytes below. The ciphertexts
// were computed at test-writing time with OpenSSL 3.0 (PKCS#7 is its default padding):
//   printf 'PeerDist MS-PCCRR block, 39 bytes long.' > p.bin
//   K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
//   openssl enc -aes-128-cbc -K ${K:0:32} -iv a0a1a2a3a4a5a6a7a8a9aaabacadaeaf -in p.bin | xxd -p
//   openssl enc -aes-192-cbc -K ${K:0:48} -iv ... ; openssl enc -aes-256-cbc -K $K -iv ...
const Bytes kKp = hex("000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f");
const Iv kIv = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
constexpr std::string_view kText = "PeerDist MS-PCCRR block, 39 bytes long.";
const Bytes kPlaintext(kText.begin(), kText.end());

struct KnownAnswer {
  CryptoAlgorithm algorithm;
  Bytes ciphertext;
};
const KnownAnswer kKnownAnswers[] = {
    {CryptoAlgorithm::aes128, hex("b1658fe31ff2c968b69e20adb6a054eb1e33bfbdb5e30607778b8c55fcfdaa01"
                                  "43202735c0536418c5c876f8e23dc4e5")},
    {CryptoAlgorithm::aes192, hex("218d68049bd518cfed9038d0ccfe34753bc618b523124906eb6fee1a2b840f15"
                                  "e1022901fee5fe0b1b7580177d577eb8")},
    {CryptoAlgorithm::aes256, hex("56b4a38c9de87a532630b667908153e95a0d1f60b2eb886f1d16b8605433b866"
                                  "52a955ca6932e0c4e7b71e77878c2537")},
};

// '0123456789abcdef' twice under AES-128 with the same key and IV: 32 bytes become 48, the last
// block pure padding.
//   printf '0123456789abcdef0123456789abcdef' | openssl enc -aes-128-cbc -K ${K:0:32} -iv ...
const Bytes kPlaintext32 = hex("30313233343536373839616263646566 30313233343536373839616263646566");
const Bytes kCiphertext32 =
    hex("c38f66b3f2c34ae2d9fe685a2542dd8bf69a4a5d07ed1538cecce530280d9e5d"
        "c5c8734cb747ebe152215174536f2e38");

TEST(BlockCipher, KnownAnswers) {
  ASSERT_EQ(kPlaintext.size(), 39U);
  for (const auto& kat : kKnownAnswers) {
    Bytes out(encrypted_block_size(kat.algorithm, kPlaintext.size()));
    ASSERT_EQ(out.size(), 48U);
    auto done = encrypt_block_into(kat.algorithm, kKp, kIv, kPlaintext, out);
    ASSERT_TRUE(done.has_value()) << done.error();
    EXPECT_EQ(out, kat.ciphertext) << to_string(kat.algorithm);
    auto plain = decrypt_block(kat.algorithm, kKp, kIv, kat.ciphertext, kPlaintext.size());
    ASSERT_TRUE(plain.has_value()) << plain.error();
    EXPECT_EQ(*plain, kPlaintext) << to_string(kat.algorithm);
  }
}

TEST(BlockCipher, EncryptedSizes) {
  EXPECT_EQ(encrypted_block_size(CryptoAlgorithm::aes128, 65536), 65552U);
  EXPECT_EQ(encrypted_block_size(CryptoAlgorithm::aes256, 15), 16U);
  EXPECT_EQ(encrypted_block_size(CryptoAlgorithm::aes192, 16), 32U);
  EXPECT_EQ(encrypted_block_size(CryptoAlgorithm::aes128, 1), 16U);
  EXPECT_EQ(encrypted_block_size(CryptoAlgorithm::none, 1001), 1001U);
}

TEST(BlockCipher, RoundTripEveryAlgorithmThroughAMsgBlk) {
  const auto kp = peerdist::test::random_content(32, 7);
  for (const auto algorithm : {CryptoAlgorithm::none, CryptoAlgorithm::aes128,
                               CryptoAlgorithm::aes192, CryptoAlgorithm::aes256}) {
    // Short, odd, exact multiples, a full V1 block, a V2 segment-sized block.
    for (const std::size_t size : {1U, 15U, 16U, 17U, 4096U, 65536U, 100000U}) {
      const auto plaintext = peerdist::test::random_content(size, size);
      MsgBlk fields = missing_block(test::segment_id(), pccrc::BlockIndex(2));
      fields.crypto = algorithm;
      auto body = encode_blk_response(fields, kp, plaintext);
      ASSERT_TRUE(body.has_value()) << body.error();
      auto decoded = decode_response(*body);
      ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
      const auto& blk = std::get<MsgBlk>(*decoded);
      EXPECT_EQ(blk.crypto, algorithm);
      EXPECT_EQ(blk.block.size(), encrypted_block_size(algorithm, size));
      EXPECT_EQ(blk.iv.size(), algorithm == CryptoAlgorithm::none ? 0U : kIvSize);
      auto plain = decrypt_block(blk, kp, size);
      ASSERT_TRUE(plain.has_value()) << plain.error();
      EXPECT_EQ(*plain, plaintext) << to_string(algorithm) << " " << size;
    }
  }
}

TEST(BlockCipher, FreshIvPerResponse) {
  MsgBlk fields = missing_block(test::segment_id(), pccrc::BlockIndex(0));
  fields.crypto = CryptoAlgorithm::aes128;
  auto a = encode_blk_response(fields, kKp, kPlaintext);
  auto b = encode_blk_response(fields, kKp, kPlaintext);
  ASSERT_TRUE(a.has_value() && b.has_value());
  auto da = decode_response(*a);
  auto db = decode_response(*b);
  ASSERT_TRUE(da.has_value() && db.has_value());
  const auto& ma = std::get<MsgBlk>(*da);
  const auto& mb = std::get<MsgBlk>(*db);
  EXPECT_FALSE(std::equal(ma.iv.begin(), ma.iv.end(), mb.iv.begin(), mb.iv.end()));
  EXPECT_FALSE(std::equal(ma.block.begin(), ma.block.end(), mb.block.begin(), mb.block.end()));
}

TEST(BlockCipher, PaddingIsIgnoredOnReceipt) {
  // A2: the last block here is pure PKCS#7 padding; garble it and the block still decrypts to
  // its 32 bytes (a PKCS#7-checking decrypt would fail).
  Bytes garbled = kCiphertext32;
  garbled.back() ^= 0x5A;
  EXPECT_FALSE(crypto::aes_cbc_decrypt(Bytes(kKp.begin(), kKp.begin() + 16), kIv, garbled,
                                       crypto::Padding::pkcs7)
                   .has_value());
  for (const Bytes* ciphertext : {&kCiphertext32, static_cast<const Bytes*>(&garbled)}) {
    auto plain = decrypt_block(CryptoAlgorithm::aes128, kKp, kIv, *ciphertext, 32);
    ASSERT_TRUE(plain.has_value()) << plain.error();
    EXPECT_EQ(*plain, kPlaintext32);
  }
  // A sender without padding (32 bytes of ciphertext for 32 bytes) decrypts too.
  const Bytes unpadded(kCiphertext32.begin(), kCiphertext32.begin() + 32);
  auto plain = decrypt_block(CryptoAlgorithm::aes128, kKp, kIv, unpadded, 32);
  ASSERT_TRUE(plain.has_value()) << plain.error();
  EXPECT_EQ(*plain, kPlaintext32);
  // Padding bytes of any value after the 39 bytes of the KAT: the plaintext stops at 39.
  Bytes longer = kKnownAnswers[0].ciphertext;
  longer.insert(longer.end(), 16, 0xEE);
  auto kept = decrypt_block(CryptoAlgorithm::aes128, kKp, kIv, longer, 39);
  ASSERT_TRUE(kept.has_value()) << kept.error();
  EXPECT_EQ(*kept, kPlaintext);
}

TEST(BlockCipher, Rejects) {
  const Bytes& c = kKnownAnswers[0].ciphertext;
  const auto fails = [](const Expected<Bytes, std::string>& r) { return !r.has_value(); };
  // Kp shorter than the key: 16 bytes make AES-128 only.
  const Bytes short_kp(kKp.begin(), kKp.begin() + 16);
  EXPECT_TRUE(decrypt_block(CryptoAlgorithm::aes128, short_kp, kIv, c, 39).has_value());
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::aes192, short_kp, kIv, c, 39)));
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::aes256, short_kp, kIv, c, 39)));
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::aes128, Bytes(15, 1), kIv, c, 39)));
  Bytes out(48);
  EXPECT_FALSE(
      encrypt_block_into(CryptoAlgorithm::aes256, short_kp, kIv, kPlaintext, out).has_value());
  MsgBlk fields = missing_block(test::segment_id(), pccrc::BlockIndex(0));
  fields.crypto = CryptoAlgorithm::aes192;
  EXPECT_FALSE(encode_blk_response(fields, short_kp, kPlaintext).has_value());
  // Output of the wrong size.
  Bytes small(32);
  EXPECT_FALSE(
      encrypt_block_into(CryptoAlgorithm::aes128, kKp, kIv, kPlaintext, small).has_value());
  // Ciphertext not a multiple of 16, shorter than the block, or missing; a bad IV.
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::aes128, kKp, kIv, std::span(c).first(47), 39)));
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::aes128, kKp, kIv, c, 49)));
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::aes128, kKp, kIv, {}, 39)));
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::aes128, kKp, {}, c, 39)));
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::aes128, kKp, Bytes(15, 0), c, 39)));
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::aes128, kKp, kIv, c, 0)));
  // Plaintext blocks: no fewer bytes than the block has.
  EXPECT_TRUE(fails(decrypt_block(CryptoAlgorithm::none, kKp, {}, kPlaintext, 40)));
  auto prefix = decrypt_block(CryptoAlgorithm::none, {}, {}, kPlaintext, 8);
  ASSERT_TRUE(prefix.has_value()) << prefix.error();
  EXPECT_EQ(*prefix, Bytes(kPlaintext.begin(), kPlaintext.begin() + 8));
}

TEST(BlockCipher, WholeKpAlternative) {
  // A1: a peer that keyed AES-256 with all of Kp although it said AES-128. The AES-256 known
  // answer is exactly that ciphertext (Kp is 32 bytes).
  const Bytes& c = kKnownAnswers[2].ciphertext;
  auto usual = decrypt_block(CryptoAlgorithm::aes128, kKp, kIv, c, 39);
  ASSERT_TRUE(usual.has_value()) << usual.error();
  EXPECT_NE(*usual, kPlaintext);  // the hash check would fail, so the client tries the other
  auto whole = decrypt_block_whole_kp(kKp, kIv, c, 39);
  ASSERT_TRUE(whole.has_value()) << whole.error();
  EXPECT_EQ(*whole, kPlaintext);
  // Only a 32-byte Kp is an AES-256 key as a whole.
  EXPECT_FALSE(decrypt_block_whole_kp(Bytes(48, 1), kIv, c, 39).has_value());
  EXPECT_FALSE(decrypt_block_whole_kp(Bytes(16, 1), kIv, c, 39).has_value());
  EXPECT_FALSE(decrypt_block_whole_kp(kKp, kIv, {}, 39).has_value());
}

}  // namespace
}  // namespace peerdist::wire::pccrr
