// Every return code docs/api.md gives the server functions, against a real peerdistd (the
// codes that need the service disabled, stopped or killed are in daemon_lifecycle_test.cpp;
// the purely local checks in c_api_test.cpp).
#include <peerdist_compat.h>

#include <gtest/gtest.h>

#include "daemon_test_support.hpp"
#include "support/test_data.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

// Big enough that an AddToStream of it is still in flight when the next call is made.
constexpr std::size_t kSlowAdd = 96 * kMiB;

using Codes = WithDaemon;

TEST_F(Codes, PublishStream) {
  const auto content = random_content(1000, 1);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  PEERDIST_STREAM_HANDLE second = nullptr;
  ASSERT_EQ(PeerDistServerPublishStream(instance_, 1, id_bytes("a"), 0, nullptr, port_, 0, &stream),
            ERROR_SUCCESS);
  // A stream in progress with that identifier, in this instance or another of this user.
  EXPECT_EQ(PeerDistServerPublishStream(instance_, 1, id_bytes("a"), 0, nullptr, port_, 0, &second),
            PEERDIST_ERROR_ALREADY_EXISTS);
  PEERDIST_INSTANCE_HANDLE other = nullptr;
  start_instance(other);
  EXPECT_EQ(PeerDistServerPublishStream(other, 1, id_bytes("a"), 0, nullptr, nullptr, 0, &second),
            PEERDIST_ERROR_ALREADY_EXISTS);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  // Closed before completion: abandoned, the identifier is free again.
  ASSERT_EQ(publish(other, "a", content), ERROR_SUCCESS);
  // A completed publication of this user.
  EXPECT_EQ(
      PeerDistServerPublishStream(instance_, 1, id_bytes("a"), 0, nullptr, nullptr, 0, &second),
      PEERDIST_ERROR_ALREADY_EXISTS);
  const PEERDIST_PUBLICATION_OPTIONS bad{3, 0};
  EXPECT_EQ(PeerDistServerPublishStream(instance_, 1, id_bytes("b"), 0, &bad, nullptr, 0, &second),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerPublishStream(nullptr, 1, id_bytes("b"), 0, nullptr, nullptr, 0, &second),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerPublishStream(instance_, 1, id_bytes("b"), 0, nullptr, other, 0, &second),
            ERROR_INVALID_HANDLE);  // not a completion port
  EXPECT_EQ(PeerDistShutdown(other), ERROR_SUCCESS);
}

TEST_F(Codes, AddToStream) {
  const auto content = random_content(3 * kMiB, 2);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  ASSERT_EQ(PeerDistServerPublishStream(instance_, 1, id_bytes("s"), 2 * kMiB, nullptr, port_, 0,
                                        &stream),
            ERROR_SUCCESS);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, kMiB,
                                             const_cast<BYTE*>(content.data()), &ov),
            ERROR_IO_PENDING);
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  EXPECT_EQ(packet->bytes, kMiB);
  // Q9: past a non-zero cbContentLength.
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, 2 * kMiB,
                                             const_cast<BYTE*>(content.data()), &ov),
            ERROR_IO_PENDING);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_FALSE(packet->ok);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_OUT_OF_BOUNDS));
  // Another instance's stream handle, and a closed one.
  PEERDIST_INSTANCE_HANDLE other = nullptr;
  start_instance(other);
  EXPECT_EQ(
      PeerDistServerPublishAddToStream(other, stream, 10, const_cast<BYTE*>(content.data()), &ov),
      ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerPublishCompleteStream(other, stream, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(other, stream), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistShutdown(other), ERROR_SUCCESS);
  EXPECT_FALSE(CloseHandle(stream));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, stream, 10,
                                             const_cast<BYTE*>(content.data()), &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_INVALID_HANDLE);
}

TEST_F(Codes, CloseStreamAbortsAPendingAdd) {
  const auto content = random_content(kSlowAdd, 3);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  ASSERT_EQ(
      PeerDistServerPublishStream(instance_, 4, id_bytes("slow"), 0, nullptr, port_, 0, &stream),
      ERROR_SUCCESS);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(content.size()),
                                             const_cast<BYTE*>(content.data()), &ov),
            ERROR_IO_PENDING);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  EXPECT_LT(packet->bytes, content.size());
  EXPECT_FALSE(dequeue(port_, 50));
  // Nothing was published, and the identifier is free again.
  EXPECT_EQ(read_ci(instance_, "slow").error(), static_cast<DWORD>(ERROR_NOT_FOUND));
  EXPECT_EQ(publish(instance_, "slow", std::span(content).first(1000)), ERROR_SUCCESS);
}

TEST_F(Codes, CompleteStream) {
  const auto content = random_content(2 * kMiB, 4);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  ASSERT_EQ(PeerDistServerPublishStream(instance_, 1, id_bytes("c"), content.size(), nullptr, port_,
                                        0, &stream),
            ERROR_SUCCESS);
  OVERLAPPED ov{};
  // Zero bytes: content information cannot describe empty content.
  ASSERT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov), ERROR_IO_PENDING);
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  // Fewer bytes than cbContentLength.
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, kMiB,
                                             const_cast<BYTE*>(content.data()), &ov),
            ERROR_IO_PENDING);
  ASSERT_TRUE(dequeue(port_));
  ASSERT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov), ERROR_IO_PENDING);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  // Not published yet.
  EXPECT_EQ(read_ci(instance_, "c").error(), static_cast<DWORD>(ERROR_NOT_FOUND));
  // The stream is still open: the rest, then success.
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, kMiB,
                                             const_cast<BYTE*>(content.data() + kMiB), &ov),
            ERROR_IO_PENDING);
  ASSERT_TRUE(dequeue(port_));
  ASSERT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov), ERROR_IO_PENDING);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok) << packet->error;
  // After success only Close.
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerPublishAddToStream(instance_, stream, 1,
                                             const_cast<BYTE*>(content.data()), &ov),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  // Closing did not unpublish.
  const auto ci = read_ci(instance_, "c");
  ASSERT_TRUE(ci) << ci.error();
  EXPECT_EQ(*ci, expected_ci(content, pccrc::Version::v2));
}

TEST_F(Codes, Unpublish) {
  const auto content = random_content(1000, 5);
  EXPECT_EQ(PeerDistServerUnpublish(instance_, 7, id_bytes("unknown")), ERROR_SUCCESS);
  ASSERT_EQ(publish(instance_, "u", content), ERROR_SUCCESS);
  PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
  ASSERT_EQ(
      PeerDistServerOpenContentInformation(instance_, 1, id_bytes("u"), 0, 0, nullptr, 0, &ci),
      ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerUnpublish(instance_, 1, id_bytes("u")), ERROR_SUCCESS);
  EXPECT_EQ(read_ci(instance_, "u").error(), static_cast<DWORD>(ERROR_NOT_FOUND));
  // Open handles still need closing (Q14).
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, ci), ERROR_SUCCESS);
  EXPECT_EQ(publish(instance_, "u", content), ERROR_SUCCESS);  // free again
}

TEST_F(Codes, UnpublishAbortsAPendingAddOnThatContent) {
  const auto content = random_content(kSlowAdd, 6);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  ASSERT_EQ(
      PeerDistServerPublishStream(instance_, 2, id_bytes("up"), 0, nullptr, port_, 0, &stream),
      ERROR_SUCCESS);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(content.size()),
                                             const_cast<BYTE*>(content.data()), &ov),
            ERROR_IO_PENDING);
  EXPECT_EQ(PeerDistServerUnpublish(instance_, 2, id_bytes("up")), ERROR_SUCCESS);
  const auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  // Abandoned: only Close.
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  EXPECT_EQ(publish(instance_, "up", std::span(content).first(100)), ERROR_SUCCESS);
}

TEST_F(Codes, OpenContentInformation) {
  const auto content = random_content(100000, 7);
  PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
  EXPECT_EQ(
      PeerDistServerOpenContentInformation(instance_, 1, id_bytes("o"), 0, 0, nullptr, 0, &ci),
      ERROR_NOT_FOUND);  // Q5
  ASSERT_EQ(publish(instance_, "o", content), ERROR_SUCCESS);
  // Ranges outside the content (Q10).
  EXPECT_EQ(PeerDistServerOpenContentInformation(instance_, 1, id_bytes("o"), content.size(), 0,
                                                 nullptr, 0, &ci),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerOpenContentInformation(instance_, 1, id_bytes("o"), 10, content.size(),
                                                 nullptr, 0, &ci),
            ERROR_INVALID_PARAMETER);
  ASSERT_EQ(PeerDistServerOpenContentInformation(instance_, 1, id_bytes("o"), 10,
                                                 content.size() - 10, nullptr, 0, &ci),
            ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, ci), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, ci), ERROR_INVALID_HANDLE);
  EXPECT_FALSE(CloseHandle(ci));

  // A publication restricted to V1 (extension flag): Ex asking for V2 only cannot be served.
  ASSERT_EQ(publish(instance_, "v1", content, PEERDIST_PUBLICATION_FLAG_CONTENTINFO_V1),
            ERROR_SUCCESS);
  PEERDIST_RETRIEVAL_OPTIONS v2{sizeof v2, 2, 2, 0};
  EXPECT_EQ(PeerDistServerOpenContentInformationEx(instance_, 2, id_bytes("v1"), 0, 0, &v2, nullptr,
                                                   0, &ci),
            PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED);
  const auto got = read_ci(instance_, "v1");  // non-Ex: the highest it has
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, expected_ci(content, pccrc::Version::v1));
}

TEST_F(Codes, RetrieveAndClose) {
  const auto content = random_content(5000, 8);
  ASSERT_EQ(publish(instance_, "r", content), ERROR_SUCCESS);
  PEERDIST_CONTENTINFO_HANDLE ci = nullptr;
  ASSERT_EQ(PeerDistServerOpenContentInformation(instance_, 1, id_bytes("r"), 0, 0, port_, 5, &ci),
            ERROR_SUCCESS);
  std::vector<BYTE> buffer(std::size_t{64} * 1024);
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(
                instance_, ci, static_cast<DWORD>(buffer.size()), buffer.data(), &ov),
            ERROR_IO_PENDING);
  auto packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(packet->ok);
  ov = OVERLAPPED{};
  ASSERT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, 1, buffer.data(), &ov),
            ERROR_IO_PENDING);
  packet = dequeue(port_);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(PEERDIST_ERROR_NO_MORE));  // a completion (Q6)
  PEERDIST_INSTANCE_HANDLE other = nullptr;
  start_instance(other);
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(other, ci, 1, buffer.data(), &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistServerCloseContentInformation(other, ci), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistShutdown(other), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerCloseContentInformation(instance_, ci), ERROR_SUCCESS);
  EXPECT_EQ(PeerDistServerRetrieveContentInformation(instance_, ci, 1, buffer.data(), &ov),
            ERROR_INVALID_HANDLE);
}

TEST_F(Codes, CancelAsyncOperation) {
  const auto content = random_content(kSlowAdd, 9);
  PEERDIST_STREAM_HANDLE stream = nullptr;
  ASSERT_EQ(
      PeerDistServerPublishStream(instance_, 2, id_bytes("cx"), 0, nullptr, port_, 0, &stream),
      ERROR_SUCCESS);
  // Completed: not found.
  OVERLAPPED small{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, 10,
                                             const_cast<BYTE*>(content.data()), &small),
            ERROR_IO_PENDING);
  ASSERT_TRUE(dequeue(port_));
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, 2, id_bytes("cx"), &small),
            PEERDIST_ERROR_OPERATION_NOTFOUND);
  // Pending: cancelled, and its completion is posted before the call returns.
  OVERLAPPED ov{};
  ASSERT_EQ(PeerDistServerPublishAddToStream(instance_, stream, static_cast<DWORD>(content.size()),
                                             const_cast<BYTE*>(content.data()), &ov),
            ERROR_IO_PENDING);
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, 2, id_bytes("xc"), &ov),
            PEERDIST_ERROR_OPERATION_NOTFOUND);  // another identifier
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, 2, id_bytes("cx"), &ov), ERROR_SUCCESS);
  const auto packet = dequeue(port_, 0);
  ASSERT_TRUE(packet);
  EXPECT_EQ(packet->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
  EXPECT_FALSE(dequeue(port_, 50));
  EXPECT_EQ(PeerDistServerCancelAsyncOperation(instance_, 2, id_bytes("cx"), &ov),
            PEERDIST_ERROR_OPERATION_NOTFOUND);
  // The publication is abandoned; the identifier is free again.
  EXPECT_EQ(PeerDistServerPublishCompleteStream(instance_, stream, &ov), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistServerCloseStreamHandle(instance_, stream), ERROR_SUCCESS);
  EXPECT_EQ(publish(instance_, "cx", std::span(content).first(100)), ERROR_SUCCESS);
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
