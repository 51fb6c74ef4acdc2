// What the decoders accept: our own output (round trips, random values), the spec's examples,
// and the forms other senders may use (spec digest §2.2 "parse leniently", A14-A16, A20).
// Refusals are in decode_rejects_test.cpp.
#include "peerdist/wire/pccrd/decode.hpp"

#include <gtest/gtest.h>

#include "peerdist/wire/pccrd/encode.hpp"

#include "pccrd_fixtures.hpp"

namespace peerdist::wire::pccrd {
namespace {

using test::bytes_of;
using test::iis_v1_id;
using test::iis_v2_ids;
using test::MatchXml;
using test::ProbeXml;

Probe probe_of(const std::vector<std::uint8_t>& datagram) {
  auto decoded = decode_probe(datagram);
  EXPECT_TRUE(decoded.has_value()) << decoded.error().message();
  if (!decoded) return {};
  EXPECT_TRUE(std::holds_alternative<Probe>(*decoded)) << "decoded as NotForUs";
  return std::holds_alternative<Probe>(*decoded) ? std::get<Probe>(*decoded) : Probe{};
}

ProbeMatch match_of(const std::vector<std::uint8_t>& datagram) {
  auto decoded = decode_probe_match(datagram);
  EXPECT_TRUE(decoded.has_value()) << decoded.error().message();
  return decoded ? *decoded : ProbeMatch{};
}

NotForUs::Reason foreign(const std::vector<std::uint8_t>& datagram) {
  auto decoded = decode_probe(datagram);
  EXPECT_TRUE(decoded.has_value()) << decoded.error().message();
  if (!decoded || !std::holds_alternative<NotForUs>(*decoded)) {
    ADD_FAILURE() << "not decoded as NotForUs";
    return NotForUs::Reason::other_types;
  }
  return std::get<NotForUs>(*decoded).reason;
}

// --- Probes -----------------------------------------------------------------------------------

TEST(DecodeProbe, SpecSkeletonV1) {
  const Probe probe = probe_of(ProbeXml{}.bytes());
  EXPECT_EQ(probe.message_id, "urn:uuid:0a4a0a5e-2b1c-4d7e-8f90-123456789abc");
  EXPECT_EQ(probe.version, Version::v1);
  EXPECT_EQ(probe.segment_ids, std::vector<crypto::Digest>{iis_v1_id()});
}

TEST(DecodeProbe, V1HexOfEitherCaseAndAnyWhitespace) {
  ProbeXml x;
  const auto v2 = iis_v2_ids();
  x.scopes = "\n\t491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce9  \r\n" +
             v2[0].hex() + " 3371BBEADDB62353ADCEF970A06FDF65001E0421F4C7108276B0C37A9F9EC10F\n";
  EXPECT_EQ(probe_of(x.bytes()).segment_ids,
            (std::vector<crypto::Digest>{iis_v1_id(), v2[0], v2[0]}));
}

TEST(DecodeProbe, V1IdsOfOtherSizes) {
  // A35: SHA-384/512 v1 content has 48/64-byte IDs.
  ProbeXml x;
  x.scopes = std::string(96, 'A') + " " + std::string(128, 'b');
  const Probe probe = probe_of(x.bytes());
  ASSERT_EQ(probe.segment_ids.size(), 2U);
  EXPECT_EQ(probe.segment_ids[0].size(), 48U);
  EXPECT_EQ(probe.segment_ids[1].size(), 64U);
}

TEST(DecodeProbe, V2ScopeRecord) {
  ProbeXml x;
  x.types = "<wsd:Types>PeerDist:PeerDistDataV2</wsd:Types>";
  x.scopes_open =
      R"(<wsd:Scopes MatchBy="http://schemas.microsoft.com/p2p/2010/05/PeerDistV2MatchingRule">)";
  const Probe ours{"urn:uuid:x", Version::v2, iis_v2_ids()};
  const std::string xml = encode_probe(ours);
  const std::size_t at = xml.find("ACAC");
  x.scopes = " " + xml.substr(at, xml.find('<', at) - at) + "\n";
  const Probe probe = probe_of(x.bytes());
  EXPECT_EQ(probe.version, Version::v2);
  EXPECT_EQ(probe.segment_ids, iis_v2_ids());
}

TEST(DecodeProbe, MatchByMayBeAbsent) {
  ProbeXml x;
  x.scopes_open = "<wsd:Scopes>";
  EXPECT_EQ(probe_of(x.bytes()).segment_ids.size(), 1U);
}

TEST(DecodeProbe, AnyPrefixesAndDefaultNamespace) {
  // Namespaces decide, not prefixes: s/a/d/pd here, and the default namespace for wsd.
  const std::string xml =
      R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope")"
      R"( xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">)"
      R"(<s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>)"
      R"(<a:MessageID>urn:uuid:1</a:MessageID></s:Header><s:Body>)"
      R"(<Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery")"
      R"( xmlns:pd="http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery">)"
      R"(<Types>pd:PeerDistData</Types><Scopes>)" +
      iis_v1_id().hex() + "</Scopes></Probe></s:Body></s:Envelope>";
  const Probe probe = probe_of(bytes_of(xml));
  EXPECT_EQ(probe.message_id, "urn:uuid:1");
  EXPECT_EQ(probe.segment_ids, std::vector<crypto::Digest>{iis_v1_id()});
}

TEST(DecodeProbe, PrettyPrintedWithCommentsAndCdata) {
  const std::string xml =
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
      "<!-- a comment -->\n"
      "<soap:Envelope\n  xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"\n"
      "  xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"\n"
      "  xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\"\n"
      "  xmlns:PeerDist=\"http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery\">\n"
      "  <soap:Header>\n"
      "    <wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>\n"
      "    <wsa:Action> http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe </wsa:Action>\n"
      "    <wsa:MessageID>\n urn:uuid:abc \n</wsa:MessageID>\n"
      "    <other:Header xmlns:other=\"urn:other\">ignored</other:Header>\n"
      "  </soap:Header>\n"
      "  <soap:Body>\n    <wsd:Probe>\n      <wsd:Types> PeerDist:PeerDistData </wsd:Types>\n"
      "      <wsd:Scopes><![CDATA[" +
      iis_v1_id().hex() +
      "]]><!-- x --></wsd:Scopes>\n    </wsd:Probe>\n  </soap:Body>\n"
      "</soap:Envelope>\n";
  const Probe probe = probe_of(bytes_of(xml));
  EXPECT_EQ(probe.message_id, "urn:uuid:abc");
  EXPECT_EQ(probe.segment_ids, std::vector<crypto::Digest>{iis_v1_id()});
}

TEST(DecodeProbe, OtherWsDiscoveryTrafficIsNotForUs) {
  ProbeXml hello;
  hello.action = "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action>";
  EXPECT_EQ(foreign(hello.bytes()), NotForUs::Reason::other_action);
  ProbeXml resolve;
  resolve.action =
      "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Resolve</wsa:Action>";
  EXPECT_EQ(foreign(resolve.bytes()), NotForUs::Reason::other_action);
  ProbeXml wsd11;
  wsd11.action =
      "<wsa:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Probe</wsa:Action>";
  EXPECT_EQ(foreign(wsd11.bytes()), NotForUs::Reason::other_action);

  ProbeXml printer;
  printer.prefixes += R"( xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof")";
  printer.types = "<wsd:Types>wsdp:Device</wsd:Types>";
  printer.scopes = "";
  EXPECT_EQ(foreign(printer.bytes()), NotForUs::Reason::other_types);
  ProbeXml everything;  // no Types: a probe for every service
  everything.types = "";
  everything.scopes_open = everything.scopes = everything.scopes_close = "";
  EXPECT_EQ(foreign(everything.bytes()), NotForUs::Reason::other_types);
  ProbeXml empty_types;
  empty_types.types = "<wsd:Types/>";
  EXPECT_EQ(foreign(empty_types.bytes()), NotForUs::Reason::other_types);
  ProbeXml mixed;  // PeerDist and a printer: we are not a printer
  mixed.prefixes += R"( xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof")";
  mixed.types = "<wsd:Types>PeerDist:PeerDistData wsdp:Device</wsd:Types>";
  EXPECT_EQ(foreign(mixed.bytes()), NotForUs::Reason::other_types);
  ProbeXml other_local;  // the PeerDist namespace, but no PeerDist type
  other_local.types = "<wsd:Types>PeerDist:PeerDistDataV3</wsd:Types>";
  EXPECT_EQ(foreign(other_local.bytes()), NotForUs::Reason::other_types);
  ProbeXml literal_prefix;  // "PeerDist:" bound to another URI is not PeerDist
  literal_prefix.prefixes = R"( xmlns:soap="http://www.w3.org/2003/05/soap-envelope")"
                            R"( xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing")"
                            R"( xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery")"
                            R"( xmlns:PeerDist="urn:not-peerdist")";
  EXPECT_EQ(foreign(literal_prefix.bytes()), NotForUs::Reason::other_types);
}

TEST(DecodeProbe, RoundTripsOfOurOwnProbes) {
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const Probe probe = test::random_probe(rng, i % 2 == 0 ? Version::v1 : Version::v2);
    EXPECT_EQ(probe_of(bytes_of(encode_probe(probe))), probe);
  }
}

// --- ProbeMatches -----------------------------------------------------------------------------

TEST(DecodeProbeMatch, V1Skeleton) {
  const ProbeMatch m = match_of(MatchXml{}.bytes());
  EXPECT_EQ(m.message_id, "urn:uuid:77777777-2b1c-4d7e-8f90-123456789abc");
  EXPECT_EQ(m.relates_to, "urn:uuid:0a4a0a5e-2b1c-4d7e-8f90-123456789abc");
  EXPECT_EQ(m.app_sequence, (AppSequence{1234, 5}));
  EXPECT_EQ(m.endpoint_address, "urn:uuid:88888888-2b1c-4d7e-8f90-123456789abc");
  EXPECT_EQ(m.xaddrs, std::vector<std::string>{"192.0.2.10:8080"});
  ASSERT_EQ(m.version(), Version::v1);
  EXPECT_EQ(std::get<ProbeMatchV1>(m.held).segments, (std::vector<BlockCount>{{iis_v1_id(), 2}}));
}

TEST(DecodeProbeMatch, BlockCountEightDigitExample) {
  MatchXml x;
  x.peerdist_data =
      "<PeerDist:PeerDistData><PeerDist:BlockCount>0000002A</PeerDist:BlockCount>"
      "</PeerDist:PeerDistData>";
  EXPECT_EQ(std::get<ProbeMatchV1>(match_of(x.bytes()).held).segments.at(0).block_count, 42U);
}

TEST(DecodeProbeMatch, BlockCountFourDigitExample) {
  // A15: the spec's prose example, 25, 4 and 16 blocks of three segments in 4 hex digits each.
  MatchXml x;
  const auto v2 = iis_v2_ids();
  x.scopes =
      "<wsd:Scopes>" + iis_v1_id().hex() + " " + v2[0].hex() + " " + v2[1].hex() + "</wsd:Scopes>";
  x.peerdist_data =
      "<PeerDist:PeerDistData><PeerDist:BlockCount>001900040010</PeerDist:BlockCount>"
      "</PeerDist:PeerDistData>";
  EXPECT_EQ(std::get<ProbeMatchV1>(match_of(x.bytes()).held).segments,
            (std::vector<BlockCount>{{iis_v1_id(), 25}, {v2[0], 4}, {v2[1], 16}}));
}

TEST(DecodeProbeMatch, BlockCountHexOfEitherCase) {
  MatchXml x;
  x.peerdist_data =
      "<PeerDist:PeerDistData><PeerDist:BlockCount> 0000aBcD\n</PeerDist:BlockCount>"
      "</PeerDist:PeerDistData>";
  EXPECT_EQ(std::get<ProbeMatchV1>(match_of(x.bytes()).held).segments.at(0).block_count, 0xABCDU);
}

TEST(DecodeProbeMatch, V2AllOnesExample) {
  // The spec's example: 10 bytes 0xFF = 40 segments, each present and complete.
  const ProbeMatch m = match_of(MatchXml::v2("/////////////w==", "AAEDAgBg6gACYOoA").bytes());
  ASSERT_EQ(m.version(), Version::v2);
  const auto& held = std::get<ProbeMatchV2>(m.held);
  EXPECT_EQ(held.segments, std::vector<SegmentPresence>(40, SegmentPresence{true, true}));
  ASSERT_TRUE(held.ages.has_value());
  EXPECT_EQ(held.ages->entries, (std::vector<SegmentAge>{{0, 60000}, {2, 60000}}));
}

TEST(DecodeProbeMatch, V2BitsAreReadMsbFirst) {
  // 0xC9 = 11 00 10 01: all, none, some, and "all" alone (kept as sent).
  const ProbeMatch m = match_of(MatchXml::v2("yQ==", "").bytes());
  EXPECT_EQ(
      std::get<ProbeMatchV2>(m.held).segments,
      (std::vector<SegmentPresence>{{true, true}, {false, false}, {true, false}, {false, true}}));
  EXPECT_FALSE(std::get<ProbeMatchV2>(m.held).ages.has_value());
}

TEST(DecodeProbeMatch, V2DraftWrapperAndUnqualifiedSegmentAges) {
  // A16: the 2012 draft's PeerDist:PeerDistDataV2 wrapper around a SegmentAges without prefix.
  MatchXml x = MatchXml::v2("gA==", "");
  x.peerdist_data =
      "<PeerDist:PeerDistDataV2><SegmentAges>AAEDAgBg6gACYOoA</SegmentAges>"
      "</PeerDist:PeerDistDataV2>";
  const ProbeMatch m = match_of(x.bytes());
  const auto& held = std::get<ProbeMatchV2>(m.held);
  ASSERT_TRUE(held.ages.has_value());
  EXPECT_EQ(held.ages->units, AgeUnit::centiseconds);
  EXPECT_EQ(held.ages->entries.size(), 2U);
}

TEST(DecodeProbeMatch, V2BadAgesBlobIsIgnoredNotTheMessage) {
  // Spec §1.7: unknown version, bad units, short count: discard the blob, keep the message.
  for (const char* blob : {"AAI=" /* version 2 */, "AAEJAA==" /* units 9 */,
                           "AAEDBQ==" /* 5 entries, none there */, "AQ==" /* 1 byte */}) {
    const ProbeMatch m = match_of(MatchXml::v2("gA==", blob).bytes());
    const auto& held = std::get<ProbeMatchV2>(m.held);
    EXPECT_FALSE(held.ages.has_value()) << blob;
    EXPECT_EQ(held.segments.front(), (SegmentPresence{true, false})) << blob;
  }
}

TEST(DecodeProbeMatch, XAddrsForms) {
  MatchXml x;
  x.xaddrs =
      "<wsd:XAddrs>\n 192.0.2.10:8080\thttp://192.0.2.11:80/ HTTP://[fe80::1%25eth0]:8080 "
      "[2001:db8::2]:443 peer.example.org\n</wsd:XAddrs>";
  EXPECT_EQ(match_of(x.bytes()).xaddrs,
            (std::vector<std::string>{"192.0.2.10:8080", "192.0.2.11:80", "[fe80::1%25eth0]:8080",
                                      "[2001:db8::2]:443", "peer.example.org:80"}));
}

TEST(DecodeProbeMatch, IgnoresToMetadataVersionAndExtras) {
  MatchXml x;
  x.to = "";
  x.metadata = "<wsd:MetadataVersion>99</wsd:MetadataVersion><x:Other xmlns:x=\"urn:x\"/>";
  x.peerdist_data =
      "<PeerDist:PeerDistData><PeerDist:SegmentAges>AAEDAA==</PeerDist:SegmentAges>"
      "<PeerDist:BlockCount>00000003</PeerDist:BlockCount></PeerDist:PeerDistData>";
  EXPECT_EQ(std::get<ProbeMatchV1>(match_of(x.bytes()).held).segments.at(0).block_count, 3U);
}

TEST(DecodeProbeMatch, RoundTripsOfOurOwnMatches) {
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    const ProbeMatch match = test::random_match(rng, i % 2 == 0 ? Version::v1 : Version::v2);
    EXPECT_EQ(match_of(bytes_of(encode_probe_match(match))), match);
  }
}

TEST(DecodeProbeMatch, V2PartialByteComesBackPadded) {
  // 5 probed segments take 2 bytes; the decoder cannot know N and returns 8 entries.
  ProbeMatch match = test::match_for(
      Probe{"urn:uuid:p", Version::v2, std::vector<crypto::Digest>(5, iis_v1_id())});
  const ProbeMatch back = match_of(bytes_of(encode_probe_match(match)));
  auto expected = std::get<ProbeMatchV2>(match.held).segments;
  expected.resize(8, SegmentPresence{});
  EXPECT_EQ(std::get<ProbeMatchV2>(back.held).segments, expected);
}

TEST(DecodeProbe, AProbeMatchIsNotAProbeAndViceVersa) {
  EXPECT_EQ(foreign(MatchXml{}.bytes()), NotForUs::Reason::other_action);
  const auto as_match = decode_probe_match(ProbeXml{}.bytes());
  ASSERT_FALSE(as_match.has_value());
  EXPECT_EQ(as_match.error().field, "wsa:Action");
}

}  // namespace
}  // namespace peerdist::wire::pccrd
