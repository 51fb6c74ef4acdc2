// `peerdist serve` as a process: listens where stderr says, answers BranchCache clients with the
// content information of the secret it keeps in the state directory (the same after a restart),
// writes the access log, stops on SIGTERM with exit 0.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_data.hpp"

namespace peerdist::test {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Bytes = std::vector<std::uint8_t>;

const std::string kCli = PEERDIST_CLI;
constexpr std::size_t kFileSize = 200'000;  // over the 64 KiB peerdist minimum, hashed inline

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A `peerdist serve` child with stderr in a file.
class Server {
 public:
  explicit Server(std::vector<std::string> args, std::string err_file)
      : err_file_(std::move(err_file)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, STDERR_FILENO);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port from "listening on 127.0.0.1:PORT", 0 if it never says (generous deadline).
  std::uint16_t port() {
    const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 2000; ++i) {
      std::smatch m;
      const std::string err = slurp(err_file_);
      if (std::regex_search(err, m, listening)) return static_cast<std::uint16_t>(std::stoi(m[1]));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }

  // SIGTERM, then the exit status (-1 if it did not exit within the deadline or was killed).
  int terminate() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 2000; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  [[nodiscard]] std::string err() const { return slurp(err_file_); }

 private:
  std::string err_file_;
  pid_t pid_ = -1;
};

struct Reply {
  unsigned status = 0;
  std::string encoding;
  std::string body;
};

Reply get_peerdist(std::uint16_t port, const std::string& target) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::accept_encoding, "gzip, deflate, peerdist");
  req.set("X-P2P-PeerDist", "Version=1.0");
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return {res.result_int(), std::string(res[http::field::content_encoding]), res.body()};
}

Bytes v1_ci(const pccrc::ServerSecret& secret, const Bytes& content) {
  pccrc::ContentInformationBuilder builder(secret, pccrc::BuildOptions{{}, 1, {}});
  builder.add(content);
  return pccrc::encode(builder.finish().value());
}

class ServeCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir_.path() / "root");
    content_ = random_content(kFileSize, 17);
    (void)dir_.write("root/file.bin", content_);
  }
  std::vector<std::string> args(std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {kCli,
                                  "serve",
                                  dir_.file("root"),
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--state-dir",
                                  dir_.file("state"),
                                  "--access-log",
                                  dir_.file("access.log")};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  TempDir dir_;
  Bytes content_;
};

TEST_F(ServeCommand, KeepsItsSecretAcrossRestartsAndLogsEveryResponse) {
  Bytes first_ci;
  {
    Server server(args(), dir_.file("err1"));
    const auto port = server.port();
    ASSERT_NE(port, 0) << server.err();
    const auto r = get_peerdist(port, "/file.bin");
    ASSERT_EQ(r.status, 200U);
    EXPECT_EQ(r.encoding, "peerdist");
    first_ci = Bytes(r.body.begin(), r.body.end());
    EXPECT_EQ(server.terminate(), 0) << server.err();
    EXPECT_NE(server.err().find("created a new server secret"), std::string::npos);
  }
  // The CI is the builder's for the secret kept in the state directory.
  const Bytes key = read_file(dir_.file("state/server-secret.key"));
  ASSERT_EQ(key.size(), 32U);
  EXPECT_EQ(first_ci, v1_ci(pccrc::ServerSecret(key), content_));
  struct stat st {};
  ASSERT_EQ(::stat(dir_.file("state/server-secret.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  {
    Server server(args(), dir_.file("err2"));
    const auto port = server.port();
    ASSERT_NE(port, 0) << server.err();
    const auto r = get_peerdist(port, "/file.bin");
    EXPECT_EQ(Bytes(r.body.begin(), r.body.end()), first_ci);
    EXPECT_EQ(get_peerdist(port, "/missing").status, 404U);
    EXPECT_EQ(server.terminate(), 0) << server.err();
    EXPECT_EQ(server.err().find("created a new server secret"), std::string::npos);
  }
  const std::string log = slurp(dir_.file("access.log"));
  const std::regex line(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z 127\\.0\\.0\\.1 GET /file\\.bin 200 " +
      std::to_string(first_ci.size()) + " peerdist-v1\n");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(log.begin(), log.end(), line), std::sregex_iterator()), 2)
      << log;
  EXPECT_NE(log.find(" GET /missing 404 "), std::string::npos) << log;
}

TEST_F(ServeCommand, UsesTheGivenPassphrase) {
  Server server(args({"--passphrase", "branch secret"}), dir_.file("err"));
  const auto port = server.port();
  ASSERT_NE(port, 0) << server.err();
  const auto r = get_peerdist(port, "/file.bin");
  EXPECT_EQ(Bytes(r.body.begin(), r.body.end()),
            v1_ci(pccrc::ServerSecret::from_passphrase("branch secret").value(), content_));
  EXPECT_EQ(server.terminate(), 0) << server.err();
  EXPECT_FALSE(std::filesystem::exists(dir_.file("state/server-secret.key")));
}

TEST_F(ServeCommand, RefusesWhatItCannotServe) {
  const auto missing = run_process({kCli, "serve", dir_.file("nope"), "--listen", "127.0.0.1:0",
                                    "--state-dir", dir_.file("state")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("not a directory"), std::string::npos) << missing.err;
  const auto bad_listen = run_process({kCli, "serve", dir_.file("root"), "--listen", "localhost",
                                       "--state-dir", dir_.file("state")});
  EXPECT_EQ(bad_listen.exit_code, 1);
  EXPECT_NE(bad_listen.err.find("--listen"), std::string::npos) << bad_listen.err;
}

}  // namespace
}  // namespace peerdist::test
