// The server's choice for one request (spec digest §4): plain content, plain content plus
// "X-P2P-PeerDistEx: MakeHashRequest=true" (CI not ready yet), or a peerdist response carrying
// content information of a negotiated version. A pure function of what the request says and
// what the server knows about the resource, so every case of the digest is a unit test.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "peerdist/wire/pccrtp/version.hpp"

namespace peerdist::wire::pccrtp {

enum class Method { kGet, kHead, kOther };

struct RequestFacts {
  Method method = Method::kGet;
  bool http_1_0 = false;   // HTTP/1.0 may be answered with peerdist too (spec 3.2)
  bool has_range = false;  // any Range header: always identity coding (§5 recommendation a)
  std::optional<std::string_view> accept_encoding;  // field values, nullopt when absent
  std::optional<std::string_view> peerdist;         // X-P2P-PeerDist
  std::optional<std::string_view> peerdist_ex;      // X-P2P-PeerDistEx
};

// What a request may get if the resource allows: the CI version in the client's range and the
// PeerDist version to answer with (the client's own, 1.0 or 1.1: spec note <3>).
struct Negotiation {
  Version content_information;
  Version response_version;
  bool hash_request = false;  // the client's HashRequest=true follow-up
};

// Why a request gets the plain content (stable names: tests and the access log use them).
enum class PlainReason {
  kNotGet,
  kRange,
  kNoPeerDistCoding,
  kNoPeerDistHeader,
  kMalformedPeerDistHeader,
  kUnsupportedVersion,
  kMissingDataRequest,
  kMalformedPeerDistExHeader,
  kNoCommonContentInformationVersion,
  kTooSmall,
  kNoValidator,
};
[[nodiscard]] std::string_view to_string(PlainReason reason) noexcept;

// The request-only half: which CI version and response version, or why plain. Rules 1-4 of
// §4: GET, peerdist in Accept-Encoding, a parsing X-P2P-PeerDist with Version 1.0 or 1.1 and
// no MissingDataRequest=true, no Range; CI version: V1 without X-P2P-PeerDistEx, else the
// highest of V2, V1 within [Min, Max] (a missing Min means 1.0, a missing Max means Min).
struct NegotiationResult {
  std::optional<Negotiation> negotiation;
  PlainReason reason = PlainReason::kNotGet;  // meaningful when negotiation is empty
};
[[nodiscard]] NegotiationResult negotiate(const RequestFacts& request);

struct ResourceFacts {
  std::uint64_t size = 0;      // of the whole entity
  bool has_validator = false;  // ETag or Last-Modified on the response (spec 3.2)
  bool ci_ready = false;       // CI of the negotiated version for this exact representation
};

enum class Outcome { kPlain, kPlainMakeHashRequest, kPeerDist };

struct Decision {
  Outcome outcome = Outcome::kPlain;
  // kPeerDist: the CI to send; kPlainMakeHashRequest: the CI to build. Empty for kPlain.
  std::optional<Negotiation> negotiation;
  std::optional<PlainReason> reason;  // kPlain only
};

// The whole decision: negotiate(), then rules 5-6 and the size policy (kMinimumPeerDistSize).
[[nodiscard]] Decision decide(const RequestFacts& request, const ResourceFacts& resource);
// The same with the negotiation already done (the server negotiates first to know which CI
// version to look up).
[[nodiscard]] Decision decide(const NegotiationResult& negotiated, const ResourceFacts& resource);

}  // namespace peerdist::wire::pccrtp
