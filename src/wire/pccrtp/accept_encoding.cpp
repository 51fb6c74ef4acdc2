#include "peerdist/wire/pccrtp/accept_encoding.hpp"

#include <algorithm>

#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/items.hpp"

namespace peerdist::wire::pccrtp {
namespace {

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 9110 qvalue: "0", "0.", "0.000" are zero; anything else that parses is above zero. A
// q-value we cannot read is treated as acceptance (tolerant: the token was listed).
bool q_is_zero(std::string_view q) noexcept {
  if (q.empty() || q.front() != '0') return false;
  q.remove_prefix(1);
  if (q.empty()) return true;
  if (q.front() != '.') return false;
  q.remove_prefix(1);
  return std::ranges::all_of(q, [](char c) { return c == '0'; });
}

}  // namespace

bool accepts_peerdist(std::string_view accept_encoding) noexcept {
  std::size_t pos = 0;
  while (pos <= accept_encoding.size()) {
    const std::size_t end = std::min(accept_encoding.find(',', pos), accept_encoding.size());
    std::string_view element = accept_encoding.substr(pos, end - pos);
    std::string_view params;
    if (const auto semi = element.find(';'); semi != std::string_view::npos) {
      params = element.substr(semi + 1);
      element = element.substr(0, semi);
    }
    if (iequals(trim(element), kPeerDistCoding)) {
      bool refused = false;
      // Parameters: ";q=0.5", maybe several, maybe with spaces around '='.
      while (!params.empty()) {
        const auto next = params.find(';');
        std::string_view param = trim(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
        const auto eq = param.find('=');
        if (eq == std::string_view::npos) continue;
        if (iequals(trim(param.substr(0, eq)), "q") && q_is_zero(trim(param.substr(eq + 1)))) {
          refused = true;
        }
      }
      if (!refused) return true;
    }
    if (end == accept_encoding.size()) break;
    pos = end + 1;
  }
  return false;
}

}  // namespace peerdist::wire::pccrtp
