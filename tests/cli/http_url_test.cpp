// peerdist get's URL handling: parsing, redirects' Location resolution, the default file name.
#include <gtest/gtest.h>

#include "cli/http_client.hpp"

namespace peerdist::cli {
namespace {

TEST(ParseUrl, SplitsHostPortAndTarget) {
  auto url = parse_url("http://example.org:8080/a/b.iso?x=1#frag");
  ASSERT_TRUE(url) << url.error();
  EXPECT_EQ(url->host, "example.org");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->target, "/a/b.iso?x=1");
  EXPECT_EQ(url->host_header(), "example.org:8080");
  EXPECT_EQ(url->text(), "http://example.org:8080/a/b.iso?x=1");
}

TEST(ParseUrl, DefaultsPortAndPath) {
  auto url = parse_url("HTTP://example.org");
  ASSERT_TRUE(url) << url.error();
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->host_header(), "example.org");
}

TEST(ParseUrl, Ipv6Literal) {
  auto url = parse_url("http://[::1]:81/x");
  ASSERT_TRUE(url) << url.error();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "81");
  EXPECT_EQ(url->host_header(), "[::1]:81");
}

TEST(ParseUrl, RefusesWhatItCannotFetch) {
  EXPECT_FALSE(parse_url("example.org/x"));
  EXPECT_FALSE(parse_url("ftp://example.org/x"));
  EXPECT_NE(parse_url("ftp://example.org/x").error().find("https://"), std::string::npos);
  EXPECT_FALSE(parse_url("http:///x"));
  EXPECT_FALSE(parse_url("http://h:0/x"));
  EXPECT_FALSE(parse_url("http://h:65536/x"));
  EXPECT_FALSE(parse_url("http://h:8a/x"));
  EXPECT_FALSE(parse_url("http://user@h/x"));
  EXPECT_FALSE(parse_url("http://[::1/x"));
  EXPECT_FALSE(parse_url("https://]::[:18/x"));  // found by http_url_fuzz
  EXPECT_FALSE(parse_url("http://a:b:80/"));     // colons only inside brackets
  EXPECT_FALSE(parse_url("http://[a[b]/"));
}

TEST(ParseUrl, HttpsDefaultsTo443AndKeepsItsScheme) {
  auto url = parse_url("HTTPS://secure.example/a.iso");
  ASSERT_TRUE(url) << url.error();
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->host_header(), "secure.example");
  EXPECT_EQ(url->text(), "https://secure.example/a.iso");
  auto other_port = parse_url("https://secure.example:80/");
  ASSERT_TRUE(other_port) << other_port.error();
  EXPECT_EQ(other_port->host_header(), "secure.example:80");
  auto plain = parse_url("http://plain.example:443/");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->text(), "http://plain.example:443/");
}

TEST(ResolveLocation, SchemeRelativeKeepsTheBaseScheme) {
  const auto base = parse_url("https://a.example/dir/x");
  ASSERT_TRUE(base);
  auto moved = resolve_location(*base, "//b.example/y");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->text(), "https://b.example/y");
  auto rooted = resolve_location(*base, "/z");
  ASSERT_TRUE(rooted);
  EXPECT_EQ(rooted->text(), "https://a.example/z");
  auto down = resolve_location(*base, "http://a.example/plain");
  ASSERT_TRUE(down);
  EXPECT_FALSE(down->tls);
}

TEST(ResolveLocation, AbsoluteRelativeAndSchemeRelative) {
  const auto base = parse_url("http://a.example:8000/dir/file.iso?q=1");
  ASSERT_TRUE(base);
  auto absolute = resolve_location(*base, "http://b.example/other");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(absolute->text(), "http://b.example/other");
  auto rooted = resolve_location(*base, "/root.iso");
  ASSERT_TRUE(rooted);
  EXPECT_EQ(rooted->text(), "http://a.example:8000/root.iso");
  auto relative = resolve_location(*base, "sibling.iso");
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->text(), "http://a.example:8000/dir/sibling.iso");
  auto scheme_relative = resolve_location(*base, "//c.example/x");
  ASSERT_TRUE(scheme_relative);
  EXPECT_EQ(scheme_relative->text(), "http://c.example/x");
  auto secure = resolve_location(*base, "https://secure.example/x");
  ASSERT_TRUE(secure);
  EXPECT_EQ(secure->text(), "https://secure.example/x");
}

TEST(ParseUrl, RefusesSpacesAndControlBytes) {
  EXPECT_FALSE(parse_url("http://h/a b"));
  EXPECT_FALSE(parse_url("http://h/a\r\nX-Injected: 1"));
  EXPECT_FALSE(parse_url("http://h\t/"));
  const auto base = parse_url("http://h/dir/x");
  ASSERT_TRUE(base);
  EXPECT_FALSE(resolve_location(*base, "/a b"));
  EXPECT_FALSE(resolve_location(*base, "y\x7f"));
  const auto fragment = resolve_location(*base, "y.iso#part");
  ASSERT_TRUE(fragment);
  EXPECT_EQ(fragment->target, "/dir/y.iso");
}

TEST(LastPathSegment, IsTheDefaultOutputName) {
  EXPECT_EQ(last_path_segment(*parse_url("http://h/a/b.iso?x=/y")), "b.iso");
  EXPECT_EQ(last_path_segment(*parse_url("http://h/a/")), "");
  EXPECT_EQ(last_path_segment(*parse_url("http://h")), "");
}

}  // namespace
}  // namespace peerdist::cli
