// Every case of the spec digest (§3, §4, §8) through the server's decision.
#include "peerdist/wire/pccrtp/decision.hpp"

#include <gtest/gtest.h>

#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/request_headers.hpp"

namespace peerdist::wire::pccrtp {
namespace {

constexpr ResourceFacts kReady{kMinimumPeerDistSize, true, true};
constexpr ResourceFacts kNotHashed{kMinimumPeerDistSize, true, false};

RequestFacts facts(std::optional<std::string_view> accept, std::optional<std::string_view> pd,
                   std::optional<std::string_view> ex = std::nullopt) {
  RequestFacts request;
  request.accept_encoding = accept;
  request.peerdist = pd;
  request.peerdist_ex = ex;
  return request;
}

// The facts view the headers' strings: keep `headers` alive while they are used.
RequestFacts facts(const RequestHeaders& headers) {
  return facts(headers.accept_encoding, headers.peerdist, headers.peerdist_ex);
}

void expect_peerdist(const Decision& d, Version ci, Version response) {
  ASSERT_EQ(d.outcome, Outcome::kPeerDist)
      << (d.reason ? to_string(*d.reason) : std::string_view("not plain"));
  ASSERT_TRUE(d.negotiation.has_value());
  EXPECT_EQ(d.negotiation->content_information, ci);
  EXPECT_EQ(d.negotiation->response_version, response);
}

void expect_plain(const Decision& d, PlainReason reason) {
  EXPECT_EQ(d.outcome, Outcome::kPlain);
  EXPECT_EQ(d.reason, reason);
  EXPECT_FALSE(d.negotiation.has_value());
}

TEST(Decision, SpecExampleWindows8MaxV1GetsV1AndVersion11) {
  // §8: Accept-Encoding: gzip, deflate, peerdist; Version=1.1; Min=1.0, Max=1.0.
  expect_peerdist(decide(facts("gzip, deflate, peerdist", "Version=1.1",
                               "MinContentInformation=1.0, MaxContentInformation=1.0"),
                         kReady),
                  kContentInformationV1, kPeerDistVersion11);
}

TEST(Decision, Version10WithoutPeerDistExGetsV1AndVersion10) {
  expect_peerdist(decide(facts(v1_request()), kReady), kContentInformationV1, kPeerDistVersion10);
}

TEST(Decision, Version11WithoutPeerDistExGetsV1) {
  expect_peerdist(decide(facts("peerdist", "Version=1.1"), kReady), kContentInformationV1,
                  kPeerDistVersion11);
}

TEST(Decision, MaxV2GetsV2) {
  expect_peerdist(decide(facts(v1_v2_request()), kReady), kContentInformationV2, kPeerDistVersion11);
  expect_peerdist(decide(facts(v2_only_request()), kReady), kContentInformationV2, kPeerDistVersion11);
}

TEST(Decision, UnsupportedVersionGetsPlain) {
  expect_plain(decide(facts("peerdist", "Version=999.999"), kReady),
               PlainReason::kUnsupportedVersion);
  expect_plain(decide(facts("peerdist", "Version=1.2"), kReady), PlainReason::kUnsupportedVersion);
  expect_plain(decide(facts("peerdist", "Version=2.0"), kReady), PlainReason::kUnsupportedVersion);
}

TEST(Decision, ContentInformationRangeOutsideOursGetsPlain) {
  // Microsoft's ContentInformationVersionIncompatible: Min=900.0, Max=999.0.
  expect_plain(decide(facts("peerdist", "Version=1.1",
                            "MinContentInformation=900.0, MaxContentInformation=999.0"),
                      kReady),
               PlainReason::kNoCommonContentInformationVersion);
  // Min above Max: an empty range.
  expect_plain(decide(facts("peerdist", "Version=1.1",
                            "MinContentInformation=2.0, MaxContentInformation=1.0"),
                      kReady),
               PlainReason::kNoCommonContentInformationVersion);
  // 1.5..1.9 contains neither 1.0 nor 2.0.
  expect_plain(decide(facts("peerdist", "Version=1.1",
                            "MinContentInformation=1.5, MaxContentInformation=1.9"),
                      kReady),
               PlainReason::kNoCommonContentInformationVersion);
}

TEST(Decision, PartialRangesDefaultSensibly) {
  // Only Max: Min is 1.0.
  expect_peerdist(decide(facts("peerdist", "Version=1.1", "MaxContentInformation=2.0"), kReady),
                  kContentInformationV2, kPeerDistVersion11);
  // Only Min=2.0: Max is Min.
  expect_peerdist(decide(facts("peerdist", "Version=1.1", "MinContentInformation=2.0"), kReady),
                  kContentInformationV2, kPeerDistVersion11);
  // PeerDistEx without Min/Max: V1, as without the header.
  expect_peerdist(decide(facts("peerdist", "Version=1.1", "Unknown=1"), kReady),
                  kContentInformationV1, kPeerDistVersion11);
  // A wide range including 2.0 picks the newest.
  expect_peerdist(decide(facts("peerdist", "Version=1.1",
                               "MinContentInformation=1.0, MaxContentInformation=999.0"),
                         kReady),
                  kContentInformationV2, kPeerDistVersion11);
}

TEST(Decision, MissingDataRequest) {
  expect_plain(decide(facts("peerdist", "Version=1.1, MissingDataRequest=true"), kReady),
               PlainReason::kMissingDataRequest);
  expect_peerdist(decide(facts("peerdist", "Version=1.1, MissingDataRequest=false"), kReady),
                  kContentInformationV1, kPeerDistVersion11);
  expect_plain(decide(facts("peerdist", "Version=1.1, MissingDataRequest=InvalidValue"), kReady),
               PlainReason::kMalformedPeerDistHeader);
  // iPXE's form has no peerdist in Accept-Encoding at all.
  expect_plain(decide(facts(missing_data_request()), kReady), PlainReason::kNoPeerDistCoding);
}

TEST(Decision, NoPeerDistInAcceptEncodingGetsPlain) {
  expect_plain(decide(facts("gzip, deflate", "Version=1.1"), kReady),
               PlainReason::kNoPeerDistCoding);
  expect_plain(decide(facts(std::nullopt, "Version=1.1"), kReady), PlainReason::kNoPeerDistCoding);
  expect_plain(decide(facts("peerdist;q=0", "Version=1.1"), kReady),
               PlainReason::kNoPeerDistCoding);
}

TEST(Decision, HeaderProblemsGetPlain) {
  expect_plain(decide(facts("peerdist", std::nullopt), kReady), PlainReason::kNoPeerDistHeader);
  expect_plain(decide(facts("peerdist", "ContentLength=5"), kReady),
               PlainReason::kMalformedPeerDistHeader);
  expect_plain(decide(facts("peerdist", "garbage"), kReady), PlainReason::kMalformedPeerDistHeader);
  expect_plain(decide(facts("peerdist", "Version=1.1", "MaxContentInformation=two"), kReady),
               PlainReason::kMalformedPeerDistExHeader);
}

TEST(Decision, RangeGetsPlain) {
  const auto headers = v1_v2_request();
  auto request = facts(headers);
  request.has_range = true;
  expect_plain(decide(request, kReady), PlainReason::kRange);
}

TEST(Decision, NonGetGetsPlainAndHttp10MayGetPeerDist) {
  const auto headers = v1_request();
  auto request = facts(headers);
  request.method = Method::kHead;
  expect_plain(decide(request, kReady), PlainReason::kNotGet);
  request.method = Method::kOther;
  expect_plain(decide(request, kReady), PlainReason::kNotGet);
  request.method = Method::kGet;
  request.http_1_0 = true;
  expect_peerdist(decide(request, kReady), kContentInformationV1, kPeerDistVersion10);
}

TEST(Decision, NotHashedYetGetsMakeHashRequestNamingTheCiToBuild) {
  const auto d = decide(facts(v2_only_request()), kNotHashed);
  EXPECT_EQ(d.outcome, Outcome::kPlainMakeHashRequest);
  ASSERT_TRUE(d.negotiation.has_value());
  EXPECT_EQ(d.negotiation->content_information, kContentInformationV2);
  EXPECT_EQ(d.negotiation->response_version, kPeerDistVersion11);
}

TEST(Decision, HashRequestFollowUp) {
  // Once hashed: peerdist; still hashing: MakeHashRequest again.
  const auto ready = decide(facts(hash_request()), kReady);
  expect_peerdist(ready, kContentInformationV2, kPeerDistVersion11);
  EXPECT_TRUE(ready.negotiation->hash_request);
  EXPECT_EQ(decide(facts(hash_request()), kNotHashed).outcome, Outcome::kPlainMakeHashRequest);
  // The spec's example omits Accept-Encoding: without it the client cannot take the coding.
  expect_plain(decide(facts(std::nullopt, "Version=1.1",
                            "MinContentInformation=1.0, MaxContentInformation=2.0, "
                            "HashRequest=true"),
                      kReady),
               PlainReason::kNoPeerDistCoding);
}

TEST(Decision, ResourcePolicies) {
  const auto headers = v1_v2_request();
  const auto request = facts(headers);
  expect_plain(decide(request, ResourceFacts{kMinimumPeerDistSize - 1, true, true}),
               PlainReason::kTooSmall);
  expect_plain(decide(request, ResourceFacts{0, true, true}), PlainReason::kTooSmall);
  expect_plain(decide(request, ResourceFacts{kMinimumPeerDistSize, false, true}),
               PlainReason::kNoValidator);
  // Request reasons come first: a HEAD of a small file says not-get.
  auto head = request;
  head.method = Method::kHead;
  expect_plain(decide(head, ResourceFacts{1, true, true}), PlainReason::kNotGet);
}

}  // namespace
}  // namespace peerdist::wire::pccrtp
