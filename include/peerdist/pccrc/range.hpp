// Content information for a byte range of the content (spec digest §7).
#pragma once

#include <system_error>

#include "peerdist/pccrc/content_information.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::pccrc {

// The CI for `range` cut from a CI that describes at least that range: only the segments that
// intersect it, each V1 block list from block 0 to the last block intersecting the range, header
// fields as in the spec examples. Errc::range_out_of_bounds when `range` is empty or not inside
// `whole.range`.
[[nodiscard]] Expected<ContentInformation, std::error_code> slice(const ContentInformation& whole,
                                                                  ByteRange range);

}  // namespace peerdist::pccrc
