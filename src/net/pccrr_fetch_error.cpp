#include "peerdist/net/pccrr_fetch_error.hpp"

namespace peerdist::net {

std::string_view to_string(FetchError error) noexcept {
  switch (error) {
    case FetchError::not_held: return "not_held";
    case FetchError::timed_out: return "timed_out";
    case FetchError::connection_failed: return "connection_failed";
    case FetchError::bad_data: return "bad_data";
    case FetchError::malformed: return "malformed";
    case FetchError::version_mismatch: return "version_mismatch";
  }
  return "unknown";
}

}  // namespace peerdist::net
