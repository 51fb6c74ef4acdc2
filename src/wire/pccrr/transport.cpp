#include "peerdist/wire/pccrr/transport.hpp"

#include <cctype>

namespace peerdist::wire::pccrr {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_retrieval_path(std::string_view target) noexcept {
  // The GUID between the slashes of kRetrievalPath.
  constexpr std::string_view guid = kRetrievalPath.substr(1, kRetrievalPath.size() - 2);
  if (!target.starts_with('/')) return false;
  target.remove_prefix(1);
  if (target.ends_with('/')) target.remove_suffix(1);
  // The 2012 text's "{GUID}" form.
  if (target.size() == guid.size() + 2 && target.front() == '{' && target.back() == '}') {
    target = target.substr(1, guid.size());
  }
  return equal_ignoring_case(target, guid);
}

}  // namespace peerdist::wire::pccrr
