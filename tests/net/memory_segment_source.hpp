// A SegmentSource over blocks held in memory, for the tests of the serving side (PCCRR server,
// PCCRD responder). It answers on its executor, at once, after a delay, or never (a source that
// hangs), and counts what it was asked. Thread-safe: tests add blocks while a server runs.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "peerdist/net/segment_source.hpp"
#include "peerdist/pccrc/segment_descriptor.hpp"

namespace peerdist::net::test {

class MemorySegmentSource final : public SegmentSource {
 public:
  explicit MemorySegmentSource(boost::asio::any_io_executor executor)
      : executor_(std::move(executor)) {}

  // Holds the segment (its block count and Kp from the descriptor) with no block yet.
  void add_segment(const pccrc::SegmentDescriptor& segment, std::chrono::seconds age = {});
  // Holds one block of a segment added before; the bytes are served as given (verified or
  // not: a test may hold corrupt bytes on purpose).
  void add_block(const crypto::Digest& segment_id, pccrc::BlockIndex index,
                 std::vector<std::uint8_t> bytes);
  // add_segment, then every block of the segment from its bytes (segment_length of them).
  void add_segment_bytes(const pccrc::SegmentDescriptor& segment,
                         std::span<const std::uint8_t> bytes, std::chrono::seconds age = {});
  void remove_block(const crypto::Digest& segment_id, pccrc::BlockIndex index);

  // How answers come: after `delay` (0: posted at once), or never (held until destruction).
  void set_delay(std::chrono::milliseconds delay);
  void set_silent(bool silent);

  [[nodiscard]] std::size_t holdings_calls() const;
  [[nodiscard]] std::size_t read_block_calls() const;

  void holdings(std::vector<crypto::Digest> segment_ids, HoldingsHandler handler) override;
  void read_block(const crypto::Digest& segment_id, pccrc::BlockIndex index,
                  BlockHandler handler) override;

 private:
  using Key = std::vector<std::uint8_t>;
  struct Segment {
    std::uint32_t block_count = 0;
    crypto::Digest kp;
    std::chrono::seconds age{};
    std::map<std::uint32_t, std::shared_ptr<const std::vector<std::uint8_t>>> blocks;
  };
  static Key key_of(const crypto::Digest& id) { return {id.bytes().begin(), id.bytes().end()}; }
  void answer(std::function<void()> call);

  boost::asio::any_io_executor executor_;
  mutable std::mutex mutex_;
  std::map<Key, Segment> segments_;
  std::chrono::milliseconds delay_{0};
  bool silent_ = false;
  std::vector<std::function<void()>> withheld_;
  std::size_t holdings_calls_ = 0;
  std::size_t read_block_calls_ = 0;
};

}  // namespace peerdist::net::test
