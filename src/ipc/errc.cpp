#include "peerdist/ipc/errc.hpp"

#include <string>

namespace peerdist::ipc {
namespace {

class Category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "ipc"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::not_sealed: return "shared buffer is not sealed against shrinking and growing";
      case Errc::size_mismatch: return "shared buffer size differs from the announced size";
      case Errc::out_of_range: return "range is outside the shared buffer";
      case Errc::read_only: return "shared buffer is mapped read-only";
      case Errc::bad_size: return "shared buffer size is zero or too large";
    }
    return "unknown ipc error";
  }
};

}  // namespace

const std::error_category& ipc_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace peerdist::ipc
