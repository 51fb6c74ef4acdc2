// The encoders against the skeletons of spec digest §2.3/§2.4, byte for byte, and the literal
// tags iPXE's substring parser needs.
#include "peerdist/wire/pccrd/encode.hpp"

#include <gtest/gtest.h>

#include "peerdist/util/hex.hpp"
#include "peerdist/wire/pccrd/base64.hpp"

#include "pccrd_fixtures.hpp"

namespace peerdist::wire::pccrd {
namespace {

using test::iis_v1_id;
using test::iis_v2_ids;
using Bytes = std::vector<std::uint8_t>;

constexpr std::string_view kId = "urn:uuid:2f6e6d0a-79a2-4c4e-9d1b-0a6b3c1d2e3f";
constexpr std::string_view kEnvelopeOpen =
    R"(<?xml version="1.0" encoding="utf-8"?><soap:Envelope )"
    R"(xmlns:soap="http://www.w3.org/2003/05/soap-envelope" )"
    R"(xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" )"
    R"(xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" )"
    R"(xmlns:PeerDist="http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery">)";

std::string expected_probe(std::string_view type, std::string_view match_by,
                           std::string_view scopes) {
  return std::string(kEnvelopeOpen) +
         "<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
         "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>"
         "<wsa:MessageID>" +
         std::string(kId) +
         "</wsa:MessageID></soap:Header><soap:Body><wsd:Probe><wsd:Types>PeerDist:" +
         std::string(type) + "</wsd:Types><wsd:Scopes MatchBy=\"" + std::string(match_by) + "\">" +
         std::string(scopes) + "</wsd:Scopes></wsd:Probe></soap:Body></soap:Envelope>";
}

TEST(Encode, V1ProbeSkeleton) {
  const Probe probe{std::string(kId), Version::v1, {iis_v1_id()}};
  EXPECT_EQ(
      encode_probe(probe),
      expected_probe("PeerDistData", "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0",
                     "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9"));
}

TEST(Encode, V1ProbeScopesAreUpperCaseSpaceSeparated) {
  const auto v2 = iis_v2_ids();
  const Probe probe{std::string(kId), Version::v1, {iis_v1_id(), v2[0], v2[1]}};
  const std::string xml = encode_probe(probe);
  EXPECT_NE(xml.find(">491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9 "
                     "3371BBEADDB62353ADCEF970A06FDF65001E0421F4C7108276B0C37A9F9EC10F "
                     "D7E924425E8F4F88F01DC6A9BB1BC37BE113EC7917C745D4965C2B55FA163A6E<"),
            std::string::npos)
      << xml;
}

TEST(Encode, V2ProbeSkeletonAndScopeRecord) {
  const Probe probe{std::string(kId), Version::v2, iis_v2_ids()};
  // SegmentHashSize 0x0020, SegmentHashCount 2, then both IDs.
  const Bytes record = v2_scope_record(probe.segment_ids);
  ASSERT_EQ(record.size(), 3U + 64U);
  EXPECT_EQ(util::to_hex(std::span(record).first(3)), "002002");
  EXPECT_EQ(util::to_hex(std::span(record).subspan(3, 32)), iis_v2_ids()[0].hex());
  const std::string scopes = base64_encode(record);
  EXPECT_TRUE(scopes.starts_with("ACAC")) << scopes;  // the spec's "ACAC..."
  EXPECT_EQ(
      encode_probe(probe),
      expected_probe("PeerDistDataV2",
                     "http://schemas.microsoft.com/p2p/2010/05/PeerDistV2MatchingRule", scopes));
}

ProbeMatch v1_match(std::vector<BlockCount> segments) {
  ProbeMatch m;
  m.message_id = "urn:uuid:11111111-1111-4111-8111-111111111111";
  m.relates_to = std::string(kId);
  m.app_sequence = {1700000000, 7};
  m.endpoint_address = "urn:uuid:22222222-2222-4222-8222-222222222222";
  m.xaddrs = {"157.59.141.183:54321"};
  m.held = ProbeMatchV1{std::move(segments)};
  return m;
}

TEST(Encode, V1ProbeMatchSkeleton) {
  const std::string xml = encode_probe_match(v1_match({{iis_v1_id(), 42}}));
  EXPECT_EQ(
      xml,
      std::string(kEnvelopeOpen) +
          "<soap:Header>"
          "<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>"
          "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>"
          "<wsa:MessageID>urn:uuid:11111111-1111-4111-8111-111111111111</wsa:MessageID>"
          "<wsa:RelatesTo>" +
          std::string(kId) +
          "</wsa:RelatesTo>"
          "<wsd:AppSequence InstanceId=\"1700000000\" MessageNumber=\"7\"/>"
          "</soap:Header><soap:Body><wsd:ProbeMatches><wsd:ProbeMatch>"
          "<wsa:EndpointReference>"
          "<wsa:Address>urn:uuid:22222222-2222-4222-8222-222222222222</wsa:Address>"
          "</wsa:EndpointReference>"
          "<wsd:Types>PeerDist:PeerDistData</wsd:Types>"
          "<wsd:Scopes>491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9"
          "</wsd:Scopes>"
          "<wsd:XAddrs>157.59.141.183:54321</wsd:XAddrs>"
          "<wsd:MetadataVersion>1</wsd:MetadataVersion>"
          "<PeerDist:PeerDistData><PeerDist:BlockCount>0000002A</PeerDist:BlockCount>"
          "</PeerDist:PeerDistData>"
          "</wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>");
}

// What iPXE's reply parser does: find "<tag>" and "</tag>" literally, split on whitespace.
std::vector<std::string> ipxe_values(const std::string& xml, const std::string& tag) {
  const std::size_t open = xml.find("<" + tag + ">");
  if (open == std::string::npos) return {};
  const std::size_t start = open + tag.size() + 2;
  const std::size_t close = xml.find("</" + tag + ">", start);
  if (close == std::string::npos) return {};
  std::vector<std::string> values;
  std::string current;
  for (char c : xml.substr(start, close - start)) {
    if (c == ' ') {
      if (!current.empty()) values.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) values.push_back(current);
  return values;
}

TEST(Encode, V1ProbeMatchIsReadableByIpxe) {
  const auto v2 = iis_v2_ids();
  ProbeMatch m = v1_match({{iis_v1_id(), 2}, {v2[0], 0x19}, {v2[1], 0xABCDEF01}});
  m.xaddrs = {"192.0.2.1:80", "[2001:db8::1]:8080"};
  const std::string xml = encode_probe_match(m);
  EXPECT_EQ(xml.find('\n'), std::string::npos);
  EXPECT_EQ(ipxe_values(xml, "wsd:Scopes"),
            (std::vector<std::string>{
                "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9",
                "3371BBEADDB62353ADCEF970A06FDF65001E0421F4C7108276B0C37A9F9EC10F",
                "D7E924425E8F4F88F01DC6A9BB1BC37BE113EC7917C745D4965C2B55FA163A6E"}));
  EXPECT_EQ(ipxe_values(xml, "wsd:XAddrs"),
            (std::vector<std::string>{"192.0.2.1:80", "[2001:db8::1]:8080"}));
  // 8 hex digits per scope, in scope order.
  EXPECT_EQ(ipxe_values(xml, "PeerDist:BlockCount"),
            (std::vector<std::string>{"0000000200000019ABCDEF01"}));
}

TEST(Encode, V2ProbeMatchPresenceAndAges) {
  ProbeMatch m = v1_match({});
  // 40 segments all full: the spec's "/////////////w==" (10 bytes 0xFF).
  ProbeMatchV2 held;
  held.segments.assign(40, SegmentPresence{true, true});
  held.ages = SegmentAges{AgeUnit::centiseconds, {{0, 60000}, {2, 60000}}};
  m.held = held;
  const std::string xml = encode_probe_match(m);
  EXPECT_NE(xml.find("<wsd:Types>PeerDist:PeerDistDataV2</wsd:Types>"
                     "<wsd:Scopes>/////////////w==</wsd:Scopes>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<wsd:MetadataVersion>2</wsd:MetadataVersion>"), std::string::npos);
  // A16: the current wrapper name, PeerDistData, around SegmentAges.
  EXPECT_NE(xml.find("<PeerDist:PeerDistData><PeerDist:SegmentAges>AAEDAgBg6gACYOoA"
                     "</PeerDist:SegmentAges></PeerDist:PeerDistData></wsd:ProbeMatch>"),
            std::string::npos)
      << xml;
}

TEST(Encode, V2ProbeMatchWithoutAgesHasNoWrapper) {
  ProbeMatch m = v1_match({});
  m.held = ProbeMatchV2{{{true, false}}, std::nullopt};
  const std::string xml = encode_probe_match(m);
  EXPECT_EQ(xml.find("PeerDist:PeerDistData>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<wsd:Scopes>gA==</wsd:Scopes>"), std::string::npos) << xml;
}

TEST(Encode, PresenceBitsAreMsbFirst) {
  // A17: segment 0 in bits 7-6, segment 1 in bits 5-4, ...; the last byte padded with zeros.
  EXPECT_EQ(pack_presence({{true, false}}), (Bytes{0x80}));
  EXPECT_EQ(pack_presence({{true, true}, {false, false}, {true, false}, {false, true}}),
            (Bytes{0xC9}));
  EXPECT_EQ(
      pack_presence({{false, false}, {false, false}, {false, false}, {false, false}, {true, true}}),
      (Bytes{0x00, 0xC0}));
  EXPECT_EQ(pack_presence(std::vector<SegmentPresence>(40, {true, true})), Bytes(10, 0xFF));
}

TEST(Encode, EscapesMarkupInUris) {
  ProbeMatch m = v1_match({{iis_v1_id(), 1}});
  m.relates_to = "urn:x?a=1&b=<2>";
  const std::string xml = encode_probe_match(m);
  EXPECT_NE(xml.find("<wsa:RelatesTo>urn:x?a=1&amp;b=&lt;2&gt;</wsa:RelatesTo>"),
            std::string::npos);
}

TEST(Encode, RefusesWhatTheDecodersWouldRefuse) {
  const Probe good{std::string(kId), Version::v1, {iis_v1_id()}};
  EXPECT_NO_THROW((void)encode_probe(good));
  for (const std::string& id :
       std::vector<std::string>{"", "urn:uuid:has space", std::string(1025, 'x'), "urn:\x01"}) {
    Probe p = good;
    p.message_id = id;
    EXPECT_THROW((void)encode_probe(p), std::invalid_argument) << id;
  }
  Probe empty = good;
  empty.segment_ids.clear();
  EXPECT_THROW((void)encode_probe(empty), std::invalid_argument);
  Probe blank_id = good;
  blank_id.segment_ids.push_back(crypto::Digest{});
  EXPECT_THROW((void)encode_probe(blank_id), std::invalid_argument);

  Probe v2 = good;
  v2.version = Version::v2;
  v2.segment_ids.assign(255, iis_v1_id());
  EXPECT_NO_THROW((void)encode_probe(v2));
  v2.segment_ids.push_back(iis_v1_id());
  EXPECT_THROW((void)encode_probe(v2), std::invalid_argument);  // 256 IDs
  v2.segment_ids = {iis_v1_id(), iis_v1_id().truncated(16)};
  EXPECT_THROW((void)encode_probe(v2), std::invalid_argument);  // two sizes

  const ProbeMatch match = v1_match({{iis_v1_id(), 1}});
  EXPECT_NO_THROW((void)encode_probe_match(match));
  ProbeMatch no_xaddrs = match;
  no_xaddrs.xaddrs.clear();
  EXPECT_THROW((void)encode_probe_match(no_xaddrs), std::invalid_argument);
  for (const char* xaddr : {"http://192.0.2.1:80", "192.0.2.1", "2001:db8::1:80", "a b:1"}) {
    ProbeMatch bad = match;
    bad.xaddrs = {xaddr};
    EXPECT_THROW((void)encode_probe_match(bad), std::invalid_argument) << xaddr;
  }
  ProbeMatch no_segments = v1_match({});
  EXPECT_THROW((void)encode_probe_match(no_segments), std::invalid_argument);
  no_segments.held = ProbeMatchV2{};
  EXPECT_THROW((void)encode_probe_match(no_segments), std::invalid_argument);
  ProbeMatch bad_ages = match;
  bad_ages.held = ProbeMatchV2{{{true, true}}, SegmentAges{AgeUnit::seconds, {{0, 1U << 24U}}}};
  EXPECT_THROW((void)encode_probe_match(bad_ages), std::invalid_argument);
  ProbeMatch bad_address = match;
  bad_address.endpoint_address.clear();
  EXPECT_THROW((void)encode_probe_match(bad_address), std::invalid_argument);
}

}  // namespace
}  // namespace peerdist::wire::pccrd
