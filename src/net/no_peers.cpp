#include "peerdist/net/no_peers.hpp"

#include <atomic>
#include <boost/asio/post.hpp>

namespace peerdist::net {
namespace {

// cancel() may come from the executor's thread before the posted outcome runs; the flag is
// atomic only so that a cancel from another thread is no data race either.
class NoFetch final : public Fetch {
 public:
  void cancel() override { cancelled_.store(true, std::memory_order_release); }
  [[nodiscard]] bool cancelled() const noexcept {
    return cancelled_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace

std::shared_ptr<Fetch> NoPeers::fetch(FetchRequest /*request*/, BlockHandler /*on_block*/,
                                      DoneHandler on_done) {
  auto fetch = std::make_shared<NoFetch>();
  boost::asio::post(executor_, [fetch, on_done = std::move(on_done)] {
    if (!fetch->cancelled() && on_done) on_done(FetchOutcome::not_found);
  });
  return fetch;
}

}  // namespace peerdist::net
