// DataCache::put_blocks throughput: what a client retrieving content stores, in batches.
//
//   data_cache_bench [--dir DIR] [--mib N] [--batch BLOCKS] [--v2]
//                    [--policy every_batch|checkpoint|both]
//
// Stores N MiB (default 1024) of verified blocks in batches of BLOCKS (default 64) into a fresh
// cache in a new directory under DIR (default /tmp), once per sync policy (both by default),
// and prints MB/s of put_blocks alone: the content is made, hashed and verified 32 MiB at a time
// outside the timed calls.
// * every_batch: every batch is durable when put_blocks returns (fdatasync of its files, then a
//   FULL-sync commit), so the figure is bounded by the disk's flush latency.
// * checkpoint: put_blocks writes into the page cache and commits relaxed; checkpoint() runs
//   every 30 s of the run, as peerdistd's cache thread does, and once at the end. Also printed:
//   the checkpoints' time, and MB/s counting put_blocks and checkpoints together, i.e. until
//   the last byte is durable (the disk's write-back overlaps the untimed content making, as it
//   would overlap the network in a download).
// The load average is printed before and after each run: read the figures with it in mind.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/segment_descriptor.hpp"
#include "peerdist/store/data_cache.hpp"

namespace {

using namespace peerdist;
using Clock = std::chrono::steady_clock;

// CPU time of the calling thread: what put_blocks costs whatever else the machine runs.
std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// As peerdistd's service::CacheExecutor::kCheckpointInterval (the bench does not link the service).
constexpr auto kCheckpointInterval = std::chrono::seconds(30);

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  std::string five;
  std::string fifteen;
  in >> one >> five >> fifteen;
  return in ? one + " " + five + " " + fifteen : std::string("unknown");
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
  std::vector<std::uint8_t> out(n);
  std::mt19937_64 random(seed);
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    const std::uint64_t v = random();
    for (std::size_t b = 0; b < 8; ++b) out[i + b] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  return out;
}

struct Run {
  std::filesystem::path dir;
  std::size_t mib = 1024;
  std::size_t batch = 64;
  pccrc::HashScheme scheme{};
};

const char* name_of(store::SyncPolicy policy) {
  return policy == store::SyncPolicy::every_batch ? "every_batch" : "checkpoint";
}

int run(const Run& r, store::SyncPolicy policy) {
  const std::size_t mib = r.mib;
  const std::size_t batch = r.batch;
  const pccrc::HashScheme scheme = r.scheme;
  const std::filesystem::path dir =
      r.dir / ("peerdist-cache-bench-" + std::to_string(::getpid()) + "-" + name_of(policy));
  std::printf("%s, %s: load average %s before\n",
              scheme.version == pccrc::Version::v2 ? "V2" : "V1", name_of(policy),
              load_average().c_str());
  store::DataCacheOptions options;
  options.sync_policy = policy;
  auto cache = store::DataCache::open(dir, {std::uint64_t{mib + 64} << 20U, std::chrono::hours(24)},
                                      options);
  if (!cache) {
    std::fprintf(stderr, "%s\n", cache.error().message.c_str());
    return 1;
  }

  constexpr std::size_t kPiece = std::size_t{32} << 20U;  // one V1 segment
  const pccrc::ServerSecret secret(random_bytes(32, 1));
  Clock::duration in_put{};
  Clock::duration in_checkpoint{};
  Clock::duration last_checkpoint{};
  std::size_t checkpoints = 0;
  std::chrono::nanoseconds cpu_in_put{};
  std::uint64_t bytes = 0;
  std::uint64_t batches = 0;
  const auto begin = Clock::now();
  auto checkpointed_at = begin;
  const auto checkpoint = [&]() -> bool {
    const auto start = Clock::now();
    if (auto done = cache->checkpoint(); !done) {
      std::fprintf(stderr, "%s\n", done.error().message.c_str());
      return false;
    }
    checkpointed_at = Clock::now();
    last_checkpoint = checkpointed_at - start;
    in_checkpoint += last_checkpoint;
    ++checkpoints;
    return true;
  };
  for (std::size_t piece = 0; piece * kPiece < (mib << 20U); ++piece) {
    const auto content = random_bytes(kPiece, 100 + piece);
    pccrc::ContentInformationBuilder builder(secret, {scheme, 0, {}});
    builder.add(content);
    auto ci = builder.finish();
    if (!ci) return 1;
    std::vector<pccrc::SegmentDescriptor> descriptors;
    std::vector<pccrc::VerifiedBlock> blocks;
    for (const pccrc::Segment& segment : ci->segments) {
      descriptors.push_back(pccrc::describe_segment(*ci, segment));
      const auto& d = descriptors.back();
      for (std::uint32_t b = 0; b < d.block_count(); ++b) {
        const auto first = content.begin() + static_cast<std::ptrdiff_t>(
                                                 segment.offset + std::uint64_t{b} * d.block_size);
        auto block = pccrc::verify_block(
            d, pccrc::BlockIndex{b},
            std::vector<std::uint8_t>(first, first + d.block_length(pccrc::BlockIndex{b})));
        if (!block) return 1;
        blocks.push_back(std::move(*block));
      }
    }
    if (auto done = cache->describe(descriptors, std::nullopt); !done) {
      std::fprintf(stderr, "%s\n", done.error().message.c_str());
      return 1;
    }
    for (std::size_t i = 0; i < blocks.size(); i += batch) {
      const std::span<const pccrc::VerifiedBlock> slice(blocks.data() + i,
                                                        std::min(batch, blocks.size() - i));
      const auto start = Clock::now();
      const auto cpu_start = thread_cpu_time();
      if (auto done = cache->put_blocks(slice); !done) {
        std::fprintf(stderr, "%s\n", done.error().message.c_str());
        return 1;
      }
      cpu_in_put += thread_cpu_time() - cpu_start;
      in_put += Clock::now() - start;
      for (const auto& b : slice) bytes += b.bytes().size();
      ++batches;
      if (policy == store::SyncPolicy::checkpoint &&
          Clock::now() - checkpointed_at >= kCheckpointInterval && !checkpoint()) {
        return 1;
      }
    }
  }
  if (policy == store::SyncPolicy::checkpoint && !checkpoint()) return 1;
  const double wall = std::chrono::duration<double>(Clock::now() - begin).count();

  const auto mb_per_s = [bytes](double s) { return static_cast<double>(bytes) / s / 1e6; };
  const double seconds = std::chrono::duration<double>(in_put).count();
  const double cpu_seconds = std::chrono::duration<double>(cpu_in_put).count();
  std::printf(
      "%s, %s: %.1f MiB in %llu batches of up to %zu blocks: %.3f s in put_blocks, %.0f MB/s; "
      "%.3f s of CPU in put_blocks (%.0f MB per CPU second)\n",
      scheme.version == pccrc::Version::v2 ? "V2" : "V1", name_of(policy),
      static_cast<double>(bytes) / (1 << 20U), static_cast<unsigned long long>(batches), batch,
      seconds, mb_per_s(seconds), cpu_seconds, mb_per_s(cpu_seconds));
  if (policy == store::SyncPolicy::checkpoint) {
    const double synced = std::chrono::duration<double>(in_checkpoint).count();
    std::printf(
        "  %zu checkpoint(s): %.3f s, the last %.3f s; put_blocks + checkpoints %.3f s, %.0f MB/s "
        "until durable\n",
        checkpoints, synced, std::chrono::duration<double>(last_checkpoint).count(),
        seconds + synced, mb_per_s(seconds + synced));
  }
  std::printf("  %.1f s in all (content making included); load average %s after\n", wall,
              load_average().c_str());
  auto cleared = cache->clear();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return cleared ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Run r;
  std::string policies = "both";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg =
        argv[i];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", std::string(arg).c_str());
        std::exit(2);
      }
      return argv[++i];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    };
    if (arg == "--dir") {
      r.dir = value();
    } else if (arg == "--mib") {
      r.mib = std::stoul(value());
    } else if (arg == "--batch") {
      r.batch = std::stoul(value());
    } else if (arg == "--v2") {
      r.scheme = pccrc::HashScheme::v2();
    } else if (arg == "--policy") {
      policies = value();
    } else {
      policies.clear();
      break;
    }
  }
  if (policies != "both" && policies != "every_batch" && policies != "checkpoint") {
    std::fprintf(stderr,
                 "usage: data_cache_bench [--dir DIR] [--mib N] [--batch BLOCKS] [--v2] "
                 "[--policy every_batch|checkpoint|both]\n");
    return 2;
  }
  if (r.dir.empty()) r.dir = std::filesystem::temp_directory_path();
  for (const store::SyncPolicy policy :
       {store::SyncPolicy::every_batch, store::SyncPolicy::checkpoint}) {
    if (policies != "both" && policies != name_of(policy)) continue;
    if (const int failed = run(r, policy); failed != 0) return failed;
  }
  return 0;
}
