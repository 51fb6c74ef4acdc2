// Every rule the decoders enforce, broken once: the datagram is refused (the caller discards it
// silently) with an error naming the spec element.
#include <gtest/gtest.h>

#include "peerdist/wire/pccrd/constants.hpp"
#include "peerdist/wire/pccrd/decode.hpp"

#include "pccrd_fixtures.hpp"

namespace peerdist::wire::pccrd {
namespace {

using test::bytes_of;
using test::MatchXml;
using test::ProbeXml;
using Bytes = std::vector<std::uint8_t>;

void expect_probe_reject(const Bytes& datagram, const std::string& field) {
  const auto decoded = decode_probe(datagram);
  ASSERT_FALSE(decoded.has_value()) << "accepted; expected an error in " << field << "\n"
                                    << std::string(datagram.begin(), datagram.end());
  EXPECT_EQ(decoded.error().field, field) << decoded.error().message();
  EXPECT_LE(decoded.error().offset, datagram.size());
  EXPECT_FALSE(decoded.error().reason.empty());
}

void expect_match_reject(const Bytes& datagram, const std::string& field) {
  const auto decoded = decode_probe_match(datagram);
  ASSERT_FALSE(decoded.has_value()) << "accepted; expected an error in " << field << "\n"
                                    << std::string(datagram.begin(), datagram.end());
  EXPECT_EQ(decoded.error().field, field) << decoded.error().message();
  EXPECT_LE(decoded.error().offset, datagram.size());
}

void expect_both_reject(const Bytes& datagram, const std::string& field) {
  expect_probe_reject(datagram, field);
  expect_match_reject(datagram, field);
}

TEST(DecodeRejects, FixturesAreValid) {
  ASSERT_TRUE(decode_probe(ProbeXml{}.bytes()).has_value());
  ASSERT_TRUE(decode_probe_match(MatchXml{}.bytes()).has_value());
  ASSERT_TRUE(decode_probe_match(MatchXml::v2("gA==", "AAEDAA==").bytes()).has_value());
}

// --- The datagram and its XML ------------------------------------------------------------------

TEST(DecodeRejects, DatagramSize) {
  expect_both_reject({}, "datagram");
  // Checked before anything is parsed: a valid message padded past 65,507 bytes.
  ProbeXml big;
  big.body_extra = std::string(kMaxDatagramSize, ' ');
  const auto decoded = decode_probe(big.bytes());
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().field, "datagram");
  EXPECT_EQ(decoded.error().offset, kMaxDatagramSize);
  // Exactly the limit is fine.
  ProbeXml limit;
  limit.body_extra = std::string(kMaxDatagramSize - ProbeXml{}.str().size(), ' ');
  ASSERT_EQ(limit.str().size(), kMaxDatagramSize);
  EXPECT_TRUE(decode_probe(limit.bytes()).has_value());
}

TEST(DecodeRejects, NotXml) {
  expect_both_reject(bytes_of("hello"), "xml");
  expect_both_reject(bytes_of("<a>"), "xml");
  expect_both_reject(bytes_of("<a></b>"), "xml");
  ProbeXml truncated;
  const std::string text = truncated.str();
  expect_both_reject(bytes_of(text.substr(0, text.size() - 3)), "xml");
  expect_both_reject(bytes_of(text + "<second/>"), "xml");
  expect_both_reject(bytes_of(text + "trailing text"), "xml");
}

TEST(DecodeRejects, NulByte) {
  Bytes datagram = ProbeXml{}.bytes();
  datagram.insert(datagram.begin() + 200, 0);
  expect_both_reject(datagram, "datagram");
}

TEST(DecodeRejects, DoctypeAndEntities) {
  // SOAP 1.2 forbids a DTD; entities are never expanded (billion laughs, external files).
  const std::string doctype =
      "<!DOCTYPE soap:Envelope [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">"
      "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>";
  ProbeXml x;
  x.prolog += doctype;
  expect_probe_reject(x.bytes(), "DOCTYPE");
  MatchXml m;
  m.prolog += doctype;
  expect_match_reject(m.bytes(), "DOCTYPE");
  // Without a DOCTYPE an entity reference is just text, and not hex.
  ProbeXml entity;
  entity.scopes = "&x;";
  expect_probe_reject(entity.bytes(), "wsd:Scopes");
}

TEST(DecodeRejects, DeepNestingAndTagFloods) {
  ProbeXml deep;
  for (std::size_t i = 0; i < kMaxXmlDepth; ++i) deep.body_extra += "<x:n xmlns:x=\"urn:x\">";
  for (std::size_t i = 0; i < kMaxXmlDepth; ++i) deep.body_extra += "</x:n>";
  expect_probe_reject(deep.bytes(), "xml");
  ProbeXml flood;
  for (std::size_t i = 0; i < kMaxMarkup; ++i) flood.body_extra += "<x/>";
  expect_probe_reject(flood.bytes(), "datagram");
  // Deep nesting far past the tag cap is refused before parsing.
  std::string very_deep(30000, '<');
  expect_both_reject(bytes_of(very_deep), "datagram");
}

// --- The envelope ------------------------------------------------------------------------------

TEST(DecodeRejects, NotASoap12Envelope) {
  expect_both_reject(bytes_of("<root/>"), "soap:Envelope");
  ProbeXml soap11;  // SOAP 1.1's envelope namespace
  soap11.prefixes =
      R"( xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/")"
      R"( xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing")"
      R"( xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery")"
      R"( xmlns:PeerDist="http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery")";
  expect_probe_reject(soap11.bytes(), "soap:Envelope");
  ProbeXml unbound;  // no xmlns at all: the prefixes mean nothing
  unbound.prefixes = "";
  expect_probe_reject(unbound.bytes(), "xml");
  expect_both_reject(
      bytes_of(R"(<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">)"
               R"(<soap:Body/></soap:Envelope>)"),
      "soap:Header");
  expect_both_reject(
      bytes_of(R"(<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">)"
               R"(<soap:Header/></soap:Envelope>)"),
      "soap:Body");
  expect_both_reject(
      bytes_of(R"(<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">)"
               R"(<soap:Header/><soap:Body/></soap:Envelope>)"),
      "wsa:Action");
}

TEST(DecodeRejects, Action) {
  ProbeXml missing;
  missing.action = "";
  expect_probe_reject(missing.bytes(), "wsa:Action");
  ProbeXml twice;
  twice.action += twice.action;
  expect_probe_reject(twice.bytes(), "wsa:Action");
  ProbeXml other;  // not WS-Discovery at all
  other.action = "<wsa:Action>urn:something-else</wsa:Action>";
  expect_probe_reject(other.bytes(), "wsa:Action");
  ProbeXml nested;
  nested.action = "<wsa:Action><b>x</b></wsa:Action>";
  expect_probe_reject(nested.bytes(), "wsa:Action");
  MatchXml probe_action;  // a ProbeMatch must say ProbeMatches
  probe_action.action =
      "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>";
  expect_match_reject(probe_action.bytes(), "wsa:Action");
  MatchXml hello;
  hello.action = "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action>";
  expect_match_reject(hello.bytes(), "wsa:Action");
}

TEST(DecodeRejects, MessageIdAndRelatesTo) {
  for (const std::string& bad : std::vector<std::string>{
           "", "<wsa:MessageID></wsa:MessageID>", "<wsa:MessageID>urn:uuid:a b</wsa:MessageID>",
           "<wsa:MessageID>urn:\xC3\xA9</wsa:MessageID>",
           "<wsa:MessageID>" + std::string(1025, 'u') + "</wsa:MessageID>",
           "<wsa:MessageID>a</wsa:MessageID><wsa:MessageID>b</wsa:MessageID>"}) {
    ProbeXml p;
    p.message_id = bad;
    expect_probe_reject(p.bytes(), "wsa:MessageID");
    MatchXml m;
    m.message_id = bad;
    expect_match_reject(m.bytes(), "wsa:MessageID");
  }
  MatchXml no_relates;
  no_relates.relates_to = "";
  expect_match_reject(no_relates.bytes(), "wsa:RelatesTo");
  MatchXml blank_relates;
  blank_relates.relates_to = "<wsa:RelatesTo> </wsa:RelatesTo>";
  expect_match_reject(blank_relates.bytes(), "wsa:RelatesTo");
}

TEST(DecodeRejects, AppSequence) {
  MatchXml missing;
  missing.app_sequence = "";
  expect_match_reject(missing.bytes(), "wsd:AppSequence");
  const std::pair<std::string, std::string> cases[] = {
      {R"(<wsd:AppSequence MessageNumber="1"/>)", "wsd:AppSequence@InstanceId"},
      {R"(<wsd:AppSequence InstanceId="1"/>)", "wsd:AppSequence@MessageNumber"},
      {R"(<wsd:AppSequence InstanceId="-1" MessageNumber="1"/>)", "wsd:AppSequence@InstanceId"},
      {R"(<wsd:AppSequence InstanceId="" MessageNumber="1"/>)", "wsd:AppSequence@InstanceId"},
      {R"(<wsd:AppSequence InstanceId="4294967296" MessageNumber="1"/>)",
       "wsd:AppSequence@InstanceId"},
      {R"(<wsd:AppSequence InstanceId="1" MessageNumber="0x10"/>)",
       "wsd:AppSequence@MessageNumber"},
  };
  for (const auto& [xml, field] : cases) {
    MatchXml m;
    m.app_sequence = xml;
    expect_match_reject(m.bytes(), field);
  }
  MatchXml wsa;  // in the wrong namespace (python-peerdist's slip): not the element
  wsa.app_sequence = R"(<wsa:AppSequence InstanceId="1" MessageNumber="1"/>)";
  expect_match_reject(wsa.bytes(), "wsd:AppSequence");
  MatchXml max;
  max.app_sequence = R"(<wsd:AppSequence InstanceId=" 4294967295 " MessageNumber="0"/>)";
  EXPECT_TRUE(decode_probe_match(max.bytes()).has_value());
}

// --- Probe body -----------------------------------------------------------------------------

TEST(DecodeRejects, ProbeElement) {
  ProbeXml x;
  const std::string text = x.str();
  std::string no_probe = text;
  const std::size_t open = no_probe.find("<wsd:Probe>");
  no_probe.replace(open, 11, "<wsd:Probx>");
  const std::size_t close = no_probe.find("</wsd:Probe>");
  no_probe.replace(close, 12, "</wsd:Probx>");
  expect_probe_reject(bytes_of(no_probe), "wsd:Probe");
}

TEST(DecodeRejects, ProbeTypes) {
  ProbeXml both;
  both.types = "<wsd:Types>PeerDist:PeerDistData PeerDist:PeerDistDataV2</wsd:Types>";
  expect_probe_reject(both.bytes(), "wsd:Types");
  ProbeXml unbound;
  unbound.types = "<wsd:Types>nope:PeerDistData</wsd:Types>";
  expect_probe_reject(unbound.bytes(), "wsd:Types");
  ProbeXml not_qname;
  not_qname.types = "<wsd:Types>:PeerDistData</wsd:Types>";
  expect_probe_reject(not_qname.bytes(), "wsd:Types");
  ProbeXml twice;
  twice.types += twice.types;
  expect_probe_reject(twice.bytes(), "wsd:Types");
}

TEST(DecodeRejects, ProbeScopes) {
  const std::string id = test::iis_v1_id().hex();
  const std::pair<std::string, std::string> v1_cases[] = {
      {"", "empty"},
      {" \n\t ", "blank"},
      {id.substr(1), "odd digit count"},
      {id + " ABC", "odd second scope"},
      {id.substr(0, 62) + "GG", "not hex"},
      {id.substr(0, 62) + "-1", "not hex"},
      {std::string(130, 'A'), "65 bytes"},
      {"0x" + id, "prefix"},
  };
  for (const auto& [scopes, what] : v1_cases) {
    ProbeXml x;
    x.scopes = scopes;
    SCOPED_TRACE(what);
    expect_probe_reject(x.bytes(), "wsd:Scopes");
  }
  ProbeXml missing;
  missing.scopes_open = missing.scopes = missing.scopes_close = "";
  expect_probe_reject(missing.bytes(), "wsd:Scopes");
  ProbeXml twice;
  twice.body_extra = "<wsd:Scopes>" + id + "</wsd:Scopes>";
  expect_probe_reject(twice.bytes(), "wsd:Scopes");
  ProbeXml child;
  child.scopes = "<b>" + id + "</b>";
  expect_probe_reject(child.bytes(), "wsd:Scopes");
}

TEST(DecodeRejects, ProbeMatchBy) {
  ProbeXml v1_with_v2_rule;
  v1_with_v2_rule.scopes_open =
      R"(<wsd:Scopes MatchBy="http://schemas.microsoft.com/p2p/2010/05/PeerDistV2MatchingRule">)";
  expect_probe_reject(v1_with_v2_rule.bytes(), "wsd:Scopes@MatchBy");
  ProbeXml rfc3986;
  rfc3986.scopes_open =
      R"(<wsd:Scopes MatchBy="http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc3986">)";
  expect_probe_reject(rfc3986.bytes(), "wsd:Scopes@MatchBy");
}

ProbeXml v2_probe(std::string scope) {
  ProbeXml x;
  x.types = "<wsd:Types>PeerDist:PeerDistDataV2</wsd:Types>";
  x.scopes_open = "<wsd:Scopes>";
  x.scopes = std::move(scope);
  return x;
}

TEST(DecodeRejects, ProbeV2Scopes) {
  // "ACAB" + 32 bytes is a valid record of one 32-byte ID.
  const std::string one = "ACABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  ASSERT_TRUE(decode_probe(v2_probe(one).bytes()).has_value());
  const std::pair<std::string, std::string> cases[] = {
      {"", "empty"},
      {"ACAB!AAA", "not base64"},
      {"ACABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "length not a multiple of 4"},
      {one + " " + one, "two tokens"},
      {"ACA=", "record shorter than its header"},
      {"AAAB", "SegmentHashSize 0"},
      {"AEEB", "SegmentHashSize 65"},
      {"ACAAAAAA", "SegmentHashCount 0"},
      {"ACACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "count 2, one ID"},
      {"ACABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "count 1, one byte too many"},
      {"ACABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "count 1, one byte short"},
  };
  for (const auto& [scope, what] : cases) {
    SCOPED_TRACE(what);
    expect_probe_reject(v2_probe(scope).bytes(), "wsd:Scopes");
  }
  ProbeXml v2_with_v1_rule = v2_probe(one);
  v2_with_v1_rule.scopes_open =
      R"(<wsd:Scopes MatchBy="http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0">)";
  expect_probe_reject(v2_with_v1_rule.bytes(), "wsd:Scopes@MatchBy");
}

// --- ProbeMatch body --------------------------------------------------------------------------

TEST(DecodeRejects, ProbeMatchStructure) {
  MatchXml two;
  two.extra_match = "<wsd:ProbeMatch/>";
  expect_match_reject(two.bytes(), "wsd:ProbeMatch");
  const std::string text = MatchXml{}.str();
  std::string none = text;
  none.replace(none.find("<wsd:ProbeMatch>"), 16, "<wsd:ProbeMatcx>");
  none.replace(none.find("</wsd:ProbeMatch>"), 17, "</wsd:ProbeMatcx>");
  expect_match_reject(bytes_of(none), "wsd:ProbeMatch");
  std::string no_matches = text;
  no_matches.replace(no_matches.find("<wsd:ProbeMatches>"), 18, "<wsd:ProbeMatchez>");
  no_matches.replace(no_matches.find("</wsd:ProbeMatches>"), 19, "</wsd:ProbeMatchez>");
  expect_match_reject(bytes_of(no_matches), "wsd:ProbeMatches");
  MatchXml no_reference;
  no_reference.address = "";
  expect_match_reject(no_reference.bytes(), "wsa:EndpointReference");
  MatchXml no_address;
  no_address.address = "<wsa:EndpointReference/>";
  expect_match_reject(no_address.bytes(), "wsa:Address");
  MatchXml bad_address;
  bad_address.address =
      "<wsa:EndpointReference><wsa:Address>a\tb</wsa:Address></wsa:EndpointReference>";
  expect_match_reject(bad_address.bytes(), "wsa:Address");
}

TEST(DecodeRejects, ProbeMatchTypes) {
  for (const std::string types :
       {"", "<wsd:Types/>", "<wsd:Types>PeerDist:Other</wsd:Types>",
        "<wsd:Types>PeerDist:PeerDistData PeerDist:PeerDistDataV2</wsd:Types>",
        "<wsd:Types>PeerDist:PeerDistData wsd:Device</wsd:Types>",
        "<wsd:Types>x:PeerDistData</wsd:Types>"}) {
    MatchXml m;
    m.types = types;
    expect_match_reject(m.bytes(), "wsd:Types");
  }
}

TEST(DecodeRejects, ProbeMatchScopes) {
  for (const std::string scopes : {"", "<wsd:Scopes/>", "<wsd:Scopes> </wsd:Scopes>",
                                   "<wsd:Scopes>ABC</wsd:Scopes>", "<wsd:Scopes>XY</wsd:Scopes>"}) {
    MatchXml m;
    m.scopes = scopes;
    expect_match_reject(m.bytes(), "wsd:Scopes");
  }
  for (const std::string presence : {"", "gA", "g!==", "gA== gA==", "===="}) {
    expect_match_reject(MatchXml::v2(presence, "").bytes(), "wsd:Scopes");
  }
}

TEST(DecodeRejects, ProbeMatchXAddrs) {
  for (const std::string xaddrs :
       {"", "<wsd:XAddrs/>", "<wsd:XAddrs> </wsd:XAddrs>", "<wsd:XAddrs>192.0.2.1:0</wsd:XAddrs>",
        "<wsd:XAddrs>192.0.2.1:65536</wsd:XAddrs>", "<wsd:XAddrs>https://192.0.2.1:1</wsd:XAddrs>",
        "<wsd:XAddrs>2001:db8::1:80</wsd:XAddrs>", "<wsd:XAddrs>192.0.2.1:80 [::1</wsd:XAddrs>",
        "<wsd:XAddrs>192.0.2.1:80/path</wsd:XAddrs>"}) {
    MatchXml m;
    m.xaddrs = xaddrs;
    expect_match_reject(m.bytes(), "wsd:XAddrs");
  }
}

TEST(DecodeRejects, ProbeMatchBlockCount) {
  MatchXml no_data;
  no_data.peerdist_data = "";
  expect_match_reject(no_data.bytes(), "PeerDist:PeerDistData");
  MatchXml draft_wrapper;  // v1 has only the PeerDistData wrapper
  draft_wrapper.peerdist_data =
      "<PeerDist:PeerDistDataV2><PeerDist:BlockCount>00000001</PeerDist:BlockCount>"
      "</PeerDist:PeerDistDataV2>";
  expect_match_reject(draft_wrapper.bytes(), "PeerDist:PeerDistData");
  MatchXml no_count;
  no_count.peerdist_data = "<PeerDist:PeerDistData/>";
  expect_match_reject(no_count.bytes(), "PeerDist:BlockCount");
  for (const std::string count :
       {"", "1", "002", "000001", "0000000001", "0000000G", "0000 0001", "000000010000000"}) {
    MatchXml m;
    m.peerdist_data = "<PeerDist:PeerDistData><PeerDist:BlockCount>" + count +
                      "</PeerDist:BlockCount></PeerDist:PeerDistData>";
    SCOPED_TRACE(count);
    expect_match_reject(m.bytes(), "PeerDist:BlockCount");
  }
  // Two scopes need 8 or 16 digits.
  MatchXml two;
  two.scopes =
      "<wsd:Scopes>" + test::iis_v1_id().hex() + " " + test::iis_v1_id().hex() + "</wsd:Scopes>";
  two.peerdist_data =
      "<PeerDist:PeerDistData><PeerDist:BlockCount>00000001</PeerDist:BlockCount>"
      "</PeerDist:PeerDistData>";
  EXPECT_TRUE(decode_probe_match(two.bytes()).has_value());  // 4 digits each
  two.peerdist_data =
      "<PeerDist:PeerDistData><PeerDist:BlockCount>000000010</PeerDist:BlockCount>"
      "</PeerDist:PeerDistData>";
  expect_match_reject(two.bytes(), "PeerDist:BlockCount");
}

TEST(DecodeRejects, ProbeMatchV2Wrappers) {
  MatchXml both = MatchXml::v2("gA==", "AAEDAA==");
  both.peerdist_data += "<PeerDist:PeerDistDataV2/>";
  expect_match_reject(both.bytes(), "PeerDist:PeerDistData");
  MatchXml two_ages = MatchXml::v2("gA==", "");
  two_ages.peerdist_data =
      "<PeerDist:PeerDistData><PeerDist:SegmentAges>AAEDAA==</PeerDist:SegmentAges>"
      "<SegmentAges>AAEDAA==</SegmentAges></PeerDist:PeerDistData>";
  expect_match_reject(two_ages.bytes(), "PeerDist:SegmentAges");
  // Bad base64 is malformed XML content (unlike a bad blob, which is only ignored).
  expect_match_reject(MatchXml::v2("gA==", "AAEDAA=").bytes(), "PeerDist:SegmentAges");
}

}  // namespace
}  // namespace peerdist::wire::pccrd
