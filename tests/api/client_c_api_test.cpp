// The client functions of the C API without a daemon: every synchronous check that needs no
// service (the instance handle, then the parameters, then the content handle: the server
// side's order), and what the calls that need the service do while none answers.
#include <peerdist_compat.h>

#include <gtest/gtest.h>

#include "api_test_support.hpp"
#include "support/temp_dir.hpp"

// NOLINTBEGIN(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
// This file drives a Windows C API: BYTE arrays, OVERLAPPED's union, PBYTE parameters for data
// the API only reads, BOOL results and HANDLE typedefs are its vocabulary; gtest fixtures share
// their members with the tests.

namespace peerdist::test {
namespace {

class ClientNoDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(PeerDistStartup(PEERDIST_VERSION, &instance_, nullptr), ERROR_SUCCESS);
    port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
    event_ = CreateEventA(nullptr, TRUE, FALSE, nullptr);
    ASSERT_NE(port_, nullptr);
    ASSERT_NE(event_, nullptr);
  }
  void TearDown() override {
    if (instance_ != nullptr) {
      EXPECT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
    }
    EXPECT_TRUE(CloseHandle(port_));
    EXPECT_TRUE(CloseHandle(event_));
  }

  TempDir dir_;
  SocketEnv env_{dir_.file("no-daemon.sock")};
  PEERDIST_INSTANCE_HANDLE instance_ = nullptr;
  HANDLE port_ = nullptr;
  HANDLE event_ = nullptr;
  PEERDIST_CONTENT_TAG tag_{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
  BYTE data_[16] = {};
};

TEST_F(ClientNoDaemon, OpenContentChecksThenNeedsTheService) {
  PEERDIST_CONTENT_HANDLE content = nullptr;
  EXPECT_EQ(PeerDistClientOpenContent(nullptr, &tag_, nullptr, 0, &content), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientOpenContent(port_, &tag_, nullptr, 0, &content), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientOpenContent(instance_, nullptr, nullptr, 0, &content),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistClientOpenContent(instance_, &tag_, nullptr, 0, nullptr),
            ERROR_INVALID_PARAMETER);
  // An event, or the instance, where the completion port goes.
  EXPECT_EQ(PeerDistClientOpenContent(instance_, &tag_, event_, 0, &content), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientOpenContent(instance_, &tag_, instance_, 0, &content),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientOpenContent(instance_, &tag_, port_, 7, &content),
            PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(PeerDistClientOpenContent(instance_, &tag_, nullptr, 0, &content),
            PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  EXPECT_EQ(content, nullptr);  // untouched on failure
}

TEST_F(ClientNoDaemon, CloseContentNeedsItsInstanceAndAContentHandle) {
  EXPECT_EQ(PeerDistClientCloseContent(nullptr, nullptr), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientCloseContent(instance_, nullptr), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientCloseContent(instance_, instance_), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientCloseContent(instance_, port_), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientCloseContent(port_, port_), ERROR_INVALID_HANDLE);
}

TEST_F(ClientNoDaemon, AddContentInformationChecks) {
  OVERLAPPED ov{};
  EXPECT_EQ(PeerDistClientAddContentInformation(nullptr, nullptr, 16, data_, &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientAddContentInformation(instance_, nullptr, 16, data_, nullptr),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistClientAddContentInformation(instance_, nullptr, 16, nullptr, &ov),
            ERROR_INVALID_PARAMETER);
  ov.Offset = 1;  // reserved, must be 0 (spec §1.3)
  EXPECT_EQ(PeerDistClientAddContentInformation(instance_, nullptr, 16, data_, &ov),
            ERROR_INVALID_PARAMETER);
  ov = OVERLAPPED{};
  ov.OffsetHigh = 1;
  EXPECT_EQ(PeerDistClientAddContentInformation(instance_, nullptr, 16, data_, &ov),
            ERROR_INVALID_PARAMETER);
  ov = OVERLAPPED{};
  // Valid parameters, then the content handle; NULL with 0 bytes is a valid buffer.
  EXPECT_EQ(PeerDistClientAddContentInformation(instance_, nullptr, 16, data_, &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientAddContentInformation(instance_, nullptr, 0, nullptr, &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientAddContentInformation(instance_, instance_, 16, data_, &ov),
            ERROR_INVALID_HANDLE);
}

TEST_F(ClientNoDaemon, CompleteContentInformationChecks) {
  OVERLAPPED ov{};
  EXPECT_EQ(PeerDistClientCompleteContentInformation(nullptr, nullptr, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientCompleteContentInformation(instance_, nullptr, nullptr),
            ERROR_INVALID_PARAMETER);
  ov.Offset = 0x10;
  EXPECT_EQ(PeerDistClientCompleteContentInformation(instance_, nullptr, &ov),
            ERROR_INVALID_PARAMETER);
  ov = OVERLAPPED{};
  EXPECT_EQ(PeerDistClientCompleteContentInformation(instance_, nullptr, &ov),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientCompleteContentInformation(instance_, event_, &ov), ERROR_INVALID_HANDLE);
}

TEST_F(ClientNoDaemon, AddDataChecks) {
  OVERLAPPED ov{};
  EXPECT_EQ(PeerDistClientAddData(nullptr, nullptr, 16, data_, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientAddData(instance_, nullptr, 16, data_, nullptr), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistClientAddData(instance_, nullptr, 16, nullptr, &ov), ERROR_INVALID_PARAMETER);
  // The offset is AddData's input (spec §1.3): any value gets past the parameter checks.
  ov.Offset = 0xFFFFFFFF;
  ov.OffsetHigh = 0x12;
  EXPECT_EQ(PeerDistClientAddData(instance_, nullptr, 16, data_, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientAddData(instance_, nullptr, 0, nullptr, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientAddData(instance_, port_, 16, data_, &ov), ERROR_INVALID_HANDLE);
}

TEST_F(ClientNoDaemon, ReadChecks) {
  for (const bool block : {true, false}) {
    SCOPED_TRACE(block ? "BlockRead" : "StreamRead");
    const auto read = [block](PEERDIST_INSTANCE_HANDLE instance, PEERDIST_CONTENT_HANDLE content,
                              DWORD size, PBYTE buffer, DWORD timeout, LPOVERLAPPED ov) {
      return block ? PeerDistClientBlockRead(instance, content, size, buffer, timeout, ov)
                   : PeerDistClientStreamRead(instance, content, size, buffer, timeout, ov);
    };
    OVERLAPPED ov{};
    EXPECT_EQ(read(nullptr, nullptr, 16, data_, 0, &ov), ERROR_INVALID_HANDLE);
    EXPECT_EQ(read(event_, nullptr, 16, data_, 0, &ov), ERROR_INVALID_HANDLE);
    EXPECT_EQ(read(instance_, nullptr, 16, data_, 0, nullptr), ERROR_INVALID_PARAMETER);
    // spec §2.3: pBuffer may be NULL only when cbMaxNumberOfBytes is 0.
    EXPECT_EQ(read(instance_, nullptr, 16, nullptr, 0, &ov), ERROR_INVALID_PARAMETER);
    EXPECT_EQ(read(instance_, nullptr, 0, nullptr, 0, &ov), ERROR_INVALID_HANDLE);
    // Any timeout and any input offset pass the parameter checks.
    ov.Offset = 0xFFFFFFFF;
    ov.OffsetHigh = 0xFFFFFFFF;
    for (const DWORD timeout :
         {DWORD{PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY}, DWORD{PEERDIST_READ_TIMEOUT_DEFAULT},
          DWORD{0xFFFFFFFF}, DWORD{1}}) {
      EXPECT_EQ(read(instance_, nullptr, 16, data_, timeout, &ov), ERROR_INVALID_HANDLE);
    }
    EXPECT_EQ(read(instance_, instance_, 16, data_, 0, &ov), ERROR_INVALID_HANDLE);
  }
}

TEST_F(ClientNoDaemon, FlushContentChecksThenNeedsTheService) {
  OVERLAPPED ov{};
  EXPECT_EQ(PeerDistClientFlushContent(nullptr, &tag_, nullptr, 0, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientFlushContent(instance_, nullptr, nullptr, 0, &ov),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistClientFlushContent(instance_, &tag_, nullptr, 0, nullptr),
            ERROR_INVALID_PARAMETER);
  ov.OffsetHigh = 3;  // reserved, must be 0
  EXPECT_EQ(PeerDistClientFlushContent(instance_, &tag_, nullptr, 0, &ov), ERROR_INVALID_PARAMETER);
  ov = OVERLAPPED{};
  EXPECT_EQ(PeerDistClientFlushContent(instance_, &tag_, event_, 0, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientFlushContent(instance_, &tag_, port_, 9, &ov),
            PEERDIST_ERROR_SERVICE_UNAVAILABLE);
  // A synchronous failure posts nothing (spec §1.1).
  EXPECT_FALSE(dequeue(port_, 20));
}

TEST_F(ClientNoDaemon, CancelChecks) {
  OVERLAPPED ov{};
  EXPECT_EQ(PeerDistClientCancelAsyncOperation(nullptr, nullptr, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientCancelAsyncOperation(instance_, nullptr, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientCancelAsyncOperation(instance_, nullptr, nullptr), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientCancelAsyncOperation(instance_, port_, nullptr), ERROR_INVALID_HANDLE);
}

TEST_F(ClientNoDaemon, GetInformationByHandleChecks) {
  PEERDIST_CLIENT_BASIC_INFO info{TRUE};
  EXPECT_EQ(PeerDistClientGetInformationByHandle(nullptr, nullptr, PeerDistClientBasicInfo,
                                                 sizeof info, &info),
            ERROR_INVALID_HANDLE);
  // spec Q22: the maximum is never a class (C++ cannot name values past the enum's range, C
  // programs can; the library refuses every class but PeerDistClientBasicInfo); no buffer; too
  // small a buffer.
  EXPECT_EQ(PeerDistClientGetInformationByHandle(
                instance_, nullptr, MaximumPeerDistClientInfoByHandlesClass, sizeof info, &info),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(PeerDistClientGetInformationByHandle(instance_, nullptr, PeerDistClientBasicInfo,
                                                 sizeof info, nullptr),
            ERROR_INVALID_PARAMETER);
  for (const DWORD size : {DWORD{0}, DWORD{sizeof info - 1}}) {
    EXPECT_EQ(PeerDistClientGetInformationByHandle(instance_, nullptr, PeerDistClientBasicInfo,
                                                   size, &info),
              ERROR_INSUFFICIENT_BUFFER);
  }
  EXPECT_EQ(PeerDistClientGetInformationByHandle(instance_, nullptr, PeerDistClientBasicInfo,
                                                 sizeof info, &info),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientGetInformationByHandle(instance_, instance_, PeerDistClientBasicInfo,
                                                 sizeof info + 8, &info),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(info.fFlashCrowd, TRUE);  // untouched
}

TEST_F(ClientNoDaemon, AfterShutdownEveryClientCallIsInvalidHandle) {
  ASSERT_EQ(PeerDistShutdown(instance_), ERROR_SUCCESS);
  PEERDIST_CONTENT_HANDLE content = nullptr;
  OVERLAPPED ov{};
  PEERDIST_CLIENT_BASIC_INFO info{};
  EXPECT_EQ(PeerDistClientOpenContent(instance_, &tag_, nullptr, 0, &content),
            ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientFlushContent(instance_, &tag_, nullptr, 0, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientBlockRead(instance_, nullptr, 16, data_, 0, &ov), ERROR_INVALID_HANDLE);
  EXPECT_EQ(PeerDistClientGetInformationByHandle(instance_, nullptr, PeerDistClientBasicInfo,
                                                 sizeof info, &info),
            ERROR_INVALID_HANDLE);
  instance_ = nullptr;
}

}  // namespace
}  // namespace peerdist::test

// NOLINTEND(cppcoreguidelines-pro-bounds-array-to-pointer-decay,cppcoreguidelines-pro-type-union-access,cppcoreguidelines-pro-type-const-cast,readability-implicit-bool-conversion,misc-misplaced-const,cppcoreguidelines-non-private-member-variables-in-classes)
