#include "peerdist/pccrc/errc.hpp"

#include <string>

namespace peerdist::pccrc {
namespace {

class Category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "pccrc"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::empty_content: return "content information cannot describe empty content";
      case Errc::range_out_of_bounds: return "range is empty or outside the content";
      case Errc::hash_not_supported: return "hash algorithm not supported for this version";
    }
    return "unknown pccrc error";
  }
};

}  // namespace

const std::error_category& pccrc_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace peerdist::pccrc
