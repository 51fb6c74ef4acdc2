// The identifiers with a publication in progress. PeerDistServerPublishStream answers
// PEERDIST_ERROR_ALREADY_EXISTS for an identifier the user has published *or is publishing*
// (docs/api.md), and a stream in progress is in no catalog yet; so each stream holds a
// reservation of its (uid, identifier) from PublishStream until it is published (then the
// catalog answers) or abandoned. Network thread only.
#pragma once

#include <memory>
#include <optional>
#include <set>

#include "peerdist/service/publication_key.hpp"

namespace peerdist::service {

class Reservations;

// Releases its key when destroyed. Holds the set weakly: a reservation that outlives the
// service (a handler dropped at shutdown) releases nothing.
class Reservation {
 public:
  Reservation(std::weak_ptr<std::set<PublicationKey>> keys, PublicationKey key)
      : keys_(std::move(keys)), key_(std::move(key)) {}
  Reservation(Reservation&& other) noexcept = default;
  Reservation& operator=(Reservation&& other) noexcept {
    if (this != &other) {
      release();
      keys_ = std::move(other.keys_);
      key_ = std::move(other.key_);
      other.keys_.reset();
    }
    return *this;
  }
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  ~Reservation() { release(); }

  [[nodiscard]] const PublicationKey& key() const noexcept { return key_; }

 private:
  void release() noexcept {
    if (auto keys = keys_.lock()) keys->erase(key_);
    keys_.reset();
  }
  std::weak_ptr<std::set<PublicationKey>> keys_;
  PublicationKey key_;
};

class Reservations {
 public:
  // nullopt when the key is already reserved.
  [[nodiscard]] std::optional<Reservation> reserve(const PublicationKey& key) {
    if (!keys_->insert(key).second) return std::nullopt;
    return Reservation(keys_, key);
  }
  [[nodiscard]] bool reserved(const PublicationKey& key) const { return keys_->contains(key); }
  [[nodiscard]] std::size_t size() const noexcept { return keys_->size(); }

 private:
  std::shared_ptr<std::set<PublicationKey>> keys_ = std::make_shared<std::set<PublicationKey>>();
};

}  // namespace peerdist::service
