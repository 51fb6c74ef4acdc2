// The decoders walk the envelope of spec digest §2.3/§2.4 by expanded names (xml_reader.hpp);
// the rules they enforce are listed in decode.hpp.
#include "peerdist/wire/pccrd/decode.hpp"

#include <optional>
#include <string>

#include "peerdist/util/hex.hpp"
#include "peerdist/wire/pccrd/base64.hpp"
#include "peerdist/wire/pccrd/constants.hpp"
#include "peerdist/wire/pccrd/message_id.hpp"
#include "peerdist/wire/pccrd/xaddr.hpp"

#include "xml_reader.hpp"

namespace peerdist::wire::pccrd {
namespace {

using detail::error_at;
using detail::Result;
using util::DecodeError;

constexpr std::size_t kV2ScopeHeaderSize = 3;  // SegmentHashSize u16 BE, SegmentHashCount u8

struct Envelope {
  pugi::xml_node header;
  pugi::xml_node body;
  pugi::xml_node action;  // wsa:Action
  std::string action_text;
};

Result<Envelope> read_envelope(pugi::xml_node root) {
  if (!detail::has_name(root, kSoapNamespace, "Envelope")) {
    auto name = detail::name_of(root);
    if (!name) return Unexpected(name.error());
    return Unexpected(
        error_at(root, "soap:Envelope",
                 detail::cat("the root element is not a SOAP 1.2 Envelope (", root.name(), ")")));
  }
  Envelope e;
  auto header = detail::required_child(root, kSoapNamespace, "Header", "soap:Header");
  if (!header) return Unexpected(header.error());
  auto body = detail::required_child(root, kSoapNamespace, "Body", "soap:Body");
  if (!body) return Unexpected(body.error());
  auto action = detail::required_child(*header, kWsaNamespace, "Action", "wsa:Action");
  if (!action) return Unexpected(action.error());
  auto text = detail::text_of(*action, "wsa:Action");
  if (!text) return Unexpected(text.error());
  e.header = *header;
  e.body = *body;
  e.action = *action;
  e.action_text = detail::trim(*text);
  return e;
}

// A URI-valued header or element (MessageID, RelatesTo, Address), required.
Result<std::string> read_uri(pugi::xml_node parent, std::string_view uri, std::string_view local,
                             std::string_view field) {
  auto node = detail::required_child(parent, uri, local, field);
  if (!node) return Unexpected(node.error());
  auto text = detail::text_of(*node, field);
  if (!text) return Unexpected(text.error());
  const std::string_view value = detail::trim(*text);
  if (!valid_uri_value(value)) {
    return Unexpected(error_at(*node, field,
                               "must be 1.." + std::to_string(kMaxUriLength) +
                                   " printable ASCII characters without spaces"));
  }
  return std::string(value);
}

// The PeerDist versions named by a wsd:Types list, and whether it names anything else.
struct TypesSeen {
  bool v1 = false;
  bool v2 = false;
  bool other = false;
};

Result<TypesSeen> read_types(pugi::xml_node types) {
  TypesSeen seen;
  auto text = detail::text_of(types, "wsd:Types");
  if (!text) return Unexpected(text.error());
  for (std::string_view token : detail::split_list(*text)) {
    auto name = detail::resolve_qname(types, token, "wsd:Types");
    if (!name) return Unexpected(name.error());
    if (name->uri == kPeerDistNamespace && name->local == kV1TypeName) {
      seen.v1 = true;
    } else if (name->uri == kPeerDistNamespace && name->local == kV2TypeName) {
      seen.v2 = true;
    } else {
      seen.other = true;
    }
  }
  return seen;
}

Result<std::string> read_scopes_text(pugi::xml_node scopes) {
  auto text = detail::text_of(scopes, "wsd:Scopes");
  if (!text) return Unexpected(text.error());
  if (detail::trim(*text).empty()) return Unexpected(error_at(scopes, "wsd:Scopes", "empty"));
  return text;
}

// v1 Scopes: hex segment IDs (either case, A14).
Result<std::vector<crypto::Digest>> read_hex_ids(pugi::xml_node scopes, std::string_view text) {
  std::vector<crypto::Digest> ids;
  std::size_t index = 0;
  for (std::string_view token : detail::split_list(text)) {
    const std::string which = "scope " + std::to_string(index++) + ": ";
    if (token.size() % 2 != 0) {
      return Unexpected(error_at(scopes, "wsd:Scopes", which + "odd number of hex digits"));
    }
    const auto bytes = util::from_hex(token);
    if (!bytes) return Unexpected(error_at(scopes, "wsd:Scopes", which + "not hex"));
    if (bytes->empty() || bytes->size() > kMaxSegmentIdSize) {
      return Unexpected(
          error_at(scopes, "wsd:Scopes",
                   which + "a segment ID has 1..64 bytes, got " + std::to_string(bytes->size())));
    }
    ids.emplace_back(*bytes);
  }
  return ids;
}

// One base64 token (the v2 Scopes, SegmentAges).
Result<std::vector<std::uint8_t>> read_base64(pugi::xml_node node, std::string_view text,
                                              std::string_view field) {
  const auto tokens = detail::split_list(text);
  if (tokens.size() != 1) {
    return Unexpected(error_at(
        node, field, "must be one base64 value, got " + std::to_string(tokens.size()) + " items"));
  }
  auto bytes = base64_decode(tokens.front());
  if (!bytes) return Unexpected(error_at(node, field, "not base64"));
  return std::move(*bytes);
}

// v2 Probe Scopes: base64 of SegmentHashSize u16 BE | SegmentHashCount u8 | the IDs.
Result<std::vector<crypto::Digest>> read_v2_ids(pugi::xml_node scopes, std::string_view text) {
  auto record = read_base64(scopes, text, "wsd:Scopes");
  if (!record) return Unexpected(record.error());
  const auto& r = *record;
  if (r.size() < kV2ScopeHeaderSize) {
    return Unexpected(error_at(
        scopes, "wsd:Scopes",
        "the v2 scope record has a 3-byte header, got " + std::to_string(r.size()) + " bytes"));
  }
  const std::size_t size = (std::size_t{r[0]} << 8U) | r[1];
  const std::size_t count = r[2];
  if (size == 0 || size > kMaxSegmentIdSize) {
    return Unexpected(error_at(scopes, "wsd:Scopes",
                               "SegmentHashSize must be 1..64, got " + std::to_string(size)));
  }
  if (count == 0) {
    return Unexpected(error_at(scopes, "wsd:Scopes", "SegmentHashCount must be at least 1"));
  }
  if (r.size() != kV2ScopeHeaderSize + size * count) {
    return Unexpected(error_at(scopes, "wsd:Scopes",
                               std::to_string(count) + " IDs of " + std::to_string(size) +
                                   " bytes need " +
                                   std::to_string(kV2ScopeHeaderSize + size * count) +
                                   " bytes, got " + std::to_string(r.size())));
  }
  std::vector<crypto::Digest> ids;
  ids.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    ids.emplace_back(std::span(r).subspan(kV2ScopeHeaderSize + i * size, size));
  }
  return ids;
}

Result<std::uint32_t> read_unsigned_attribute(pugi::xml_node node, const char* name,
                                              std::string_view field) {
  const pugi::xml_attribute attribute = node.attribute(name);
  if (!attribute) return Unexpected(error_at(node, field, "missing"));
  const std::string_view text = detail::trim(attribute.value());
  std::uint64_t value = 0;
  if (text.empty()) return Unexpected(error_at(node, field, "empty"));
  for (char c : text) {
    if (c < '0' || c > '9') return Unexpected(error_at(node, field, "not an unsigned integer"));
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > 0xFFFFFFFFULL) {
      return Unexpected(error_at(node, field, "more than an xs:unsignedInt holds"));
    }
  }
  return static_cast<std::uint32_t>(value);
}

Result<std::vector<std::string>> read_xaddrs(pugi::xml_node match) {
  auto node = detail::required_child(match, kWsdNamespace, "XAddrs", "wsd:XAddrs");
  if (!node) return Unexpected(node.error());
  auto text = detail::text_of(*node, "wsd:XAddrs");
  if (!text) return Unexpected(text.error());
  std::vector<std::string> xaddrs;
  for (std::string_view entry : detail::split_list(*text)) {
    auto normal = normalize_xaddr(entry);
    if (!normal) {
      return Unexpected(error_at(*node, "wsd:XAddrs",
                                 detail::cat("'", entry.substr(0, 80), "' is not host:port")));
    }
    xaddrs.push_back(std::move(*normal));
  }
  if (xaddrs.empty()) return Unexpected(error_at(*node, "wsd:XAddrs", "empty"));
  return xaddrs;
}

// v1 BlockCount: one big-endian hex count per scope; width = length / scopes, 4 or 8 (A15).
Result<ProbeMatchV1> read_v1_held(pugi::xml_node match, std::vector<crypto::Digest> ids) {
  auto data = detail::required_child(match, kPeerDistNamespace, kPeerDistDataElement,
                                     "PeerDist:PeerDistData");
  if (!data) return Unexpected(data.error());
  auto node =
      detail::required_child(*data, kPeerDistNamespace, kBlockCountElement, "PeerDist:BlockCount");
  if (!node) return Unexpected(node.error());
  auto text = detail::text_of(*node, "PeerDist:BlockCount");
  if (!text) return Unexpected(text.error());
  const std::string_view hex = detail::trim(*text);
  const std::size_t width = hex.size() / ids.size();
  if (hex.size() % ids.size() != 0 || (width != 4 && width != 8)) {
    return Unexpected(error_at(*node, "PeerDist:BlockCount",
                               std::to_string(hex.size()) + " hex digits for " +
                                   std::to_string(ids.size()) +
                                   " scopes: must be 4 or 8 per scope"));
  }
  ProbeMatchV1 held;
  held.segments.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto bytes = util::from_hex(hex.substr(i * width, width));
    if (!bytes) return Unexpected(error_at(*node, "PeerDist:BlockCount", "not hex"));
    std::uint32_t count = 0;
    for (std::uint8_t b : *bytes) count = (count << 8U) | b;
    held.segments.push_back(BlockCount{ids[i], count});
  }
  return held;
}

// v2: presence bits (A17: MSB first) and the optional segment ages, in either wrapper (A16).
Result<ProbeMatchV2> read_v2_held(pugi::xml_node match, pugi::xml_node scopes,
                                  std::string_view text) {
  auto bits = read_base64(scopes, text, "wsd:Scopes");
  if (!bits) return Unexpected(bits.error());
  if (bits->empty()) return Unexpected(error_at(scopes, "wsd:Scopes", "no presence bits"));
  ProbeMatchV2 held;
  held.segments.reserve(bits->size() * 4);
  for (const unsigned byte : *bits) {
    for (unsigned shift = 8; shift != 0; shift -= 2) {
      held.segments.push_back(
          SegmentPresence{((byte >> (shift - 1)) & 1U) != 0, ((byte >> (shift - 2)) & 1U) != 0});
    }
  }

  auto current = detail::children_named(match, kPeerDistNamespace, kPeerDistDataElement);
  if (!current) return Unexpected(current.error());
  auto draft = detail::children_named(match, kPeerDistNamespace, kPeerDistDataV2Element);
  if (!draft) return Unexpected(draft.error());
  if (current->size() + draft->size() > 1) {
    return Unexpected(error_at(match, "PeerDist:PeerDistData", "appears more than once"));
  }
  if (current->empty() && draft->empty()) return held;
  const pugi::xml_node data = current->empty() ? draft->front() : current->front();
  // The 2012 draft shows SegmentAges without a prefix: take it in the PeerDist namespace or none.
  auto qualified = detail::children_named(data, kPeerDistNamespace, kSegmentAgesElement);
  if (!qualified) return Unexpected(qualified.error());
  auto unqualified = detail::children_named(data, "", kSegmentAgesElement);
  if (!unqualified) return Unexpected(unqualified.error());
  if (qualified->size() + unqualified->size() > 1) {
    return Unexpected(error_at(data, "PeerDist:SegmentAges", "appears more than once"));
  }
  if (qualified->empty() && unqualified->empty()) return held;
  const pugi::xml_node ages = qualified->empty() ? unqualified->front() : qualified->front();
  auto ages_text = detail::text_of(ages, "PeerDist:SegmentAges");
  if (!ages_text) return Unexpected(ages_text.error());
  if (detail::trim(*ages_text).empty()) return held;  // an empty blob: nothing to ignore
  auto blob = read_base64(ages, *ages_text, "PeerDist:SegmentAges");
  if (!blob) return Unexpected(blob.error());
  // A blob of another version or size is discarded, the message kept (spec §1.7).
  if (auto decoded = decode_segment_ages(*blob)) held.ages = std::move(*decoded);
  return held;
}

bool is_discovery_action(std::string_view action) {
  const auto under = [&](std::string_view ns) {
    return action.size() > ns.size() + 1 && action.starts_with(ns) && action[ns.size()] == '/';
  };
  return under(kWsdNamespace) || under(kWsd11Namespace);
}

}  // namespace

Expected<DecodedProbe, DecodeError> decode_probe(std::span<const std::uint8_t> datagram) {
  pugi::xml_document doc;
  auto root = detail::load(doc, datagram);
  if (!root) return Unexpected(root.error());
  auto envelope = read_envelope(*root);
  if (!envelope) return Unexpected(envelope.error());
  if (envelope->action_text != kProbeAction) {
    if (is_discovery_action(envelope->action_text)) {
      return DecodedProbe{NotForUs{NotForUs::Reason::other_action}};
    }
    return Unexpected(
        error_at(envelope->action, "wsa:Action",
                 "not a WS-Discovery action: '" + envelope->action_text.substr(0, 120) + "'"));
  }
  auto probe_node = detail::required_child(envelope->body, kWsdNamespace, "Probe", "wsd:Probe");
  if (!probe_node) return Unexpected(probe_node.error());

  // Types decide whether the probe is ours at all: none (a probe for every service) or other
  // types are another WS-Discovery user's business. Decided before the rest is checked, so
  // that a sloppy probe for a printer is not counted as a malformed PeerDist probe.
  auto types_node = detail::optional_child(*probe_node, kWsdNamespace, "Types", "wsd:Types");
  if (!types_node) return Unexpected(types_node.error());
  if (!*types_node) return DecodedProbe{NotForUs{NotForUs::Reason::other_types}};
  auto types = read_types(*types_node);
  if (!types) return Unexpected(types.error());
  if (types->other || (!types->v1 && !types->v2)) {
    return DecodedProbe{NotForUs{NotForUs::Reason::other_types}};
  }
  if (types->v1 && types->v2) {
    return Unexpected(error_at(*types_node, "wsd:Types",
                               "names both PeerDistData and PeerDistDataV2: the Scopes can only "
                               "be one version's"));
  }
  auto message_id = read_uri(envelope->header, kWsaNamespace, "MessageID", "wsa:MessageID");
  if (!message_id) return Unexpected(message_id.error());
  Probe probe;
  probe.message_id = std::move(*message_id);
  probe.version = types->v1 ? Version::v1 : Version::v2;

  auto scopes = detail::required_child(*probe_node, kWsdNamespace, "Scopes", "wsd:Scopes");
  if (!scopes) return Unexpected(scopes.error());
  if (const pugi::xml_attribute match_by = scopes->attribute("MatchBy")) {
    const std::string_view expected = probe.version == Version::v1 ? kV1MatchBy : kV2MatchBy;
    if (detail::trim(match_by.value()) != expected) {
      return Unexpected(error_at(*scopes, "wsd:Scopes@MatchBy",
                                 detail::cat("must be ", expected, " for this version")));
    }
  }
  auto text = read_scopes_text(*scopes);
  if (!text) return Unexpected(text.error());
  auto ids =
      probe.version == Version::v1 ? read_hex_ids(*scopes, *text) : read_v2_ids(*scopes, *text);
  if (!ids) return Unexpected(ids.error());
  probe.segment_ids = std::move(*ids);
  return DecodedProbe{std::move(probe)};
}

Expected<ProbeMatch, DecodeError> decode_probe_match(std::span<const std::uint8_t> datagram) {
  pugi::xml_document doc;
  auto root = detail::load(doc, datagram);
  if (!root) return Unexpected(root.error());
  auto envelope = read_envelope(*root);
  if (!envelope) return Unexpected(envelope.error());
  if (envelope->action_text != kProbeMatchesAction) {
    return Unexpected(
        error_at(envelope->action, "wsa:Action", detail::cat("must be ", kProbeMatchesAction)));
  }
  ProbeMatch match;
  auto message_id = read_uri(envelope->header, kWsaNamespace, "MessageID", "wsa:MessageID");
  if (!message_id) return Unexpected(message_id.error());
  match.message_id = std::move(*message_id);
  auto relates_to = read_uri(envelope->header, kWsaNamespace, "RelatesTo", "wsa:RelatesTo");
  if (!relates_to) return Unexpected(relates_to.error());
  match.relates_to = std::move(*relates_to);
  auto sequence =
      detail::required_child(envelope->header, kWsdNamespace, "AppSequence", "wsd:AppSequence");
  if (!sequence) return Unexpected(sequence.error());
  auto instance = read_unsigned_attribute(*sequence, "InstanceId", "wsd:AppSequence@InstanceId");
  if (!instance) return Unexpected(instance.error());
  auto number =
      read_unsigned_attribute(*sequence, "MessageNumber", "wsd:AppSequence@MessageNumber");
  if (!number) return Unexpected(number.error());
  match.app_sequence = AppSequence{*instance, *number};

  auto matches =
      detail::required_child(envelope->body, kWsdNamespace, "ProbeMatches", "wsd:ProbeMatches");
  if (!matches) return Unexpected(matches.error());
  // A PeerDist peer answers with exactly one match (WS-Discovery allows zero or several, which no
  // PeerDist peer sends).
  auto match_node = detail::required_child(*matches, kWsdNamespace, "ProbeMatch", "wsd:ProbeMatch");
  if (!match_node) return Unexpected(match_node.error());

  auto reference = detail::required_child(*match_node, kWsaNamespace, "EndpointReference",
                                          "wsa:EndpointReference");
  if (!reference) return Unexpected(reference.error());
  auto address = read_uri(*reference, kWsaNamespace, "Address", "wsa:Address");
  if (!address) return Unexpected(address.error());
  match.endpoint_address = std::move(*address);

  auto types_node = detail::required_child(*match_node, kWsdNamespace, "Types", "wsd:Types");
  if (!types_node) return Unexpected(types_node.error());
  auto types = read_types(*types_node);
  if (!types) return Unexpected(types.error());
  if (types->other || types->v1 == types->v2) {
    return Unexpected(error_at(*types_node, "wsd:Types",
                               "must be PeerDist:PeerDistData or PeerDist:PeerDistDataV2"));
  }

  auto scopes = detail::required_child(*match_node, kWsdNamespace, "Scopes", "wsd:Scopes");
  if (!scopes) return Unexpected(scopes.error());
  auto text = read_scopes_text(*scopes);
  if (!text) return Unexpected(text.error());
  auto xaddrs = read_xaddrs(*match_node);
  if (!xaddrs) return Unexpected(xaddrs.error());
  match.xaddrs = std::move(*xaddrs);

  if (types->v1) {
    auto ids = read_hex_ids(*scopes, *text);
    if (!ids) return Unexpected(ids.error());
    auto held = read_v1_held(*match_node, std::move(*ids));
    if (!held) return Unexpected(held.error());
    match.held = std::move(*held);
  } else {
    auto held = read_v2_held(*match_node, *scopes, *text);
    if (!held) return Unexpected(held.error());
    match.held = std::move(*held);
  }
  return match;
}

}  // namespace peerdist::wire::pccrd
