// Base64 as xs:base64Binary in MS-PCCRD: RFC 4648 §10 test vectors and the strict form.
#include "peerdist/wire/pccrd/base64.hpp"

#include <gtest/gtest.h>

#include <random>

namespace peerdist::wire::pccrd {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {{"", ""},
                                                                   {"f", "Zg=="},
                                                                   {"fo", "Zm8="},
                                                                   {"foo", "Zm9v"},
                                                                   {"foob", "Zm9vYg=="},
                                                                   {"fooba", "Zm9vYmE="},
                                                                   {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(bytes_of(plain)), encoded);
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, bytes_of(plain));
  }
}

TEST(Base64, AllOnesExampleOfTheSpec) {
  // MS-PCCRD's v2 ProbeMatch example: 10 bytes 0xFF.
  EXPECT_EQ(base64_encode(Bytes(10, 0xff)), "/////////////w==");
  EXPECT_EQ(base64_decode("/////////////w=="), Bytes(10, 0xff));
}

TEST(Base64, RejectsMalformedText) {
  for (std::string_view bad : {"Z", "Zg", "Zg=", "Zm9", "Zg==Zg==", "====", "Z===", "Zm=v", "Zm 9v",
                               "Zm9v\n", "Zm9-", "Zm9_", "Zm9v=", "Zm9v====", "Zg=a"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(Base64, ToleratesNonZeroPaddingBits) {
  // "Zh==" carries the same byte as "Zg==" with a stray low bit.
  EXPECT_EQ(base64_decode("Zh=="), bytes_of("f"));
}

TEST(Base64, RandomRoundTrips) {
  std::mt19937 rng(99);
  for (int i = 0; i < 300; ++i) {
    Bytes b(rng() % 100);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    const std::string text = base64_encode(b);
    EXPECT_EQ(text.size(), (b.size() + 2) / 3 * 4);
    EXPECT_EQ(base64_decode(text), b);
  }
}

}  // namespace
}  // namespace peerdist::wire::pccrd
