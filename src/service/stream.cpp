#include "peerdist/service/stream.hpp"

#include <atomic>
#include <system_error>

#include "peerdist/pccrc/codec.hpp"

namespace peerdist::service {

StreamBuilders::StreamBuilders(std::shared_ptr<const pccrc::ServerSecret> secret,
                               std::vector<pccrc::Version> versions, unsigned threads)
    : secret_(std::move(secret)), versions_(std::move(versions)), threads_(threads) {}

void StreamBuilders::make_builders() {
  if (builders_.empty()) {
    for (pccrc::Version version : versions_) {
      pccrc::BuildOptions options;
      options.scheme =
          version == pccrc::Version::v2 ? pccrc::HashScheme::v2() : pccrc::HashScheme{};
      options.threads = threads_;
      builders_.push_back(std::make_unique<pccrc::ContentInformationBuilder>(*secret_, options));
    }
  }
}

void StreamBuilders::add(std::span<const std::uint8_t> data) {
  make_builders();
  for (auto& builder : builders_) builder->add(data);
}

void StreamBuilders::add_borrowed(std::span<const std::uint8_t> data,
                                  std::function<void()> release) {
  make_builders();
  // Each builder lends the piece and releases it on its own; `release` runs after the last.
  // A client that rewrites its shared buffer meanwhile only makes its own CIs describe
  // different bytes.
  auto left = std::make_shared<std::atomic<std::size_t>>(builders_.size());
  auto shared_release = std::make_shared<std::function<void()>>(std::move(release));
  auto one_done = [left, shared_release] {
    if (left->fetch_sub(1, std::memory_order_acq_rel) == 1 && *shared_release) (*shared_release)();
  };
  std::size_t lent = 0;
  try {
    for (auto& builder : builders_) {
      ++lent;
      builder->add_borrowed(data, one_done);
    }
  } catch (...) {
    // The builders not reached never borrow the piece: count them as done.
    for (; lent < builders_.size(); ++lent) one_done();
    throw;
  }
}

bool StreamBuilders::release_oldest() {
  bool more = false;
  for (auto& builder : builders_) more = builder->release_oldest() || more;
  return more;
}

std::vector<EncodedCi> StreamBuilders::finish() {
  std::vector<EncodedCi> out;
  for (std::size_t i = 0; i < builders_.size(); ++i) {
    auto ci = builders_[i]->finish();
    if (!ci) throw std::system_error(ci.error());
    out.push_back(EncodedCi{versions_[i], pccrc::encode(*ci)});
  }
  builders_.clear();
  return out;
}

}  // namespace peerdist::service
