// A PeerSource for tests: it serves the blocks it was given, after a controllable delay, or
// answers not at all, or holds corrupt bytes (which fail verification and are never handed
// over), or hands over verified blocks nobody asked for. It records every request.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "peerdist/net/peer_source.hpp"
#include "peerdist/service/block_key.hpp"
#include "peerdist/service/content_layout.hpp"

namespace peerdist::service::test {

class FakePeerSource final : public net::PeerSource {
 public:
  enum class Mode {
    serve,        // hands over the held blocks asked for; complete, or not_found if some lack
    silent,       // hands over nothing; ends timed_out at the deadline, as a real source would
    mute,         // hands over nothing and never ends (only the reader's own timer helps)
    wrong_block,  // hands over verified blocks of the content that were not asked for
  };

  explicit FakePeerSource(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // The peers hold these bytes for the block; corrupt bytes are held too (and then fail
  // verification when served).
  void hold(const BlockKey& key, std::vector<std::uint8_t> bytes) { held_[key] = std::move(bytes); }
  // Every block of `layout` the content's bytes give (content[offset - base]).
  void hold_all(const ContentLayout& layout, std::span<const std::uint8_t> content,
                std::uint64_t base = 0);
  // Flips one byte of every held block.
  void corrupt_all();

  Mode mode = Mode::serve;
  std::chrono::milliseconds delay{0};

  [[nodiscard]] const std::vector<net::FetchRequest>& requests() const noexcept {
    return requests_;
  }
  [[nodiscard]] std::size_t cancels() const noexcept { return *cancels_; }

  [[nodiscard]] std::shared_ptr<net::Fetch> fetch(net::FetchRequest request, BlockHandler on_block,
                                                  DoneHandler on_done) override;

 private:
  boost::asio::any_io_executor executor_;
  std::map<BlockKey, std::vector<std::uint8_t>, BlockKeyLess> held_;
  std::vector<net::FetchRequest> requests_;
  std::shared_ptr<std::size_t> cancels_ = std::make_shared<std::size_t>(0);
};

}  // namespace peerdist::service::test
