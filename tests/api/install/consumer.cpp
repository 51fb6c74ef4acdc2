// A C++ program built against an installed libpeerdist through find_package(peerdist).
#include <cstdio>
#include <peerdist/peerdist.hpp>

int main() {
  auto instance = peerdist::Instance::start();
  if (!instance) {
    std::fprintf(stderr, "start: %s\n", instance.error().message().c_str());
    return 1;
  }
  const auto status = instance->status();
  if (!status) return 1;
  std::printf("status %d, content information versions %u..%u\n", static_cast<int>(status->status),
              status->min_content_info_version, status->max_content_info_version);
  return status->status == peerdist::ServiceStatus::available ? 0 : 3;
}
