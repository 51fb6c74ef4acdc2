// The encoders write the skeletons of spec digest §2.3/§2.4 piece by piece; the element order is
// the spec's (and Windows'), and iPXE depends on the literal tags (see encode.hpp).
#include "peerdist/wire/pccrd/encode.hpp"

#include <stdexcept>

#include "peerdist/util/byte_writer.hpp"
#include "peerdist/util/checked.hpp"
#include "peerdist/wire/pccrd/base64.hpp"
#include "peerdist/wire/pccrd/constants.hpp"
#include "peerdist/wire/pccrd/message_id.hpp"
#include "peerdist/wire/pccrd/xaddr.hpp"

namespace peerdist::wire::pccrd {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("PCCRD encode: ") + what);
}

void require_uri(std::string_view uri, const char* what) {
  require(valid_uri_value(uri), what);
}

void require_segment_id(const crypto::Digest& id) {
  require(!id.empty() && id.size() <= kMaxSegmentIdSize, "a segment ID has 1..64 bytes");
}

// Text content and attribute values: our values are printable ASCII, so only the markup
// characters need escaping ('&' may appear in a URI).
void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
}

void append_upper_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  for (std::uint8_t b : bytes) {
    out.push_back(kUpperHex[b >> 4U]);
    out.push_back(kUpperHex[b & 0x0FU]);
  }
}

void append_hex32(std::string& out, std::uint32_t v) {
  for (int shift = 28; shift >= 0; shift -= 4) {
    out.push_back(kUpperHex[(v >> static_cast<unsigned>(shift)) & 0x0FU]);
  }
}

// "<?xml ...?><soap:Envelope xmlns:...><soap:Header><wsa:To>to</wsa:To><wsa:Action>action
// </wsa:Action><wsa:MessageID>id</wsa:MessageID>"
void open_envelope(std::string& out, std::string_view to, std::string_view action,
                   std::string_view message_id) {
  out += R"(<?xml version="1.0" encoding="utf-8"?>)";
  out += "<soap:Envelope xmlns:soap=\"";
  out += kSoapNamespace;
  out += "\" xmlns:wsa=\"";
  out += kWsaNamespace;
  out += "\" xmlns:wsd=\"";
  out += kWsdNamespace;
  out += "\" xmlns:PeerDist=\"";
  out += kPeerDistNamespace;
  out += "\"><soap:Header><wsa:To>";
  out += to;
  out += "</wsa:To><wsa:Action>";
  out += action;
  out += "</wsa:Action><wsa:MessageID>";
  append_escaped(out, message_id);
  out += "</wsa:MessageID>";
}

void append_types(std::string& out, Version version) {
  out += "<wsd:Types>PeerDist:";
  out += version == Version::v1 ? kV1TypeName : kV2TypeName;
  out += "</wsd:Types>";
}

void check_xaddrs(const std::vector<std::string>& xaddrs) {
  require(!xaddrs.empty(), "a ProbeMatch needs at least one XAddrs entry");
  for (const std::string& xaddr : xaddrs) {
    const auto normal = normalize_xaddr(xaddr);
    require(normal.has_value() && *normal == xaddr, "XAddrs entries are host:port (xaddr.hpp)");
  }
}

}  // namespace

std::vector<std::uint8_t> v2_scope_record(const std::vector<crypto::Digest>& ids) {
  require(!ids.empty(), "a probe needs at least one segment ID");
  require(ids.size() <= kMaxV2SegmentsPerProbe, "a v2 probe carries at most 255 segment IDs");
  const std::size_t size = ids.front().size();
  util::ByteWriter out(3 + size * ids.size());
  out.u16be(static_cast<std::uint16_t>(size));
  out.u8(static_cast<std::uint8_t>(ids.size()));
  for (const crypto::Digest& id : ids) {
    require_segment_id(id);
    require(id.size() == size, "the segment IDs of a v2 probe have one size (SegmentHashSize)");
    out.bytes(id.bytes());
  }
  return std::move(out).take();
}

std::vector<std::uint8_t> pack_presence(const std::vector<SegmentPresence>& segments) {
  std::vector<std::uint8_t> out(util::ceil_div<std::size_t>(segments.size(), 4), 0);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const unsigned bits = (segments[i].has_some ? 2U : 0U) | (segments[i].has_all ? 1U : 0U);
    const unsigned shift = 6U - 2U * static_cast<unsigned>(i % 4);
    out[i / 4] = static_cast<std::uint8_t>(out[i / 4] | (bits << shift));
  }
  return out;
}

std::string encode_probe(const Probe& probe) {
  require_uri(probe.message_id, "Probe message_id must be a URI (valid_uri_value)");
  require(!probe.segment_ids.empty(), "a probe needs at least one segment ID");
  std::string scopes;
  if (probe.version == Version::v1) {
    for (const crypto::Digest& id : probe.segment_ids) {
      require_segment_id(id);
      if (!scopes.empty()) scopes.push_back(' ');
      append_upper_hex(scopes, id.bytes());
    }
  } else {
    scopes = base64_encode(v2_scope_record(probe.segment_ids));
  }

  std::string out;
  out.reserve(700 + scopes.size());
  open_envelope(out, kProbeTo, kProbeAction, probe.message_id);
  out += "</soap:Header><soap:Body><wsd:Probe>";
  append_types(out, probe.version);
  out += "<wsd:Scopes MatchBy=\"";
  out += probe.version == Version::v1 ? kV1MatchBy : kV2MatchBy;
  out += "\">";
  out += scopes;
  out += "</wsd:Scopes></wsd:Probe></soap:Body></soap:Envelope>";
  return out;
}

std::string encode_probe_match(const ProbeMatch& match) {
  require_uri(match.message_id, "ProbeMatch message_id must be a URI (valid_uri_value)");
  require_uri(match.relates_to, "ProbeMatch relates_to must be a URI (valid_uri_value)");
  require_uri(match.endpoint_address, "ProbeMatch endpoint_address must be a URI");
  check_xaddrs(match.xaddrs);

  // The version-specific pieces first, so that nothing is written for a value that throws.
  std::string scopes;
  std::string peerdist_data;
  const Version version = match.version();
  if (const auto* v1 = std::get_if<ProbeMatchV1>(&match.held)) {
    require(!v1->segments.empty(), "a v1 ProbeMatch lists at least one segment");
    std::string counts;
    for (const BlockCount& segment : v1->segments) {
      require_segment_id(segment.segment_id);
      if (!scopes.empty()) scopes.push_back(' ');
      append_upper_hex(scopes, segment.segment_id.bytes());
      append_hex32(counts, segment.block_count);
    }
    peerdist_data = "<PeerDist:PeerDistData><PeerDist:BlockCount>" + counts +
                    "</PeerDist:BlockCount></PeerDist:PeerDistData>";
  } else {
    const auto& v2 = std::get<ProbeMatchV2>(match.held);
    require(!v2.segments.empty(), "a v2 ProbeMatch has a bit pair per probed segment");
    scopes = base64_encode(pack_presence(v2.segments));
    if (v2.ages) {
      peerdist_data = "<PeerDist:PeerDistData><PeerDist:SegmentAges>" +
                      base64_encode(encode_segment_ages(*v2.ages)) +
                      "</PeerDist:SegmentAges></PeerDist:PeerDistData>";
    }
  }

  std::string out;
  out.reserve(1000 + scopes.size() + peerdist_data.size());
  open_envelope(out, kProbeMatchTo, kProbeMatchesAction, match.message_id);
  out += "<wsa:RelatesTo>";
  append_escaped(out, match.relates_to);
  out += "</wsa:RelatesTo><wsd:AppSequence InstanceId=\"";
  out += std::to_string(match.app_sequence.instance_id);
  out += "\" MessageNumber=\"";
  out += std::to_string(match.app_sequence.message_number);
  out += "\"/></soap:Header><soap:Body><wsd:ProbeMatches><wsd:ProbeMatch>";
  out += "<wsa:EndpointReference><wsa:Address>";
  append_escaped(out, match.endpoint_address);
  out += "</wsa:Address></wsa:EndpointReference>";
  append_types(out, version);
  out += "<wsd:Scopes>";
  out += scopes;
  out += "</wsd:Scopes><wsd:XAddrs>";
  for (std::size_t i = 0; i < match.xaddrs.size(); ++i) {
    if (i != 0) out.push_back(' ');
    append_escaped(out, match.xaddrs[i]);
  }
  out += "</wsd:XAddrs><wsd:MetadataVersion>";
  out += std::to_string(version == Version::v1 ? kV1MetadataVersion : kV2MetadataVersion);
  out += "</wsd:MetadataVersion>";
  out += peerdist_data;
  out += "</wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>";
  return out;
}

}  // namespace peerdist::wire::pccrd
