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
  EXPECT_NE(parse_url("https://example.org/x").error().find("https"), std::string::npos);
  EXPECT_FALSE(parse_url("http:///x"));
  EXPECT_FALSE(parse_url("http://h:0/x"));
  EXPECT_FALSE(parse_url("http://h:65536/x"));
  EXPECT_FALSE(parse_url("http://h:8a/x"));
  EXPECT_FALSE(parse_url("http://user@h/x"));
  EXPECT_FALSE(parse_url("http://[::1/x"));
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
  EXPECT_FALSE(resolve_location(*base, "https://secure.example/x"));
}

TEST(LastPathSegment, IsTheDefaultOutputName) {
  EXPECT_EQ(last_path_segment(*parse_url("http://h/a/b.iso?x=/y")), "b.iso");
  EXPECT_EQ(last_path_segment(*parse_url("http://h/a/")), "");
  EXPECT_EQ(last_path_segment(*parse_url("http://h")), "");
}

}  // namespace
}  // namespace peerdist::cli
