// The floor of issue 4's benchmark on this machine: the least work any retrieval of a content
// from a peer over loopback with AES-128 must do, done by a bare pipeline with no protocol, no
// cache catalog and no IPC, timed against `openssl dgst -sha256` in the same run.
//
//   retrieval_floor [--mib N] [--runs R] [--dir DIR]
//
// The work (64 KiB blocks, as MS-PCCRR moves them):
//   sender thread:   pread a block of the file, AES-128-CBC encrypt it under a fresh IV,
//                    write IV + ciphertext to a loopback TCP connection;
//   receiver thread: read a block, decrypt it, hand it to
//   verifier thread: SHA-256 of the block compared with the hash the content information gives,
//                    then (stages "store" and "store+out") pwrite into a cache file and
//                    ("store+out") into the application's output file.
// Three variants are timed, each the fastest of R runs (default 3):
//   transfer:   encrypt + loopback + decrypt + verify, nothing written;
//   store:      ... + the block written once (the receiving peer's cache);
//   store+out:  ... + written twice (cache and the reader's output file), what
//               bench/distributed_fetch.sh measures `peerdist fetch` doing.
// The ratio to openssl shows how far below the 1.2 any implementation can go here: the
// crypto alone is ~1.5 CPU-seconds per GiB and a 2-core machine runs at most two of them at once.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;
using Hash = std::array<std::uint8_t, SHA256_DIGEST_LENGTH>;

constexpr std::size_t kBlock = 64 * 1024;  // MS-PCCRC's block size
constexpr std::size_t kIv = 16;
constexpr std::size_t kMiB = std::size_t{1} << 20U;
// Blocks between the receiver and the verifier: about what a pipeline window holds in flight.
constexpr std::size_t kQueueDepth = 32;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "retrieval_floor: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

bool write_all(int fd, const std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool read_all(int fd, std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, data, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    data += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// A bounded queue of decrypted blocks from the receiver to the verifier.
class BlockQueue {
 public:
  void push(Bytes block) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return blocks_.size() < kQueueDepth; });
    blocks_.push_back(std::move(block));
    ready_.notify_one();
  }
  void close() {
    const std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_one();
  }
  std::optional<Bytes> pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !blocks_.empty() || closed_; });
    if (blocks_.empty()) return std::nullopt;
    Bytes block = std::move(blocks_.front());
    blocks_.pop_front();
    room_.notify_one();
    return block;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;
  std::deque<Bytes> blocks_;
  bool closed_ = false;
};

struct Connection {
  int sender = -1;
  int receiver = -1;
};

Connection loopback_connection() {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) die("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0) die("bind");
  if (::listen(listener, 1) != 0) die("listen");
  if (::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    die("getsockname");
  }
  Connection c;
  c.sender = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(c.sender, reinterpret_cast<sockaddr*>(&address), length) != 0) die("connect");
  c.receiver = ::accept(listener, nullptr, nullptr);
  if (c.receiver < 0) die("accept");
  ::close(listener);
  const int one = 1;
  ::setsockopt(c.sender, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return c;
}

enum class Stage { kTransfer, kStore, kStoreAndOut };

struct Content {
  int fd = -1;
  std::size_t blocks = 0;
  std::vector<Hash> hashes;  // what the content information would give the receiver
};

// One retrieval of the whole content; returns false when a block did not verify.
bool retrieve(const Content& content, Stage stage, const std::filesystem::path& dir) {
  const Connection connection = loopback_connection();
  std::array<std::uint8_t, 16> key{};
  RAND_bytes(key.data(), static_cast<int>(key.size()));
  int cache_fd = -1;
  int out_fd = -1;
  if (stage != Stage::kTransfer) {
    cache_fd = ::open((dir / "floor-cache.bin").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (cache_fd < 0) die("open cache file");
  }
  if (stage == Stage::kStoreAndOut) {
    out_fd = ::open((dir / "floor-out.bin").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (out_fd < 0) die("open output file");
  }

  std::thread sender([&] {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    Bytes plain(kBlock);
    Bytes frame(kIv + kBlock);
    for (std::size_t i = 0; i < content.blocks; ++i) {
      if (::pread(content.fd, plain.data(), kBlock, static_cast<off_t>(i * kBlock)) !=
          static_cast<ssize_t>(kBlock)) {
        die("pread");
      }
      RAND_bytes(frame.data(), static_cast<int>(kIv));
      int n = 0;
      EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), nullptr, key.data(), frame.data());
      EVP_CIPHER_CTX_set_padding(ctx, 0);
      EVP_EncryptUpdate(ctx, frame.data() + kIv, &n, plain.data(), static_cast<int>(kBlock));
      if (!write_all(connection.sender, frame.data(), frame.size())) die("send");
    }
    EVP_CIPHER_CTX_free(ctx);
    ::shutdown(connection.sender, SHUT_WR);
  });

  BlockQueue queue;
  std::thread receiver([&] {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    Bytes frame(kIv + kBlock);
    for (std::size_t i = 0; i < content.blocks; ++i) {
      if (!read_all(connection.receiver, frame.data(), frame.size())) die("receive");
      Bytes plain(kBlock);
      int n = 0;
      EVP_DecryptInit_ex(ctx, EVP_aes_128_cbc(), nullptr, key.data(), frame.data());
      EVP_CIPHER_CTX_set_padding(ctx, 0);
      EVP_DecryptUpdate(ctx, plain.data(), &n, frame.data() + kIv, static_cast<int>(kBlock));
      queue.push(std::move(plain));
    }
    queue.close();
    EVP_CIPHER_CTX_free(ctx);
  });

  bool verified = true;
  std::size_t index = 0;
  while (auto block = queue.pop()) {
    Hash hash{};
    SHA256(block->data(), block->size(), hash.data());
    if (hash != content.hashes[index]) verified = false;
    const auto offset = static_cast<off_t>(index * kBlock);
    if (cache_fd >= 0 && ::pwrite(cache_fd, block->data(), kBlock, offset) != kBlock) {
      die("write cache file");
    }
    if (out_fd >= 0 && ::pwrite(out_fd, block->data(), kBlock, offset) != kBlock) {
      die("write output file");
    }
    ++index;
  }
  sender.join();
  receiver.join();
  ::close(connection.sender);
  ::close(connection.receiver);
  if (cache_fd >= 0) ::close(cache_fd);
  if (out_fd >= 0) ::close(out_fd);
  std::filesystem::remove(dir / "floor-cache.bin");
  std::filesystem::remove(dir / "floor-out.bin");
  return verified && index == content.blocks;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 1024;
  int runs = 3;
  std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view option = argv[i];
    if (option == "--mib") {
      mib = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (option == "--runs") {
      runs = std::atoi(argv[i + 1]);
    } else if (option == "--dir") {
      dir = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: retrieval_floor [--mib N] [--runs R] [--dir DIR]\n");
      return 2;
    }
  }
  if (mib == 0 || runs <= 0) {
    std::fprintf(stderr, "retrieval_floor: --mib and --runs must be positive\n");
    return 2;
  }

  const std::filesystem::path file = dir / ("retrieval-floor-" + std::to_string(::getpid()));
  Content content;
  content.blocks = mib * kMiB / kBlock;
  {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) die("create " + file.string());
    Bytes block(kBlock);
    for (std::size_t i = 0; i < content.blocks; ++i) {
      RAND_bytes(block.data(), static_cast<int>(kBlock));
      if (!write_all(fd, block.data(), kBlock)) die("write content");
      Hash hash{};
      SHA256(block.data(), kBlock, hash.data());
      content.hashes.push_back(hash);
    }
    content.fd = fd;
  }

  const std::string openssl = "openssl dgst -sha256 '" + file.string() + "' >/dev/null";
  double best_openssl = 1e9;
  struct Variant {
    const char* name;
    Stage stage;
    double best = 1e9;
    double cpu = 0;
  };
  std::array<Variant, 3> variants{{{"transfer", Stage::kTransfer},
                                   {"store", Stage::kStore},
                                   {"store+out", Stage::kStoreAndOut}}};
  int status = 0;
  for (int run = 0; run < runs; ++run) {
    const auto start = Clock::now();
    if (std::system(openssl.c_str()) != 0) {
      std::fprintf(stderr, "retrieval_floor: openssl dgst failed\n");
      status = 1;
      break;
    }
    best_openssl = std::min(best_openssl, seconds_since(start));
    for (Variant& variant : variants) {
      const double cpu0 = cpu_seconds();
      const auto t0 = Clock::now();
      if (!retrieve(content, variant.stage, dir)) {
        std::fprintf(stderr, "retrieval_floor: a block did not verify\n");
        status = 1;
      }
      const double t = seconds_since(t0);
      if (t < variant.best) {
        variant.best = t;
        variant.cpu = cpu_seconds() - cpu0;
      }
    }
  }
  ::close(content.fd);
  std::filesystem::remove(file);
  if (status != 0) return status;

  std::printf("openssl dgst -sha256 of %zu MiB: %.3f s (fastest of %d)\n", mib, best_openssl, runs);
  for (const Variant& variant : variants) {
    std::printf("floor %-10s %.3f s, CPU %.2f s, ratio %.2f\n", variant.name, variant.best,
                variant.cpu, variant.best / best_openssl);
  }
  std::printf("load: %s", [] {
    static char line[128] = "?\n";
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
      if (std::fgets(line, sizeof line, f) == nullptr) std::strcpy(line, "?\n");
      std::fclose(f);
    }
    return line;
  }());
  return 0;
}
