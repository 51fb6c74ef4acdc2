// The cipher of MSG_BLK's Block field (spec digest §1.8, A1, A2): AES-CBC under the segment
// secret Kp, with a fresh random IV per response carried in IVBlock.
//
// Sending: PKCS#7 padding (what Microsoft's test suite exchanges with Windows), key = the first
// 16/24/32 bytes of Kp for CryptoAlgoId 1/2/3. Receiving: the ciphertext must be a multiple of
// 16 bytes; exactly the plaintext length the content information gives is kept and whatever
// padding follows is ignored, not checked (iPXE does the same against Windows peers).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "peerdist/util/expected.hpp"
#include "peerdist/wire/pccrr/message_header.hpp"
#include "peerdist/wire/pccrr/messages.hpp"

namespace peerdist::wire::pccrr {

inline constexpr std::size_t kIvSize = 16;  // IVBlock for AES-CBC: one AES block
using Iv = std::array<std::uint8_t, kIvSize>;

// The size of the Block field for a plaintext block of n bytes: n for none, else PKCS#7-padded
// (a full 64 KiB block becomes 65,552 bytes).
[[nodiscard]] std::size_t encrypted_block_size(CryptoAlgorithm algorithm, std::size_t n) noexcept;

// Encrypts `plaintext` under `kp` into `out` (exactly encrypted_block_size() bytes), with the
// given IV (ignored for none). Errors: Kp shorter than the key, `out` of the wrong size.
Expected<void, std::string> encrypt_block_into(CryptoAlgorithm algorithm,
                                               std::span<const std::uint8_t> kp, const Iv& iv,
                                               std::span<const std::uint8_t> plaintext,
                                               std::span<std::uint8_t> out);

// A whole MSG_BLK response for a server: `message` gives every field but Block and IVBlock;
// a fresh random IV goes into IVBlock (none: no IV) and the ciphertext of `plaintext` is
// written straight into the response, the one copy of the block on this path.
Expected<std::vector<std::uint8_t>, std::string> encode_blk_response(
    const MsgBlk& message, std::span<const std::uint8_t> kp,
    std::span<const std::uint8_t> plaintext);

// The plaintext of a block of `plaintext_size` bytes (from the content information), from
// Block and IVBlock as received, with the key from the first bytes of Kp (A1's usual reading).
// Errors: empty Block (the server does not have it), none with fewer than plaintext_size bytes,
// AES with a ciphertext shorter than plaintext_size or not a multiple of 16, an IV not of 16
// bytes, Kp shorter than the key, plaintext_size 0.
Expected<std::vector<std::uint8_t>, std::string> decrypt_block(CryptoAlgorithm algorithm,
                                                               std::span<const std::uint8_t> kp,
                                                               std::span<const std::uint8_t> iv,
                                                               std::span<const std::uint8_t> block,
                                                               std::size_t plaintext_size);
// The same for a decoded MSG_BLK (its CryptoAlgoId, IVBlock and Block).
Expected<std::vector<std::uint8_t>, std::string> decrypt_block(const MsgBlk& message,
                                                               std::span<const std::uint8_t> kp,
                                                               std::size_t plaintext_size);

// A1's other reading, for a client whose block failed its hash after decrypt_block(): the
// whole 32-byte Kp as an AES-256 key whatever CryptoAlgoId says (what Microsoft's test suite
// does by handing all of Kp to .NET). Errors as decrypt_block(), and Kp must be 32 bytes.
Expected<std::vector<std::uint8_t>, std::string> decrypt_block_whole_kp(
    std::span<const std::uint8_t> kp, std::span<const std::uint8_t> iv,
    std::span<const std::uint8_t> block, std::size_t plaintext_size);

}  // namespace peerdist::wire::pccrr
