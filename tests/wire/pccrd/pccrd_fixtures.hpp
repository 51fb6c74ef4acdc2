// Shared by the PCCRD tests: real segment IDs from the captured IIS vectors, random values, and
// datagrams as bytes.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "peerdist/crypto/digest.hpp"
#include "peerdist/wire/pccrd/messages.hpp"

namespace peerdist::wire::pccrd::test {

// HoHoDk of iis-85.png's only v1 segment and of its two v2 segments (shared/vectors).
crypto::Digest iis_v1_id();
std::vector<crypto::Digest> iis_v2_ids();

crypto::Digest digest_from_hex(std::string_view hex);
crypto::Digest random_id(std::mt19937& rng, std::size_t size = 32);

std::vector<std::uint8_t> bytes_of(std::string_view text);

Probe random_probe(std::mt19937& rng, Version version);
ProbeMatch random_match(std::mt19937& rng, Version version);

// A ProbeMatch answering `probe` (v1: every probed segment with 1 block; v2: all present).
ProbeMatch match_for(const Probe& probe);

}  // namespace peerdist::wire::pccrd::test

namespace peerdist::wire::pccrd::test {

// Hand-written messages with one part swapped at a time (rejects, leniency). Defaults make a
// valid v1 message for iis_v1_id(); `prefixes` binds soap/wsa/wsd/PeerDist on the envelope.
struct ProbeXml {
  std::string prolog = R"(<?xml version="1.0" encoding="utf-8"?>)";
  std::string prefixes =
      R"( xmlns:soap="http://www.w3.org/2003/05/soap-envelope")"
      R"( xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing")"
      R"( xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery")"
      R"( xmlns:PeerDist="http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery")";
  std::string to = "<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>";
  std::string action =
      "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>";
  std::string message_id =
      "<wsa:MessageID>urn:uuid:0a4a0a5e-2b1c-4d7e-8f90-123456789abc</wsa:MessageID>";
  std::string types = "<wsd:Types>PeerDist:PeerDistData</wsd:Types>";
  std::string scopes_open =
      R"(<wsd:Scopes MatchBy="http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0">)";
  std::string scopes = "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9";
  std::string scopes_close = "</wsd:Scopes>";
  std::string body_extra;  // more children of wsd:Probe

  [[nodiscard]] std::string str() const;
  [[nodiscard]] std::vector<std::uint8_t> bytes() const { return bytes_of(str()); }
};

struct MatchXml {
  std::string prolog = R"(<?xml version="1.0" encoding="utf-8"?>)";
  std::string prefixes = ProbeXml{}.prefixes;
  std::string to =
      "<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>";
  std::string action =
      "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>";
  std::string message_id =
      "<wsa:MessageID>urn:uuid:77777777-2b1c-4d7e-8f90-123456789abc</wsa:MessageID>";
  std::string relates_to =
      "<wsa:RelatesTo>urn:uuid:0a4a0a5e-2b1c-4d7e-8f90-123456789abc</wsa:RelatesTo>";
  std::string app_sequence = R"(<wsd:AppSequence InstanceId="1234" MessageNumber="5"/>)";
  std::string address =
      "<wsa:EndpointReference><wsa:Address>urn:uuid:88888888-2b1c-4d7e-8f90-123456789abc"
      "</wsa:Address></wsa:EndpointReference>";
  std::string types = "<wsd:Types>PeerDist:PeerDistData</wsd:Types>";
  std::string scopes =
      "<wsd:Scopes>491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9</wsd:Scopes>";
  std::string xaddrs = "<wsd:XAddrs>192.0.2.10:8080</wsd:XAddrs>";
  std::string metadata = "<wsd:MetadataVersion>1</wsd:MetadataVersion>";
  std::string peerdist_data =
      "<PeerDist:PeerDistData><PeerDist:BlockCount>00000002</PeerDist:BlockCount>"
      "</PeerDist:PeerDistData>";
  std::string extra_match;  // a second wsd:ProbeMatch, or anything

  [[nodiscard]] std::string str() const;
  [[nodiscard]] std::vector<std::uint8_t> bytes() const { return bytes_of(str()); }
  // The same message as v2: Types PeerDistDataV2, `presence` as Scopes, ages in the wrapper.
  static MatchXml v2(std::string presence_base64, std::string ages_base64);
};

}  // namespace peerdist::wire::pccrd::test
