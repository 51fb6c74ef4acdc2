#include "pccrr_decode_target.hpp"

#include <algorithm>
#include <exception>
#include <span>
#include <variant>
#include <vector>

#include "peerdist/wire/pccrr/block_cipher.hpp"
#include "peerdist/wire/pccrr/codec.hpp"

namespace {

using namespace peerdist::wire::pccrr;  // NOLINT(google-build-using-namespace): one codec
using Bytes = std::vector<std::uint8_t>;
using Failure = std::optional<std::string>;

Failure check_error(const peerdist::util::DecodeError& error, std::size_t size) {
  if (error.offset > size) return "error offset past the input: " + error.message();
  if (error.field.empty()) return "error names no field: " + error.message();
  if (error.reason.empty()) return "error gives no reason: " + error.message();
  return std::nullopt;
}

bool same(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

Failure check_request(std::span<const std::uint8_t> input) {
  auto header = decode_header(input);
  if (!header) {
    if (auto failure = check_error(header.error(), input.size())) return failure;
  }
  auto request = decode_request(input);
  if (!request) return check_error(request.error(), input.size());
  if (!header) return "a request decodes but its header does not";
  if (header->type != type_of(*request)) return "decode_header reads another MsgType";

  Bytes encoded;
  try {
    encoded = encode_request(*request);
  } catch (const std::exception& e) {
    return std::string("a decoded request does not encode: ") + e.what();
  }
  if (same(encoded, input)) return std::nullopt;
  // Not byte for byte: only pad values may differ, so the size is the same.
  if (encoded.size() != input.size()) return "request re-encodes to another size";
  auto again = decode_request(encoded);
  if (!again) return "canonical request does not decode: " + again.error().message();
  if (!(*again == *request)) return "canonical request decodes to another message";
  if (encode_request(*again) != encoded) return "canonical request is not stable";
  return std::nullopt;
}

// The 2012 SEGLIST layout (A10) decodes with an empty blob and re-encodes 4 bytes longer.
bool may_grow_by_blob_size(const Response& response) {
  const auto* seglist = std::get_if<MsgSegList>(&response);
  return seglist != nullptr && seglist->extensible_blob.empty();
}

Failure check_response_encoding(std::span<const std::uint8_t> input, const Response& response) {
  Bytes encoded;
  try {
    encoded = encode_response(response);
  } catch (const std::exception& e) {
    return std::string("a decoded response does not encode: ") + e.what();
  }
  if (same(encoded, input)) return std::nullopt;
  if (encoded.size() != input.size() &&
      !(may_grow_by_blob_size(response) && encoded.size() == input.size() + 4)) {
    return "response re-encodes to another size";
  }
  auto again = decode_response(encoded);
  if (!again) return "canonical response does not decode: " + again.error().message();
  if (!(*again == response)) return "canonical response decodes to another message";
  if (encode_response(*again) != encoded) return "canonical response is not stable";
  return std::nullopt;
}

Failure check_block(const MsgBlk& blk, std::span<const std::uint8_t> input) {
  // A plaintext size and Kp picked from the input, so a crash reproduces from the file alone.
  const std::size_t plaintext_size = input.size() % (blk.block.size() + 17);
  const Bytes kp(32, input.empty() ? 0 : input.back());
  auto plain = decrypt_block(blk, kp, plaintext_size);
  if (plain && plain->size() != plaintext_size) return "decrypt_block kept the wrong length";
  auto whole = decrypt_block_whole_kp(kp, blk.iv, blk.block, plaintext_size);
  if (whole && whole->size() != plaintext_size) return "decrypt_block_whole_kp: wrong length";
  return std::nullopt;
}

Failure check_response(std::span<const std::uint8_t> input) {
  auto strict = decode_response(input, {TransportSizeCheck::strict});
  auto lenient = decode_response(input, {TransportSizeCheck::lenient});
  if (!strict) {
    if (auto failure = check_error(strict.error(), input.size())) return failure;
  }
  if (!lenient) {
    if (strict) return "strict accepts what lenient rejects";
    return check_error(lenient.error(), input.size());
  }
  if (strict && !(*strict == *lenient)) return "strict and lenient decode differently";
  if (auto failure = check_response_encoding(input, *lenient)) return failure;
  if (const auto* blk = std::get_if<MsgBlk>(&*lenient)) return check_block(*blk, input);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> peerdist_fuzz_pccrr_decode(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  if (auto failure = check_request(input)) return "as a request: " + *failure;
  if (auto failure = check_response(input)) return "as a response: " + *failure;
  return std::nullopt;
}
