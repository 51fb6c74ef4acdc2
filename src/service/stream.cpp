#include "peerdist/service/stream.hpp"

#include <system_error>

#include "peerdist/pccrc/codec.hpp"

namespace peerdist::service {

StreamBuilders::StreamBuilders(std::shared_ptr<const pccrc::ServerSecret> secret,
                               std::vector<pccrc::Version> versions, unsigned threads)
    : secret_(std::move(secret)), versions_(std::move(versions)), threads_(threads) {}

void StreamBuilders::add(std::span<const std::uint8_t> data) {
  if (builders_.empty()) {
    for (pccrc::Version version : versions_) {
      pccrc::BuildOptions options;
      options.scheme =
          version == pccrc::Version::v2 ? pccrc::HashScheme::v2() : pccrc::HashScheme{};
      options.threads = threads_;
      builders_.push_back(std::make_unique<pccrc::ContentInformationBuilder>(*secret_, options));
    }
  }
  // Each builder reads the piece in full before the next does: a client that rewrites its
  // shared buffer meanwhile only makes its own two CIs describe different bytes.
  for (auto& builder : builders_) builder->add(data);
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
