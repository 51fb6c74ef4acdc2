// What the http_url fuzzer checks, in one place: the libFuzzer entry point (http_url_fuzz.cpp)
// aborts on a failure, and the normal build replays the corpus through the same function as a
// unit test (tests/cli/http_url_fuzz_replay_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// `peerdist get` parses URLs from the command line and from servers' Location headers. The
// input is a URL, or "BASE\nLOCATION" (a redirect from BASE); checks, returning what failed
// (nullopt when all held):
//  - whatever parses has a host, a port of 1-65535 in digits, a target starting with '/' and
//    without '#', and no space or control byte anywhere (they would end up in the request line);
//  - text() of a parsed URL parses back to the same URL.
std::optional<std::string> peerdist_fuzz_http_url(const std::uint8_t* data, std::size_t size);
