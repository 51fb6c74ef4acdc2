#include "fake_peer_source.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>

namespace peerdist::service::test {
namespace {

class FakeFetch final : public net::Fetch {
 public:
  FakeFetch(const boost::asio::any_io_executor& executor, std::shared_ptr<std::size_t> cancels)
      : timer(executor), cancels_(std::move(cancels)) {}
  void cancel() override {
    if (cancelled) return;
    cancelled = true;
    ++*cancels_;
    timer.cancel();
  }

  boost::asio::steady_timer timer;
  bool cancelled = false;

 private:
  std::shared_ptr<std::size_t> cancels_;
};

}  // namespace

void FakePeerSource::hold_all(const ContentLayout& layout, std::span<const std::uint8_t> content,
                              std::uint64_t base) {
  for (std::size_t s = 0; s < layout.segments().size(); ++s) {
    const auto& descriptor = *layout.segments()[s].descriptor;
    for (std::uint32_t i = 0; i < descriptor.block_count(); ++i) {
      const BlockPlace place = layout.place(s, pccrc::BlockIndex{i});
      if (place.offset < base || place.end() - base > content.size()) continue;
      const auto bytes = content.subspan(place.offset - base, place.length);
      hold(layout.key(place), {bytes.begin(), bytes.end()});
    }
  }
}

void FakePeerSource::corrupt_all() {
  for (auto& [key, bytes] : held_) {
    if (!bytes.empty()) bytes[bytes.size() / 2] ^= 0x5AU;
  }
}

std::shared_ptr<net::Fetch> FakePeerSource::fetch(net::FetchRequest request, BlockHandler on_block,
                                                  DoneHandler on_done) {
  requests_.push_back(request);
  auto fetch = std::make_shared<FakeFetch>(executor_, cancels_);
  if (mode == Mode::mute) return fetch;
  const auto now = std::chrono::steady_clock::now();
  const bool late = mode == Mode::silent || now + delay >= request.deadline;
  fetch->timer.expires_at(late ? request.deadline : now + delay);
  // What it will hand over is decided now, from what it holds.
  std::vector<pccrc::VerifiedBlock> blocks;
  bool all = true;
  if (!late) {
    for (pccrc::BlockIndex index : request.blocks) {
      pccrc::BlockIndex served = index;
      if (mode == Mode::wrong_block) {
        // A block of the segment that was not asked for (verified all the same); none when
        // every block was asked for.
        bool found = false;
        for (std::uint32_t i = 0; i < request.segment.block_count() && !found; ++i) {
          if (std::find(request.blocks.begin(), request.blocks.end(), pccrc::BlockIndex{i}) ==
              request.blocks.end()) {
            served = pccrc::BlockIndex{i};
            found = true;
          }
        }
        if (!found) {
          all = false;
          continue;
        }
      }
      auto it = held_.find(BlockKey{request.segment.segment_id, served});
      if (it == held_.end()) {
        all = false;
        continue;
      }
      // verify_block is the only maker of VerifiedBlock: corrupt bytes stop here.
      auto block = pccrc::verify_block(request.segment, served, it->second);
      if (!block) {
        all = false;
        continue;
      }
      blocks.push_back(std::move(*block));
    }
  }
  fetch->timer.async_wait(
      [fetch, late, all, blocks = std::move(blocks), on_block = std::move(on_block),
       on_done = std::move(on_done)](const boost::system::error_code& error) mutable {
        if (error || fetch->cancelled) return;
        for (auto& block : blocks) {
          if (fetch->cancelled) return;
          on_block(std::move(block));
        }
        if (fetch->cancelled) return;
        if (late) return on_done(net::FetchOutcome::timed_out);
        on_done(all ? net::FetchOutcome::complete : net::FetchOutcome::not_found);
      });
  return fetch;
}

}  // namespace peerdist::service::test
