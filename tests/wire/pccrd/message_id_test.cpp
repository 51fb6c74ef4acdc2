// Message IDs: urn:uuid of a random version-4 UUID; the URI values the decoders accept.
#include "peerdist/wire/pccrd/message_id.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace peerdist::wire::pccrd {
namespace {

TEST(MessageId, IsAVersion4UuidUrn) {
  const std::regex form(
      "urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = new_message_id();
    EXPECT_TRUE(std::regex_match(id, form)) << id;
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
