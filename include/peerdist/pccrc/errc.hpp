// Errors of building and slicing content information (parsing reports util::DecodeError).
#pragma once

#include <system_error>

namespace peerdist::pccrc {

enum class Errc {
  empty_content = 1,     // content information cannot describe zero bytes
  range_out_of_bounds,   // the requested range is empty or outside what the CI describes
  hash_not_supported,    // V2 only knows truncated SHA-512
};

[[nodiscard]] const std::error_category& pccrc_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), pccrc_category()};
}

}  // namespace peerdist::pccrc

template <>
struct std::is_error_code_enum<peerdist::pccrc::Errc> : std::true_type {};
