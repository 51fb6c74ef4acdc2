// XAddrs entries (A20): what we send, what we accept, what we refuse.
#include "peerdist/wire/pccrd/xaddr.hpp"

#include <gtest/gtest.h>

namespace peerdist::wire::pccrd {
namespace {

TEST(XAddr, ToStringBracketsIpv6Only) {
  EXPECT_EQ(to_string(XAddr{"157.59.141.183", 54321}), "157.59.141.183:54321");
  EXPECT_EQ(to_string(XAddr{"2001:db8::1", 80}), "[2001:db8::1]:80");
  EXPECT_EQ(to_string(XAddr{"fe80::1%eth0", 8080}), "[fe80::1%eth0]:8080");
  EXPECT_EQ(to_string(XAddr{"peer.example", 1}), "peer.example:1");
}

TEST(XAddr, ParsesWhatSendersWrite) {
  const std::pair<std::string_view, XAddr> cases[] = {
      {"157.59.141.183:54321", {"157.59.141.183", 54321}},
      {"http://157.59.141.183:54321/", {"157.59.141.183", 54321}},
      {"HTTP://10.0.0.1:80", {"10.0.0.1", 80}},
      {"[2001:db8::1]:8080", {"2001:db8::1", 8080}},
      {"http://[fe80::1%eth0]:80/", {"fe80::1%eth0", 80}},
      {"[::ffff:192.0.2.1]:443", {"::ffff:192.0.2.1", 443}},
      {"10.0.0.1", {"10.0.0.1", 80}},
      {"[2001:db8::1]", {"2001:db8::1", 80}},
      {"peer_1.branch-office.example:65535", {"peer_1.branch-office.example", 65535}},
      {"10.0.0.1:0080", {"10.0.0.1", 80}},
  };
  for (const auto& [entry, expected] : cases) {
    const auto parsed = parse_xaddr(entry);
    ASSERT_TRUE(parsed.has_value()) << entry;
    EXPECT_EQ(*parsed, expected) << entry;
  }
  EXPECT_EQ(normalize_xaddr("http://10.0.0.1:0080/"), "10.0.0.1:80");
}

TEST(XAddr, RefusesTheRest) {
  for (std::string_view bad : {"",
                               ":80",
                               "http://",
                               "10.0.0.1:",
                               "10.0.0.1:0",
                               "10.0.0.1:65536",
                               "10.0.0.1:123456",
                               "10.0.0.1:8a",
                               "10.0.0.1:-1",
                               "10.0.0.1:+80",
                               "2001:db8::1",
                               "2001:db8::1:80",
                               "[]:80",
                               "[2001:db8::1",
                               "[2001:db8::1]80",
                               "[10.0.0.1]:80",
                               "[fe80::1%]:80",
                               "[fe80::1%a b]:1",
                               "[g::1]:80",
                               "https://10.0.0.1:443",
                               "ftp://10.0.0.1",
                               "10.0.0.1:80/x",
                               "10.0.0.1:80//",
                               "user@10.0.0.1:80",
                               "10.0.0.1 :80",
                               "caf\xC3\xA9:80"}) {
    EXPECT_FALSE(parse_xaddr(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse_xaddr(std::string(254, 'a') + ":80").has_value());
  EXPECT_TRUE(parse_xaddr(std::string(253, 'a') + ":80").has_value());
}

TEST(XAddr, NormalFormIsAFixedPoint) {
  for (std::string_view entry : {"http://10.0.0.1", "[2001:DB8::1]:1", "peer:2"}) {
    const auto once = normalize_xaddr(entry);
    ASSERT_TRUE(once.has_value()) << entry;
    EXPECT_EQ(normalize_xaddr(*once), once);
  }
}

}  // namespace
}  // namespace peerdist::wire::pccrd
