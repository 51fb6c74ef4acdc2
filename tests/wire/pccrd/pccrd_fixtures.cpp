#include "pccrd_fixtures.hpp"

#include <gtest/gtest.h>

#include "peerdist/util/hex.hpp"
#include "peerdist/wire/pccrd/message_id.hpp"

#include "support/vector_file.hpp"

namespace peerdist::wire::pccrd::test {

crypto::Digest digest_from_hex(std::string_view hex) {
  const auto bytes = util::from_hex(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return crypto::Digest(bytes.value_or(std::vector<std::uint8_t>{}));
}

crypto::Digest iis_v1_id() {
  return crypto::Digest(
      peerdist::test::VectorFile::load("ipxe-iis85-v1.txt").bytes("segment.0.hohodk_hex"));
}

std::vector<crypto::Digest> iis_v2_ids() {
  const auto v = peerdist::test::VectorFile::load("ipxe-iis85-v2.txt");
  return {crypto::Digest(v.bytes("segment.0.hohodk_hex")),
          crypto::Digest(v.bytes("segment.1.hohodk_hex"))};
}

crypto::Digest random_id(std::mt19937& rng, std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  return crypto::Digest(bytes);
}

std::vector<std::uint8_t> bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

namespace {

std::size_t pick_id_size(std::mt19937& rng) {
  constexpr std::size_t kSizes[] = {32, 32, 32, 48, 64, 1, 20};
  return kSizes[rng() % std::size(kSizes)];
}

std::string random_xaddr(std::mt19937& rng) {
  switch (rng() % 3) {
    case 0:
      return std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + ".1." +
             std::to_string(rng() % 256) + ":" + std::to_string(1 + rng() % 65535);
    case 1: return "[fe80::" + std::to_string(rng() % 9999) + "%eth0]:" + std::to_string(80);
    default: return "peer-" + std::to_string(rng() % 100) + ".branch.example:8080";
  }
}

}  // namespace

Probe random_probe(std::mt19937& rng, Version version) {
  Probe probe;
  probe.message_id = new_message_id();
  probe.version = version;
  const std::size_t size = pick_id_size(rng);
  const std::size_t n = 1 + rng() % (version == Version::v2 ? 255 : 20);
  for (std::size_t i = 0; i < n; ++i) {
    probe.segment_ids.push_back(random_id(rng, version == Version::v2 ? size : pick_id_size(rng)));
  }
  return probe;
}

ProbeMatch random_match(std::mt19937& rng, Version version) {
  ProbeMatch match;
  match.message_id = new_message_id();
  match.relates_to = rng() % 4 == 0 ? "uuid:odd&<form>" : new_message_id();
  match.app_sequence =
      AppSequence{static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng())};
  match.endpoint_address = new_message_id();
  const std::size_t xaddrs = 1 + rng() % 3;
  for (std::size_t i = 0; i < xaddrs; ++i) match.xaddrs.push_back(random_xaddr(rng));
  if (version == Version::v1) {
    ProbeMatchV1 held;
    const std::size_t n = 1 + rng() % 12;
    for (std::size_t i = 0; i < n; ++i) {
      held.segments.push_back(
          BlockCount{random_id(rng, pick_id_size(rng)), static_cast<std::uint32_t>(rng())});
    }
    match.held = held;
  } else {
    ProbeMatchV2 held;
    // Whole bytes: the decoder returns 4 entries per byte, so only such values round-trip as is.
    held.segments.resize(4 * (1 + rng() % 64));
    for (auto& p : held.segments) p = SegmentPresence{rng() % 2 == 0, rng() % 3 == 0};
    if (rng() % 3 != 0) {
      SegmentAges ages{static_cast<AgeUnit>(1 + rng() % 4), {}};
      ages.entries.resize(rng() % 40);
      for (auto& e : ages.entries) {
        e = SegmentAge{static_cast<std::uint8_t>(rng()),
                       static_cast<std::uint32_t>(rng()) & kMaxEncodedAge};
      }
      held.ages = ages;
    }
    match.held = held;
  }
  return match;
}

ProbeMatch match_for(const Probe& probe) {
  ProbeMatch match;
  match.message_id = new_message_id();
  match.relates_to = probe.message_id;
  match.app_sequence = AppSequence{1700000000, 1};
  match.endpoint_address = new_message_id();
  match.xaddrs = {"192.0.2.7:8080"};
  if (probe.version == Version::v1) {
    ProbeMatchV1 held;
    for (const auto& id : probe.segment_ids) held.segments.push_back(BlockCount{id, 1});
    match.held = held;
  } else {
    ProbeMatchV2 held;
    held.segments.assign(probe.segment_ids.size(), SegmentPresence{true, true});
    match.held = held;
  }
  return match;
}

}  // namespace peerdist::wire::pccrd::test

namespace peerdist::wire::pccrd::test {

std::string ProbeXml::str() const {
  return prolog + "<soap:Envelope" + prefixes + "><soap:Header>" + to + action + message_id +
         "</soap:Header><soap:Body><wsd:Probe>" + types + scopes_open + scopes + scopes_close +
         body_extra + "</wsd:Probe></soap:Body></soap:Envelope>";
}

std::string MatchXml::str() const {
  return prolog + "<soap:Envelope" + prefixes + "><soap:Header>" + to + action + message_id +
         relates_to + app_sequence + "</soap:Header><soap:Body><wsd:ProbeMatches><wsd:ProbeMatch>" +
         address + types + scopes + xaddrs + metadata + peerdist_data + "</wsd:ProbeMatch>" +
         extra_match + "</wsd:ProbeMatches></soap:Body></soap:Envelope>";
}

MatchXml MatchXml::v2(std::string presence_base64, std::string ages_base64) {
  MatchXml m;
  m.types = "<wsd:Types>PeerDist:PeerDistDataV2</wsd:Types>";
  m.scopes = "<wsd:Scopes>" + presence_base64 + "</wsd:Scopes>";
  m.metadata = "<wsd:MetadataVersion>2</wsd:MetadataVersion>";
  m.peerdist_data = ages_base64.empty()
                        ? std::string()
                        : "<PeerDist:PeerDistData><PeerDist:SegmentAges>" + ages_base64 +
                              "</PeerDist:SegmentAges></PeerDist:PeerDistData>";
  return m;
}

}  // namespace peerdist::wire::pccrd::test
