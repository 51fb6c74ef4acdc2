#include "peerdist/wire/pccrtp/decision.hpp"

#include "peerdist/wire/pccrtp/accept_encoding.hpp"
#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/peerdist_ex_header.hpp"
#include "peerdist/wire/pccrtp/peerdist_header.hpp"

namespace peerdist::wire::pccrtp {
namespace {

NegotiationResult plain(PlainReason reason) {
  return NegotiationResult{std::nullopt, reason};
}

}  // namespace

std::string_view to_string(PlainReason reason) noexcept {
  switch (reason) {
    case PlainReason::kNotGet: return "not-get";
    case PlainReason::kRange: return "range";
    case PlainReason::kNoPeerDistCoding: return "no-peerdist-coding";
    case PlainReason::kNoPeerDistHeader: return "no-peerdist-header";
    case PlainReason::kMalformedPeerDistHeader: return "malformed-peerdist-header";
    case PlainReason::kUnsupportedVersion: return "unsupported-version";
    case PlainReason::kMissingDataRequest: return "missing-data-request";
    case PlainReason::kMalformedPeerDistExHeader: return "malformed-peerdistex-header";
    case PlainReason::kNoCommonContentInformationVersion: return "no-common-ci-version";
    case PlainReason::kTooSmall: return "too-small";
    case PlainReason::kNoValidator: return "no-validator";
  }
  return "unknown";
}

NegotiationResult negotiate(const RequestFacts& request) {
  // Windows clients use peerdist on GET only (spec note <4>); HEAD describes the plain GET.
  if (request.method != Method::kGet) return plain(PlainReason::kNotGet);
  if (request.has_range) return plain(PlainReason::kRange);
  if (!request.accept_encoding || !accepts_peerdist(*request.accept_encoding)) {
    return plain(PlainReason::kNoPeerDistCoding);
  }
  if (!request.peerdist) return plain(PlainReason::kNoPeerDistHeader);
  const auto header = parse_peerdist_header(*request.peerdist);
  if (!header || !header->version) return plain(PlainReason::kMalformedPeerDistHeader);
  if (*header->version != kPeerDistVersion10 && *header->version != kPeerDistVersion11) {
    return plain(PlainReason::kUnsupportedVersion);
  }
  // The client wants the bytes: peers did not have them (Microsoft's suite sends this together
  // with peerdist in Accept-Encoding and expects the content).
  if (header->missing_data_request.value_or(false)) return plain(PlainReason::kMissingDataRequest);

  Negotiation negotiation{kContentInformationV1, *header->version, false};
  if (request.peerdist_ex) {
    const auto ex = parse_peerdist_ex_header(*request.peerdist_ex);
    if (!ex) return plain(PlainReason::kMalformedPeerDistExHeader);
    negotiation.hash_request = ex->hash_request.value_or(false);
    if (ex->min_content_information || ex->max_content_information) {
      const Version min = ex->min_content_information.value_or(kContentInformationV1);
      const Version max = ex->max_content_information.value_or(min);
      const auto within = [&](Version v) { return min <= v && v <= max; };
      if (within(kContentInformationV2)) {
        negotiation.content_information = kContentInformationV2;
      } else if (within(kContentInformationV1)) {
        negotiation.content_information = kContentInformationV1;
      } else {
        return plain(PlainReason::kNoCommonContentInformationVersion);
      }
    }
  }
  return NegotiationResult{negotiation, PlainReason::kNotGet};
}

Decision decide(const NegotiationResult& negotiated, const ResourceFacts& resource) {
  if (!negotiated.negotiation) {
    return Decision{Outcome::kPlain, std::nullopt, negotiated.reason};
  }
  if (resource.size < kMinimumPeerDistSize) {
    return Decision{Outcome::kPlain, std::nullopt, PlainReason::kTooSmall};
  }
  if (!resource.has_validator) {
    return Decision{Outcome::kPlain, std::nullopt, PlainReason::kNoValidator};
  }
  if (!resource.ci_ready) {
    return Decision{Outcome::kPlainMakeHashRequest, negotiated.negotiation, std::nullopt};
  }
  return Decision{Outcome::kPeerDist, negotiated.negotiation, std::nullopt};
}

Decision decide(const RequestFacts& request, const ResourceFacts& resource) {
  return decide(negotiate(request), resource);
}

}  // namespace peerdist::wire::pccrtp
