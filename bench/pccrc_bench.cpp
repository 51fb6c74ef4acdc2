// Throughput of the V2 chunker and of the content-information builder, against a same-run
// reference: one thread hashing the same buffer with plain SHA-256 / SHA-512 (what
// `openssl dgst` does). The builder's `vs_sha*` counter is its wall time divided by the
// reference's: 1.0 = as fast as hashing on one core, 0.5 = the floor on two cores.
//
// The buffer is PEERDIST_BENCH_MIB MiB of pseudo-random bytes (default 1024, the size the
// targets in docs/chunker.md are stated for), generated once per run.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "peerdist/crypto/hash.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/chunker.hpp"
#include "peerdist/util/worker_pool.hpp"

namespace {

using namespace peerdist;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kDefaultMiB = 1024;

const std::vector<std::uint8_t>& content() {
  static const std::vector<std::uint8_t> bytes = [] {
    std::size_t mib = kDefaultMiB;
    if (const char* env = std::getenv("PEERDIST_BENCH_MIB")) mib = std::strtoull(env, nullptr, 10);
    std::vector<std::uint8_t> out(std::max<std::size_t>(mib, 1) << 20U);
    // xorshift64*: incompressible enough for hashing and chunking, fast to generate.
    std::uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (std::size_t i = 0; i < out.size(); i += 8) {
      x ^= x >> 12U;
      x ^= x << 25U;
      x ^= x >> 27U;
      const std::uint64_t v = x * 0x2545F4914F6CDD1DULL;
      for (std::size_t k = 0; k < 8 && i + k < out.size(); ++k)
        out[i + k] = static_cast<std::uint8_t>(v >> (8 * k));
    }
    return out;
  }();
  return bytes;
}

const pccrc::ServerSecret& secret() {
  static const pccrc::ServerSecret s(std::vector<std::uint8_t>(32, 0x42));
  return s;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best of two single-threaded passes of plain SHA over the buffer, measured once per run.
double reference_seconds(crypto::HashAlgorithm algorithm) {
  static std::map<crypto::HashAlgorithm, double> measured;
  auto it = measured.find(algorithm);
  if (it != measured.end()) return it->second;
  double best = 0;
  for (int i = 0; i < 2; ++i) {
    const auto start = Clock::now();
    benchmark::DoNotOptimize(crypto::hash(algorithm, content()));
    const double s = seconds_since(start);
    best = i == 0 ? s : std::min(best, s);
  }
  return measured.emplace(algorithm, best).first->second;
}

void BM_PlainHash(benchmark::State& state, crypto::HashAlgorithm algorithm) {
  const auto& data = content();
  for (auto _ : state) benchmark::DoNotOptimize(crypto::hash(algorithm, data));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
}

void BM_Chunker(benchmark::State& state) {
  const auto& data = content();
  const pccrc::Chunker chunker;
  std::size_t segments = 0;
  for (auto _ : state) {
    segments = 0;
    for (std::size_t at = 0; at < data.size(); ++segments) {
      at += chunker.next_segment(std::span(data).subspan(at), true);
    }
    benchmark::DoNotOptimize(segments);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
  state.counters["segments"] = static_cast<double>(segments);
  state.counters["avg_segment_bytes"] =
      static_cast<double>(data.size()) / static_cast<double>(segments);
}

// How BM_Builder feeds the buffer (range(1)).
enum Feed : std::int64_t {
  kAddWhole = 0,       // one add() of the whole buffer
  kPrepareCommit = 1,  // prepare()/commit(), as `peerdist hash` does with read() for pipes
  kBorrowed = 2,       // add_borrowed() of 8 MiB windows, as `peerdist hash` lends mapped files
};
constexpr std::size_t kBorrowedWindowBytes = std::size_t{8} << 20U;

// range(0): threads for the builder (0 = all); range(1): a Feed.
void BM_Builder(benchmark::State& state, pccrc::HashScheme scheme) {
  const auto& data = content();
  const auto threads = static_cast<unsigned>(state.range(0));
  const auto feed = static_cast<Feed>(state.range(1));
  const double reference = reference_seconds(scheme.algorithm);
  double total = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    pccrc::ContentInformationBuilder builder(secret(), {scheme, threads, {}});
    if (feed == kPrepareCommit) {
      for (std::size_t at = 0; at < data.size();) {
        const auto space = builder.prepare();
        const std::size_t n = std::min(space.size(), data.size() - at);
        std::memcpy(space.data(), data.data() + at, n);
        builder.commit(n);
        at += n;
      }
    } else if (feed == kBorrowed) {
      for (std::size_t at = 0; at < data.size(); at += kBorrowedWindowBytes) {
        builder.add_borrowed(
            std::span(data).subspan(at, std::min(kBorrowedWindowBytes, data.size() - at)), {});
      }
    } else {
      builder.add(data);
    }
    auto ci = builder.finish();
    benchmark::DoNotOptimize(ci);
    total += seconds_since(start);
  }
  const double per_iteration = total / static_cast<double>(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
  state.counters["threads"] = threads == 0 ? util::WorkerPool::hardware_threads() : threads;
  state.counters[scheme.algorithm == crypto::HashAlgorithm::sha512 ? "vs_sha512" : "vs_sha256"] =
      per_iteration / reference;
  state.counters["reference_s"] = reference;
}

void builder_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"threads", "feed"});
  b->Args({1, kAddWhole})->Args({0, kAddWhole})->Args({0, kPrepareCommit})->Args({0, kBorrowed});
  b->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(2.0);
}

BENCHMARK_CAPTURE(BM_PlainHash, sha256, crypto::HashAlgorithm::sha256)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK_CAPTURE(BM_PlainHash, sha512, crypto::HashAlgorithm::sha512)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK(BM_Chunker)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Builder, v1_sha256, pccrc::HashScheme{})->Apply(builder_args);
BENCHMARK_CAPTURE(BM_Builder, v2, pccrc::HashScheme::v2())->Apply(builder_args);

}  // namespace

BENCHMARK_MAIN();
