// The C++ API without a daemon: error values, status, and the error category.
#include <gtest/gtest.h>

#include <system_error>

#include "peerdist/peerdist.hpp"

#include "api_test_support.hpp"
#include "support/temp_dir.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

TEST(Win32Category, EveryApiCodeHasAMessageAndRoundTrips) {
  const DWORD codes[] = {ERROR_INVALID_HANDLE,    ERROR_NOT_ENOUGH_MEMORY,
                         ERROR_INVALID_PARAMETER, ERROR_OPERATION_ABORTED,
                         ERROR_IO_INCOMPLETE,     ERROR_IO_PENDING,
                         ERROR_NOT_FOUND,         ERROR_ACCESS_DISABLED_BY_POLICY,
                         ERROR_INVALID_DATA};
  for (const DWORD code : codes) {
    const std::error_code ec = win32_error(code);
    EXPECT_EQ(&ec.category(), &win32_category());
    EXPECT_EQ(static_cast<DWORD>(ec.value()), code);
    EXPECT_EQ(ec.message().find("Win32 error"), std::string::npos) << code;
  }
  for (DWORD code = PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED;
       code <= PEERDIST_ERROR_TRUST_FAILURE; ++code) {
    EXPECT_EQ(win32_error(code).message().find("Win32 error"), std::string::npos) << code;
  }
  EXPECT_EQ(win32_error(12345).message(), "Win32 error 12345");
  EXPECT_FALSE(win32_error(ERROR_SUCCESS));
  EXPECT_STREQ(win32_category().name(), "peerdist.win32");
}

TEST(Win32Category, MapsToPortableConditions) {
  EXPECT_EQ(win32_error(ERROR_INVALID_PARAMETER), std::errc::invalid_argument);
  EXPECT_EQ(win32_error(ERROR_OPERATION_ABORTED), std::errc::operation_canceled);
  EXPECT_EQ(win32_error(PEERDIST_ERROR_ALREADY_EXISTS), std::errc::file_exists);
  EXPECT_EQ(win32_error(PEERDIST_ERROR_OUT_OF_BOUNDS), std::errc::result_out_of_range);
  EXPECT_NE(win32_error(PEERDIST_ERROR_NO_MORE), std::errc::invalid_argument);
  // Comparable with the enum directly.
  const std::error_code ec = Win32Error{PEERDIST_ERROR_INVALIDATED};
  EXPECT_EQ(ec, Win32Error{PEERDIST_ERROR_INVALIDATED});
}

TEST(CxxApi, WorksWithoutADaemonAsTheCApiDoes) {
  const TempDir dir;
  const SocketEnv env(dir.file("none.sock"));
  auto instance = Instance::start();
  ASSERT_TRUE(instance) << instance.error().message();
  EXPECT_EQ(instance->supported_version(), PEERDIST_VERSION);
  auto status = instance->status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, ServiceStatus::unavailable);
  EXPECT_EQ(status->min_content_info_version, 1U);
  EXPECT_EQ(status->max_content_info_version, 2U);
  auto stream = instance->publish(as_bytes("id"));
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error(), Win32Error{PEERDIST_ERROR_SERVICE_UNAVAILABLE});
  EXPECT_EQ(instance->unpublish(as_bytes("")), Win32Error{ERROR_INVALID_PARAMETER});
  EXPECT_EQ(instance->publish_file(dir.file("missing"), as_bytes("id")),
            std::errc::no_such_file_or_directory);
  const auto reader = instance->open_content_information(as_bytes("id"));
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error(), Win32Error{PEERDIST_ERROR_SERVICE_UNAVAILABLE});
  // The C API sees the same instance.
  PEERDIST_STATUS c_status{};
  EXPECT_EQ(PeerDistGetStatus(instance->native_handle(), &c_status), ERROR_SUCCESS);
  EXPECT_FALSE(instance->shutdown());
  EXPECT_EQ(PeerDistGetStatus(instance->native_handle(), &c_status), ERROR_INVALID_HANDLE);
  EXPECT_FALSE(instance->shutdown());  // already shut down: nothing to do
}

TEST(CxxApi, UnsupportedVersionAndEmptyObjects) {
  auto instance = Instance::start(MAKEWORD(3, 0));
  ASSERT_FALSE(instance);
  EXPECT_EQ(instance.error(), Win32Error{PEERDIST_ERROR_VERSION_UNSUPPORTED});
  Instance empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_EQ(empty.status().error(), Win32Error{ERROR_INVALID_HANDLE});
  PublicationStream stream;
  EXPECT_EQ(stream.add(as_bytes("x")).get(), Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_EQ(stream.complete().get(), Win32Error{ERROR_INVALID_HANDLE});
  EXPECT_FALSE(stream.buffer(1));
  EXPECT_FALSE(stream.close());
  ContentInformationReader reader;
  std::vector<std::uint8_t> out(4);
  EXPECT_EQ(reader.next(out).error(), Win32Error{ERROR_INVALID_HANDLE});
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
