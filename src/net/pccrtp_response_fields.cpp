#include "peerdist/net/pccrtp_response_fields.hpp"

#include "peerdist/net/pccrtp_access_log.hpp"
#include "peerdist/wire/pccrtp/constants.hpp"
#include "peerdist/wire/pccrtp/peerdist_ex_header.hpp"
#include "peerdist/wire/pccrtp/peerdist_header.hpp"

namespace peerdist::net {

namespace http = boost::beast::http;
namespace pccrtp = wire::pccrtp;

pccrc::Version ci_version_of(const pccrtp::Negotiation& negotiation) noexcept {
  return negotiation.content_information == pccrtp::kContentInformationV2 ? pccrc::Version::v2
                                                                          : pccrc::Version::v1;
}

void set_peerdist_fields(http::fields& fields, const pccrtp::Negotiation& negotiation,
                         std::uint64_t entity_size) {
  pccrtp::PeerDistHeader header;
  header.version = negotiation.response_version;
  header.content_length = entity_size;
  fields.set(http::field::content_encoding, pccrtp::kPeerDistCoding);
  fields.set(pccrtp::kPeerDistField, pccrtp::format_peerdist_header(header));
}

void set_make_hash_fields(http::fields& fields, const pccrtp::Negotiation& negotiation) {
  pccrtp::PeerDistHeader header;
  header.version = negotiation.response_version;
  pccrtp::PeerDistExHeader ex;
  ex.make_hash_request = true;
  fields.set(pccrtp::kPeerDistField, pccrtp::format_peerdist_header(header));
  fields.set(pccrtp::kPeerDistExField, pccrtp::format_peerdist_ex_header(ex));
}

std::string_view peerdist_access_mode(pccrc::Version version) noexcept {
  return version == pccrc::Version::v2 ? kAccessModePeerDistV2 : kAccessModePeerDistV1;
}

}  // namespace peerdist::net
