#include "message_samples.hpp"

namespace peerdist::ipc::test {

std::vector<Message> samples() {
  return {
      Hello{1, 1, 0x00000002, 4242, 1U << 20U},
      GetStatus{},
      RegisterStatusNotification{2},
      UnregisterStatusNotification{},
      Cancel{0x1122334455667788ULL},
      Shutdown{},
      ServiceInfo{},
      PublishStream{{'i', 'd', '-', '1'}, 0x0000000100000000ULL, 2, 0},
      AddToStream{7, false, InlineData{{0xDE, 0xAD, 0xBE, 0xEF, 0x00}}},
      AddToStream{8, true, SharedData{0x10000, 0x2000}},
      AddFileToStream{22, false, 0x0000000400000000ULL, 0x02000000},
      CompleteStream{9},
      CloseStream{10},
      Unpublish{{'i', 'd', '-', '2'}},
      OpenContentInformation{{'i', 'd', '-', '3'}, 4096, 1 << 20, 1, 2},
      RetrieveContentInformation{11, 65536},
      CloseContentInformation{12},
      OpenContent{{0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC,
                   0xAD, 0xAE, 0xAF}},
      CloseContent{13},
      AddContentInformation{14, InlineData{{0x01, 0x00, 0x00, 0x00, 0x53}}},
      AddContentInformation{15, SharedData{0x20000, 0x1000}},
      CompleteContentInformation{16},
      AddData{17, 0x0000000200000010ULL, InlineData{{0x5A, 0x5B, 0x5C}}},
      AddData{18, 0x10000, SharedData{0x30000, 0x10000}},
      BlockRead{19, 0x0000000300000020ULL, 65536, 0xFFFFFFFE},
      StreamRead{20, 32768, 2500},
      FlushContent{{0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xBB, 0xBC,
                    0xBD, 0xBE, 0xBF}},
      GetClientInformation{21, 0},
      CacheInfo{},
      CacheClear{},
      HelloReply{0, 1, 2, 2, 1, 2, "peerdistd 0.1.0"},
      Result{997, 0x0123456789ABCDEFULL, 300, {1, 2, 3}},
      StatusChanged{1, 1, 2},
  };
}

}  // namespace peerdist::ipc::test
