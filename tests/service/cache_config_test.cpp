// [cache] and [distributed] of the configuration file, and the limits they give the data cache.
#include <gtest/gtest.h>

#include "peerdist/service/cache_limits.hpp"
#include "peerdist/service/config.hpp"

#include "support/temp_dir.hpp"

namespace peerdist::service {
namespace {

Config parse_ok(std::string_view text) {
  auto config = parse_config(text, "test.toml");
  EXPECT_TRUE(config) << (config ? "" : config.error());
  return config ? *config : Config{};
}

std::string parse_error(std::string_view text) {
  auto config = parse_config(text, "test.toml");
  EXPECT_FALSE(config);
  return config ? std::string() : config.error();
}

TEST(CacheConfigTest, Defaults) {
  const Config config = parse_ok("");
  EXPECT_EQ(config.cache.max_bytes, 0U);
  EXPECT_EQ(config.cache.max_hundredths_of_percent, 500U);  // 5%
  EXPECT_EQ(config.cache.max_age_days, 28U);
  EXPECT_TRUE(config.distributed.enabled);
}

TEST(CacheConfigTest, MaxSizeForms) {
  EXPECT_EQ(parse_ok("[cache]\nmax_size = \"12%\"").cache.max_hundredths_of_percent, 1200U);
  EXPECT_EQ(parse_ok("[cache]\nmax_size = \"2.5%\"").cache.max_hundredths_of_percent, 250U);
  EXPECT_EQ(parse_ok("[cache]\nmax_size = \"0.05%\"").cache.max_hundredths_of_percent, 5U);
  EXPECT_EQ(parse_ok("[cache]\nmax_size = \"100%\"").cache.max_hundredths_of_percent, 10000U);
  EXPECT_EQ(parse_ok("[cache]\nmax_size = \"10GiB\"").cache.max_bytes, 10ULL << 30U);
  EXPECT_EQ(parse_ok("[cache]\nmax_size = \"500 MB\"").cache.max_bytes, 500'000'000U);
  EXPECT_EQ(parse_ok("[cache]\nmax_size = \"2TiB\"").cache.max_bytes, 2ULL << 40U);
  EXPECT_EQ(parse_ok("[cache]\nmax_size = \"1048576B\"").cache.max_bytes, 1048576U);
  EXPECT_EQ(parse_ok("[cache]\nmax_size = 1073741824").cache.max_bytes, 1073741824U);
  const Config both = parse_ok(
      "[cache]\nmax_size = \"64MiB\"\nmax_age_days = 7\n"
      "[distributed]\nenabled = false\n");
  EXPECT_EQ(both.cache.max_bytes, 64U << 20U);
  EXPECT_EQ(both.cache.max_age_days, 7U);
  EXPECT_FALSE(both.distributed.enabled);
}

TEST(CacheConfigTest, ErrorsNameTheKeyAndTheLine) {
  const std::string forms =
      "must be a share of the disk such as \"5%\", a size such as \"10GiB\" or \"500MB\", or "
      "a number of bytes";
  for (const char* bad :
       {"\"0%\"", "\"101%\"", "\"5.555%\"", "\"%\"", "\"5 %\"", "\"ten\"", "\"10 GiBs\"",
        "\"-1GiB\"", "-5", "true", "\"99999999999999999999B\"", "\"20000000TiB\""}) {
    EXPECT_EQ(parse_error(std::string("[cache]\nmax_size = ") + bad),
              "test.toml:2: cache.max_size: " + forms)
        << bad;
  }
  EXPECT_EQ(parse_error("[cache]\nmax_size = 1000"),
            "test.toml:2: cache.max_size: must be at least 1048576 bytes (1MiB), got 1000");
  EXPECT_EQ(parse_error("[cache]\nmax_age_days = 0"),
            "test.toml:2: cache.max_age_days: must be between 1 and 3650, got 0");
  EXPECT_EQ(parse_error("[cache]\nmax_age = 3"), "test.toml:2: cache.max_age: unknown key");
  EXPECT_EQ(parse_error("cache = 3"), "test.toml:1: cache: must be a table ([cache])");
  EXPECT_EQ(parse_error("[distributed]\nenabled = 1"),
            "test.toml:2: distributed.enabled: must be true or false");
  EXPECT_EQ(parse_error("[distributed]\nports = 80"), "test.toml:2: distributed.ports: unknown key");
}

TEST(CacheConfigTest, LimitsFromTheConfiguration) {
  peerdist::test::TempDir dir;
  CacheConfig config;
  config.max_age_days = 2;
  config.max_bytes = 5U << 20U;
  auto bytes = cache_limits(config, dir.path() / "cache");
  ASSERT_TRUE(bytes) << bytes.error();
  EXPECT_EQ(bytes->max_bytes, 5U << 20U);
  EXPECT_EQ(bytes->max_age, std::chrono::hours(48));
  // A share of the file system: measured on the nearest existing directory.
  config.max_bytes = 0;
  config.max_hundredths_of_percent = 10000;
  auto whole = cache_limits(config, dir.path() / "not" / "yet");
  ASSERT_TRUE(whole) << whole.error();
  config.max_hundredths_of_percent = 100;
  auto one_percent = cache_limits(config, dir.path());
  ASSERT_TRUE(one_percent) << one_percent.error();
  EXPECT_GT(whole->max_bytes, 0U);
  EXPECT_EQ(one_percent->max_bytes, whole->max_bytes / 100);
}

}  // namespace
}  // namespace peerdist::service
