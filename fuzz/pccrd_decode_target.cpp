#include "pccrd_decode_target.hpp"

#include <exception>
#include <span>
#include <string_view>
#include <variant>

#include "peerdist/wire/pccrd/base64.hpp"
#include "peerdist/wire/pccrd/decode.hpp"
#include "peerdist/wire/pccrd/encode.hpp"
#include "peerdist/wire/pccrd/probe_split.hpp"
#include "peerdist/wire/pccrd/segment_ages.hpp"
#include "peerdist/wire/pccrd/xaddr.hpp"

namespace {

namespace pccrd = peerdist::wire::pccrd;
using peerdist::util::DecodeError;

std::optional<std::string> check_error(const DecodeError& error, std::size_t size,
                                       const char* decoder) {
  if (error.field.empty()) return std::string(decoder) + ": error names no field";
  if (error.offset > size) return std::string(decoder) + ": error offset past the input";
  if (error.reason.empty()) return std::string(decoder) + ": error gives no reason";
  return std::nullopt;
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::optional<std::string> check_probe(std::span<const std::uint8_t> input) {
  const auto decoded = pccrd::decode_probe(input);
  if (!decoded) return check_error(decoded.error(), input.size(), "decode_probe");
  if (!std::holds_alternative<pccrd::Probe>(*decoded)) return std::nullopt;
  const auto& probe = std::get<pccrd::Probe>(*decoded);
  std::string xml;
  try {
    xml = pccrd::encode_probe(probe);
    if (xml.size() != pccrd::probe_size(probe.version, probe.segment_ids, probe.message_id)) {
      return "probe_size() disagrees with encode_probe()";
    }
  } catch (const std::exception& e) {
    return std::string("a decoded probe does not re-encode: ") + e.what();
  }
  const auto again = pccrd::decode_probe(as_bytes(xml));
  if (!again) return "a re-encoded probe does not decode: " + again.error().message();
  if (!std::holds_alternative<pccrd::Probe>(*again)) return "a re-encoded probe is NotForUs";
  if (!(std::get<pccrd::Probe>(*again) == probe)) return "a re-encoded probe decodes differently";
  return std::nullopt;
}

std::optional<std::string> check_probe_match(std::span<const std::uint8_t> input) {
  const auto decoded = pccrd::decode_probe_match(input);
  if (!decoded) return check_error(decoded.error(), input.size(), "decode_probe_match");
  std::string xml;
  try {
    xml = pccrd::encode_probe_match(*decoded);
  } catch (const std::exception& e) {
    return std::string("a decoded ProbeMatch does not re-encode: ") + e.what();
  }
  const auto again = pccrd::decode_probe_match(as_bytes(xml));
  if (!again) return "a re-encoded ProbeMatch does not decode: " + again.error().message();
  if (!(*again == *decoded)) return "a re-encoded ProbeMatch decodes differently";
  return std::nullopt;
}

std::optional<std::string> check_segment_ages(std::span<const std::uint8_t> input) {
  const auto decoded = pccrd::decode_segment_ages(input);
  if (!decoded) return check_error(decoded.error(), input.size(), "decode_segment_ages");
  std::vector<std::uint8_t> blob;
  try {
    blob = pccrd::encode_segment_ages(*decoded);
  } catch (const std::exception& e) {
    return std::string("decoded segment ages do not re-encode: ") + e.what();
  }
  // The encoding is the input without what follows the last entry.
  if (blob.size() > input.size() || !std::equal(blob.begin(), blob.end(), input.begin())) {
    return "segment ages re-encode to other bytes than their input's prefix";
  }
  const auto again = pccrd::decode_segment_ages(blob);
  if (!again || !(*again == *decoded)) return "re-encoded segment ages decode differently";
  return std::nullopt;
}

std::optional<std::string> check_text_helpers(std::span<const std::uint8_t> input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  if (const auto bytes = pccrd::base64_decode(text)) {
    const auto again = pccrd::base64_decode(pccrd::base64_encode(*bytes));
    if (!again || *again != *bytes) return "base64 does not round-trip";
  }
  if (const auto normal = pccrd::normalize_xaddr(text)) {
    if (pccrd::normalize_xaddr(*normal) != normal) return "normalize_xaddr is not idempotent";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> peerdist_fuzz_pccrd_decode(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  if (auto failure = check_probe(input)) return failure;
  if (auto failure = check_probe_match(input)) return failure;
  if (auto failure = check_segment_ages(input)) return failure;
  return check_text_helpers(input);
}
