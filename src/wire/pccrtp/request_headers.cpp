#include "peerdist/wire/pccrtp/request_headers.hpp"

#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/peerdist_ex_header.hpp"
#include "peerdist/wire/pccrtp/peerdist_header.hpp"

namespace peerdist::wire::pccrtp {
namespace {

std::string version_only(Version version) {
  PeerDistHeader header;
  header.version = version;
  return format_peerdist_header(header);
}

std::string ci_range(Version min, Version max, bool hash = false) {
  PeerDistExHeader ex;
  ex.min_content_information = min;
  ex.max_content_information = max;
  if (hash) ex.hash_request = true;
  return format_peerdist_ex_header(ex);
}

}  // namespace

RequestHeaders v1_request() {
  return {std::string(kPeerDistCoding), version_only(kPeerDistVersion10), std::nullopt};
}

RequestHeaders v1_v2_request() {
  return {std::string(kPeerDistCoding), version_only(kPeerDistVersion11),
          ci_range(kContentInformationV1, kContentInformationV2)};
}

RequestHeaders v2_only_request() {
  return {std::string(kPeerDistCoding), version_only(kPeerDistVersion11),
          ci_range(kContentInformationV2, kContentInformationV2)};
}

RequestHeaders hash_request() {
  return {std::string(kPeerDistCoding), version_only(kPeerDistVersion11),
          ci_range(kContentInformationV1, kContentInformationV2, true)};
}

RequestHeaders missing_data_request() {
  PeerDistHeader header;
  header.version = kPeerDistVersion11;
  header.missing_data_request = true;
  return {std::nullopt, format_peerdist_header(header), std::nullopt};
}

}  // namespace peerdist::wire::pccrtp
