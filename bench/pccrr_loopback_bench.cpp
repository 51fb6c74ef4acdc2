// MS-PCCRR retrieval over loopback against `openssl dgst -sha256` on the same bytes, in one run:
// the floor is retrieval time <= 1.2 x openssl's.
//
//   pccrr_loopback_bench [--mib N] [--in-flight K] [--cipher none|128|192|256] [--pool THREADS]
//                        [--runs R]
//
// One PccrrServer and one PccrrClient in this process, each on an io_context of its own thread.
// The server serves a 32 MiB V1 segment (512 blocks of 64 KiB) from memory, copying each block
// out as a cache read would; the client fetches N MiB (default 1024) of its blocks round and
// round, keeping K (default 8) in flight on K keep-alive connections. Every block is encrypted
// (AES-128 by default) under a fresh IV, decrypted and verified against its hash. --pool moves
// AES and hashing of both sides to a worker pool of that many threads (default 0: on the io
// threads).
//
// openssl reads the same N MiB from a file in /dev/shm (no disk timed). Both figures are the
// fastest of R runs (default 3); the process CPU time of the fastest retrieval is printed too,
// since on a loaded machine wall time says as much about the neighbours as about the code.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "peerdist/net/pccrr_client.hpp"
#include "peerdist/net/pccrr_server.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/segment_descriptor.hpp"

namespace {

using namespace peerdist;
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kSegmentBytes = std::size_t{32} << 20U;
constexpr std::size_t kMiB = std::size_t{1} << 20U;

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  Bytes out(n);
  std::mt19937_64 random(seed);
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    const std::uint64_t v = random();
    for (std::size_t b = 0; b < 8; ++b) out[i + b] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  return out;
}

// Serves every block of one segment from memory.
class SegmentInMemory final : public net::SegmentSource {
 public:
  SegmentInMemory(asio::any_io_executor executor, const pccrc::SegmentDescriptor& segment,
                  const Bytes& bytes)
      : executor_(std::move(executor)), segment_(segment), bytes_(bytes) {}

  void holdings(std::vector<crypto::Digest> segment_ids, HoldingsHandler handler) override {
    asio::post(executor_, [handler = std::move(handler), n = segment_ids.size()] {
      handler(std::vector<std::optional<net::SegmentHoldings>>(n));
    });
  }

  void read_block(const crypto::Digest& /*segment_id*/, pccrc::BlockIndex index,
                  BlockHandler handler) override {
    net::ServedBlock block;
    const std::size_t offset = std::size_t{index.value()} * segment_.block_size;
    const auto first = bytes_.begin() + static_cast<std::ptrdiff_t>(offset);
    block.bytes.assign(first, first + segment_.block_length(index));
    block.kp = segment_.kp;
    if (index.value() + 1 < segment_.block_count()) block.next_present = index.next();
    asio::post(executor_, [handler = std::move(handler), block = std::move(block)]() mutable {
      handler(std::move(block));
    });
  }

 private:
  asio::any_io_executor executor_;
  const pccrc::SegmentDescriptor& segment_;
  const Bytes& bytes_;
};

class IoThread {
 public:
  IoThread() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Runs f on the io thread and waits for it.
void run_on(IoThread& thread, const std::function<void()>& f) {
  std::promise<void> done;
  asio::post(thread.io(), [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

std::chrono::duration<double> process_cpu_time() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto tv = [](timeval t) {
    return std::chrono::duration<double>(static_cast<double>(t.tv_sec) +
                                         static_cast<double>(t.tv_usec) / 1e6);
  };
  return tv(usage.ru_utime) + tv(usage.ru_stime);
}

struct Run {
  std::chrono::duration<double> wall{};
  std::chrono::duration<double> cpu{};
};

// Fetches `blocks` blocks with `in_flight` outstanding; exits on any failure.
Run retrieve(net::PccrrClient& client, const asio::ip::tcp::endpoint& server,
             const std::shared_ptr<const pccrc::SegmentDescriptor>& segment, std::size_t blocks,
             std::size_t in_flight) {
  struct Shared {
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::promise<void> finished;
  };
  auto shared = std::make_shared<Shared>();
  auto future = shared->finished.get_future();
  const std::uint32_t per_segment = segment->block_count();
  std::function<void()> start_one;
  start_one = [&, shared] {
    const std::size_t n = shared->next.fetch_add(1);
    if (n >= blocks) return;
    const pccrc::BlockIndex index{static_cast<std::uint32_t>(n % per_segment)};
    client.get_block(
        server, segment, index, Clock::now() + std::chrono::seconds(30),
        [&, shared, index](Expected<pccrc::VerifiedBlock, net::FetchError> result) {
          if (!result || result->index() != index) {
            std::fprintf(stderr, "block %u: %s\n", index.value(),
                         result ? "wrong index" : std::string(to_string(result.error())).c_str());
            std::exit(1);
          }
          if (shared->done.fetch_add(1) + 1 == blocks) {
            shared->finished.set_value();
          } else {
            start_one();
          }
        });
  };
  const auto cpu_start = process_cpu_time();
  const auto start = Clock::now();
  for (std::size_t k = 0; k < in_flight; ++k) start_one();
  future.wait();
  Run run;
  run.wall = Clock::now() - start;
  run.cpu = process_cpu_time() - cpu_start;
  return run;
}

// Seconds `openssl dgst -sha256 FILE` takes, wall clock.
double time_openssl(const std::filesystem::path& file) {
  const std::string command = "openssl dgst -sha256 '" + file.string() + "' >/dev/null";
  const auto start = Clock::now();
  if (std::system(command.c_str()) != 0) {  // NOLINT(cert-env33-c): the benchmark's reference
    std::fprintf(stderr, "openssl failed\n");
    std::exit(1);
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 1024;
  std::size_t in_flight = 8;
  std::size_t pool_threads = 0;
  int runs = 3;
  auto cipher = wire::pccrr::CryptoAlgorithm::aes128;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg =
        argv[i];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    const auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", std::string(arg).c_str());
        std::exit(2);
      }
      return argv[++i];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    };
    if (arg == "--mib") {
      mib = std::strtoul(std::string(value()).c_str(), nullptr, 10);
    } else if (arg == "--in-flight") {
      in_flight = std::max<std::size_t>(1, std::strtoul(std::string(value()).c_str(), nullptr, 10));
    } else if (arg == "--pool") {
      pool_threads = std::strtoul(std::string(value()).c_str(), nullptr, 10);
    } else if (arg == "--runs") {
      runs = std::max(1, std::atoi(std::string(value()).c_str()));
    } else if (arg == "--cipher") {
      const std::string_view c = value();
      cipher = c == "none"  ? wire::pccrr::CryptoAlgorithm::none
               : c == "192" ? wire::pccrr::CryptoAlgorithm::aes192
               : c == "256" ? wire::pccrr::CryptoAlgorithm::aes256
                            : wire::pccrr::CryptoAlgorithm::aes128;
    } else {
      std::fprintf(stderr,
                   "usage: pccrr_loopback_bench [--mib N] [--in-flight K] "
                   "[--cipher none|128|192|256] [--pool THREADS] [--runs R]\n");
      return 2;
    }
  }

  // One V1 segment of random bytes, and its descriptor.
  const Bytes content = random_bytes(kSegmentBytes, 42);
  pccrc::ContentInformationBuilder builder(pccrc::ServerSecret(Bytes{1, 2, 3, 4}),
                                           pccrc::BuildOptions{});
  builder.add(content);
  auto ci = builder.finish();
  if (!ci || ci->segments.size() != 1) {
    std::fprintf(stderr, "cannot build the content information\n");
    return 1;
  }
  const auto segment = std::make_shared<const pccrc::SegmentDescriptor>(
      pccrc::describe_segment(*ci, ci->segments[0]));
  const std::size_t blocks = mib * kMiB / segment->block_size;

  std::optional<util::WorkerPool> pool;
  if (pool_threads > 0) pool.emplace(static_cast<unsigned>(pool_threads));

  IoThread server_io;
  IoThread client_io;
  SegmentInMemory source(server_io.io().get_executor(), *segment, content);
  net::PccrrServerOptions server_options;
  server_options.endpoints = {{asio::ip::make_address("127.0.0.1"), 0}};
  server_options.algorithm = cipher;
  server_options.crypto_pool = pool ? &*pool : nullptr;
  net::PccrrServer server(server_io.io().get_executor(), source, server_options);
  if (auto listening = server.listen(); !listening) {
    std::fprintf(stderr, "%s\n", listening.error().c_str());
    return 1;
  }
  net::PccrrClientOptions client_options;
  client_options.connections_per_peer = in_flight;
  client_options.request_timeout = std::chrono::seconds(30);
  client_options.crypto_pool = pool ? &*pool : nullptr;
  auto client = std::make_unique<net::PccrrClient>(client_io.io().get_executor(), client_options);
  const auto endpoint = server.local_endpoints().at(0);

  // The same bytes for openssl, in memory.
  const std::filesystem::path dir =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  const auto file = dir / ("pccrr-bench-" + std::to_string(::getpid()) + ".bin");
  {
    std::ofstream out(file, std::ios::binary);
    for (std::size_t written = 0; written < blocks * segment->block_size;
         written += kSegmentBytes) {
      const std::size_t n = std::min(kSegmentBytes, blocks * segment->block_size - written);
      out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(n));
    }
  }

  Run best{std::chrono::duration<double>(1e9), {}};
  double openssl = 1e9;
  for (int r = 0; r < runs; ++r) {
    const Run run = retrieve(*client, endpoint, segment, blocks, in_flight);
    if (run.wall < best.wall) best = run;
    openssl = std::min(openssl, time_openssl(file));
  }
  std::filesystem::remove(file);
  const auto counters = server.counters();
  run_on(client_io, [&client] { client.reset(); });
  run_on(server_io, [&server] { server.stop(); });

  const double megabytes = static_cast<double>(blocks * segment->block_size) / 1e6;
  std::printf("pccrr loopback: %zu MiB, %zu blocks of 64 KiB, %zu in flight, cipher %s, %s\n", mib,
              blocks, in_flight, std::string(wire::pccrr::to_string(cipher)).c_str(),
              pool_threads > 0 ? ("worker pool of " + std::to_string(pool_threads)).c_str()
                               : "AES and hashing on the io threads");
  std::printf("  retrieval        %7.3f s  %8.1f MB/s  (process CPU %.3f s)\n", best.wall.count(),
              megabytes / best.wall.count(), best.cpu.count());
  std::printf("  openssl sha256   %7.3f s  %8.1f MB/s\n", openssl, megabytes / openssl);
  std::printf("  ratio            %7.2f  (floor: <= 1.20)\n", best.wall.count() / openssl);
  std::printf("  server: %llu blocks served, %llu connections\n",
              static_cast<unsigned long long>(counters.blocks_served),
              static_cast<unsigned long long>(counters.connections));
  return 0;
}
