// Message IDs: urn:uuid of a random version-4 UUID; the URI values the decoders accept.
#include "peerdist/wire/pccrd/message_id.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

namespace peerdist::wire::pccrd {
namespace {

// "urn:uuid:" then 8-4-4-4-12 lower-case hex digits, version nibble 4, variant 8..b. (No
// std::regex: GCC 12 -O2 warns inside it.)
bool is_v4_uuid_urn(const std::string& id) {
  constexpr std::string_view kPrefix = "urn:uuid:";
  if (!id.starts_with(kPrefix) || id.size() != kPrefix.size() + 36) return false;
  const std::string_view uuid = std::string_view(id).substr(kPrefix.size());
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    const char c = uuid[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return uuid[14] == '4' && std::string_view("89ab").find(uuid[19]) != std::string_view::npos;
}

TEST(MessageId, IsAVersion4UuidUrn) {
  EXPECT_TRUE(is_v4_uuid_urn("urn:uuid:2f6e6d0a-79a2-4c4e-9d1b-0a6b3c1d2e3f"));
  EXPECT_FALSE(is_v4_uuid_urn("urn:uuid:2f6e6d0a-79a2-1c4e-9d1b-0a6b3c1d2e3f"));
  EXPECT_FALSE(is_v4_uuid_urn("urn:uuid:2f6e6d0a-79a2-4c4e-7d1b-0a6b3c1d2e3f"));
  EXPECT_FALSE(is_v4_uuid_urn("urn:uuid:2F6E6D0A-79A2-4C4E-9D1B-0A6B3C1D2E3F"));
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = new_message_id();
    EXPECT_TRUE(is_v4_uuid_urn(id)) << id;
    EXPECT_TRUE(valid_uri_value(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 200U);
}

TEST(MessageId, UriValues) {
  EXPECT_TRUE(valid_uri_value("urn:uuid:0"));
  EXPECT_TRUE(valid_uri_value("http://x/?a=1&b=<2>"));
  EXPECT_TRUE(valid_uri_value(std::string(1024, 'u')));
  EXPECT_FALSE(valid_uri_value(std::string(1025, 'u')));
  EXPECT_FALSE(valid_uri_value(""));
  EXPECT_FALSE(valid_uri_value("a b"));
  EXPECT_FALSE(valid_uri_value("a\tb"));
  EXPECT_FALSE(valid_uri_value("a\x7f"));
  EXPECT_FALSE(valid_uri_value("caf\xC3\xA9"));
}

}  // namespace
}  // namespace peerdist::wire::pccrd
