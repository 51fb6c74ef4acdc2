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
      CompleteStream{9},
      CloseStream{10},
      Unpublish{{'i', 'd', '-', '2'}},
      OpenContentInformation{{'i', 'd', '-', '3'}, 4096, 1 << 20, 1, 2},
      RetrieveContentInformation{11, 65536},
      CloseContentInformation{12},
      HelloReply{0, 1, 2, 2, 1, 2, "peerdistd 0.1.0"},
      Result{997, 0x0123456789ABCDEFULL, 300, {1, 2, 3}},
      StatusChanged{1, 1, 2},
  };
}

}  // namespace peerdist::ipc::test
