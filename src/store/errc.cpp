#include "peerdist/store/errc.hpp"

#include <string>

namespace peerdist::store {
namespace {

class Category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "peerdist.store"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<StoreErrc>(value)) {
      case StoreErrc::already_exists: return "publication already exists";
      case StoreErrc::invalid_argument: return "invalid argument";
      case StoreErrc::cannot_open: return "catalog cannot be opened";
      case StoreErrc::corrupt: return "catalog is corrupt";
      case StoreErrc::not_a_catalog: return "file is not a peerdist catalog";
      case StoreErrc::newer_schema: return "catalog was written by a newer peerdist";
      case StoreErrc::busy: return "catalog is locked by another connection";
      case StoreErrc::disk_full: return "disk full";
      case StoreErrc::io_error: return "I/O error on the catalog";
      case StoreErrc::closed: return "catalog is closed";
      case StoreErrc::database_error: return "database error";
    }
    return "unknown store error";
  }
};

}  // namespace

const std::error_category& store_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace peerdist::store
