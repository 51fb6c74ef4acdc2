#include "pccrtp_headers_target.hpp"

#include <string_view>

#include "peerdist/wire/pccrtp/accept_encoding.hpp"
#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/decision.hpp"
#include "peerdist/wire/pccrtp/items.hpp"
#include "peerdist/wire/pccrtp/peerdist_ex_header.hpp"
#include "peerdist/wire/pccrtp/peerdist_header.hpp"

namespace {

namespace pccrtp = peerdist::wire::pccrtp;
using peerdist::util::DecodeError;

std::optional<std::string> check_error(const DecodeError& error, std::size_t size,
                                       const char* parser) {
  if (error.field.empty()) return std::string(parser) + ": error names no field";
  if (error.offset > size) return std::string(parser) + ": error offset past the input";
  if (error.reason.empty()) return std::string(parser) + ": error gives no reason";
  return std::nullopt;
}

std::optional<std::string> check_items(std::string_view text) {
  const auto items = pccrtp::parse_items(text);
  if (!items) return check_error(items.error(), text.size(), "parse_items");
  for (const auto& item : *items) {
    if (item.name.empty()) return "parse_items: empty name";
    const auto* begin = text.data();
    const auto* end = text.data() + text.size();
    if (item.name.data() < begin || item.name.data() + item.name.size() > end ||
        item.value.data() < begin || item.value.data() + item.value.size() > end) {
      return "parse_items: an item points outside the input";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_peerdist(std::string_view text) {
  const auto header = pccrtp::parse_peerdist_header(text);
  if (!header) return check_error(header.error(), text.size(), "parse_peerdist_header");
  const auto again = pccrtp::parse_peerdist_header(pccrtp::format_peerdist_header(*header));
  if (!again) return "a re-formatted X-P2P-PeerDist does not parse: " + again.error().message();
  if (!(*again == *header)) return "a re-formatted X-P2P-PeerDist parses differently";
  return std::nullopt;
}

std::optional<std::string> check_peerdist_ex(std::string_view text) {
  const auto header = pccrtp::parse_peerdist_ex_header(text);
  if (!header) return check_error(header.error(), text.size(), "parse_peerdist_ex_header");
  const auto again = pccrtp::parse_peerdist_ex_header(pccrtp::format_peerdist_ex_header(*header));
  if (!again) return "a re-formatted X-P2P-PeerDistEx does not parse: " + again.error().message();
  if (!(*again == *header)) return "a re-formatted X-P2P-PeerDistEx parses differently";
  return std::nullopt;
}

std::optional<std::string> check_decision(std::string_view text) {
  const pccrtp::ResourceFacts ready{pccrtp::kMinimumPeerDistSize, true, true};
  pccrtp::RequestFacts as_peerdist;
  as_peerdist.accept_encoding = "peerdist";
  as_peerdist.peerdist = text;
  pccrtp::RequestFacts as_ex;
  as_ex.accept_encoding = "peerdist";
  as_ex.peerdist = "Version=1.1";
  as_ex.peerdist_ex = text;
  pccrtp::RequestFacts as_accept;
  as_accept.accept_encoding = text;
  as_accept.peerdist = "Version=1.0";
  for (const auto* request : {&as_peerdist, &as_ex, &as_accept}) {
    const auto decision = pccrtp::decide(*request, ready);
    if (decision.outcome == pccrtp::Outcome::kPeerDist) {
      const auto& n = decision.negotiation;
      if (!n) return "a peerdist decision without a negotiation";
      if (n->response_version != pccrtp::kPeerDistVersion10 &&
          n->response_version != pccrtp::kPeerDistVersion11) {
        return "a peerdist decision answers with an unsupported version";
      }
      if (n->content_information != pccrtp::kContentInformationV1 &&
          n->content_information != pccrtp::kContentInformationV2) {
        return "a peerdist decision picks an unknown CI version";
      }
      if (request == &as_accept && !pccrtp::accepts_peerdist(text)) {
        return "peerdist chosen although Accept-Encoding refuses it";
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> peerdist_fuzz_pccrtp_headers(const std::uint8_t* data,
                                                        std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto failure = check_items(text)) return failure;
  if (auto failure = check_peerdist(text)) return failure;
  if (auto failure = check_peerdist_ex(text)) return failure;
  return check_decision(text);
}
