#include "ipc_decode_target.hpp"

#include <algorithm>
#include <span>
#include <vector>

#include "peerdist/ipc/frame.hpp"
#include "peerdist/ipc/messages.hpp"

namespace {

using peerdist::ipc::Frame;
using peerdist::ipc::FrameAssembler;
using peerdist::util::DecodeError;
using Bytes = std::span<const std::uint8_t>;

// FNV-1a: the piece sizes are a function of the whole input, so a crash reproduces from the
// input file alone.
std::uint64_t fnv1a(Bytes bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ULL;
  return h;
}

struct Outcome {
  std::vector<Frame> frames;
  std::optional<DecodeError> error;
  std::uint64_t consumed = 0;
  bool mid_frame = false;
};

bool same_error(const std::optional<DecodeError>& a, const std::optional<DecodeError>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->field == b->field && a->offset == b->offset && a->reason == b->reason);
}

// Feeds `input` in pieces of piece_size() bytes (the last one shorter) until it is used up or
// the assembler fails. Sets `failure` if the assembler misbehaves along the way.
template <class PieceSize>
Outcome assemble(Bytes input, PieceSize piece_size, std::optional<std::string>& failure) {
  Outcome out;
  FrameAssembler assembler;
  // Ends: each pass hands over at least one byte, and each next() call either takes bytes,
  // returns a frame (which took at least a header's bytes) or says it needs more.
  while (!input.empty() && !out.error) {
    Bytes piece = input.first(std::min(input.size(), piece_size()));
    input = input.subspan(piece.size());
    for (;;) {
      const std::size_t before = piece.size();
      auto frame = assembler.next(piece);
      if (!frame) {
        out.error = frame.error();
        Bytes again = piece;
        auto repeated = assembler.next(again);
        if (repeated || !same_error(repeated.error(), out.error) || again.size() != piece.size()) {
          failure = "the assembler's error is not sticky";
        }
        break;
      }
      if (!*frame) {
        if (!piece.empty()) failure = "the assembler wants more bytes but left some untaken";
        break;
      }
      if (before == piece.size() && (*frame)->header.payload_length != 0) {
        // A frame with a payload must have taken at least its last payload byte now.
        failure = "the assembler produced a payload frame without taking bytes";
      }
      out.frames.push_back(std::move(**frame));
    }
    out.consumed = assembler.consumed();
    out.mid_frame = assembler.mid_frame();
  }
  return out;
}

std::optional<std::string> check_frame(const Frame& frame, Bytes original) {
  if (frame.payload.size() != frame.header.payload_length) {
    return "payload length differs from the header's";
  }
  const auto header = peerdist::ipc::encode_header(frame.header);
  if (!std::equal(header.begin(), header.end(), original.begin(),
                  original.begin() + peerdist::ipc::kHeaderSize)) {
    return "header re-encodes differently";
  }
  if (!std::equal(frame.payload.begin(), frame.payload.end(),
                  original.begin() + peerdist::ipc::kHeaderSize, original.end())) {
    return "payload differs from the stream's bytes";
  }
  auto message = peerdist::ipc::decode(frame);
  if (!message) {
    const DecodeError& e = message.error();
    if (e.offset > frame.payload.size()) return "error offset past the payload: " + e.message();
    if (!e.field.starts_with(std::string(peerdist::ipc::name(frame.header.type)) + ".") &&
        e.field != peerdist::ipc::name(frame.header.type)) {
      return "error does not name a field of the message: " + e.message();
    }
    if (e.reason.empty()) return "error gives no reason: " + e.message();
    return std::nullopt;
  }
  if (peerdist::ipc::type_of(*message) != frame.header.type) return "decoded to another type";
  if (peerdist::ipc::encode(*message) != frame.payload) return "payload re-encodes differently";
  const auto whole = peerdist::ipc::encode_frame(frame.header.request_id, *message);
  if (!std::equal(whole.begin(), whole.end(), original.begin(), original.end())) {
    return "frame re-encodes differently";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> peerdist_fuzz_ipc_decode(const std::uint8_t* data, std::size_t size) {
  const Bytes input(data, size);
  std::optional<std::string> failure;

  const Outcome whole = assemble(
      input, [size] { return size; }, failure);
  if (failure) return failure;
  std::uint64_t state = fnv1a(input) | 1U;
  const Outcome pieces = assemble(
      input,
      [&state] {
        // xorshift64: mostly tiny pieces, which split headers and payloads everywhere.
        state ^= state << 13U;
        state ^= state >> 7U;
        state ^= state << 17U;
        return static_cast<std::size_t>(1 + state % 40);
      },
      failure);
  if (failure) return failure;

  if (whole.frames != pieces.frames) return "frames depend on how the stream was split";
  if (!same_error(whole.error, pieces.error))
    return "the error depends on how the stream was split";
  if (whole.consumed != pieces.consumed || whole.mid_frame != pieces.mid_frame) {
    return "the amount taken depends on how the stream was split";
  }
  if (whole.error) {
    if (whole.error->offset >= whole.consumed) return "error offset past the stream taken";
    if (whole.error->field.empty() || whole.error->reason.empty()) return "error names no field";
  } else if (whole.consumed != size) {
    return "the assembler left bytes untaken without an error";
  }

  std::size_t at = 0;
  for (const Frame& frame : whole.frames) {
    const std::size_t length = peerdist::ipc::kHeaderSize + frame.payload.size();
    if (length > size - at) return "frames cover more bytes than the stream has";
    if (auto bad = check_frame(frame, input.subspan(at, length))) return bad;
    at += length;
  }
  return std::nullopt;
}
