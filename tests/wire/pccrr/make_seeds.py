#!/usr/bin/env python3
"""Writes the seed corpus of the pccrr_decode fuzzer (fuzz/corpus/pccrr_decode/seed-*.bin).

Each message is laid out field by field from the spec digest's tables
(../shared/spec/pccrr-pccrd-pchc.md §1.3-§1.6), independently of our C++ encoder, so that the
replay test (fuzz_replay_test.cpp), which requires each seed to re-encode to itself, checks the
encoder too. Run from the repository root: python3 tests/wire/pccrr/make_seeds.py
"""
import pathlib
import struct

OUT = pathlib.Path("fuzz/corpus/pccrr_decode")

V1 = 0x00000001  # ProtVer 1.0: minor in bytes 0-1, major in bytes 2-3
V2 = 0x00000002
NONE, AES128, AES192, AES256 = 0, 1, 2, 3


def u32(v):
    return struct.pack(">I", v)


def pad(message):
    """ZeroPad to a multiple of 4 from the message start."""
    return b"\0" * (-len(message) % 4)


def message(prot_ver, msg_type, crypto, body):
    return u32(prot_ver) + u32(msg_type) + u32(16 + len(body)) + u32(crypto) + body


def response(msg):
    return u32(len(msg)) + msg  # TRANSPORT_RESPONSE_HEADER.Size


def seg_id(first, size=32):
    return bytes((first + i) & 0xFF for i in range(size))


def with_id(ident):
    """SizeOfSegmentID, SegmentID, ZeroPad (the header is 16 bytes, so the pad is the ID's)."""
    return u32(len(ident)) + ident + b"\0" * (-len(ident) % 4)


def ranges(pairs):
    return u32(len(pairs)) + b"".join(u32(i) + u32(c) for i, c in pairs)


REQUEST_ID = bytes(range(0xC0, 0xD0))
SEGMENT_AGES = bytes.fromhex("000103020060ea000260ea00")  # the MS-PCCRD example blob


def blk(crypto, ident, index, next_index, block, vrf, iv, prot_ver=V1):
    body = with_id(ident) + u32(index) + u32(next_index) + u32(len(block)) + block
    body += b"\0" * (-len(body) % 4)  # ZeroPad_2 (the header is 16 bytes)
    body += u32(len(vrf)) + vrf
    body += b"\0" * (-len(body) % 4)  # ZeroPad_3
    body += u32(len(iv)) + iv
    return response(message(prot_ver, 5, crypto, body))


SEEDS = {
    # Requests
    "nego-req": message(V1, 0, AES128, u32(V1) + u32(V2)),
    "nego-req-v3": message(0x00010003, 0, NONE, u32(V1) + u32(0x00010003)),
    "getblklist-one-range": message(V1, 2, AES128, with_id(seg_id(0)) + ranges([(0, 512)])),
    "getblklist-odd-id": message(
        V1, 2, AES256, with_id(seg_id(0x40, 30)) + ranges([(2, 3), (10, 1), (42, 7)])),
    "getblks-ipxe": message(V1, 3, AES128, with_id(seg_id(0)) + ranges([(7, 1)]) + u32(0)),
    "getblks-vrf": message(
        V2, 3, AES192, with_id(seg_id(0x80, 48)) + ranges([(0, 1), (5, 2)]) + u32(3) + b"\xaa\xbb\xcc"),
    "getseglist-two-ids": message(
        V2, 6, AES128, REQUEST_ID + u32(2) + with_id(seg_id(0)) + with_id(seg_id(0)) + u32(0)),
    "getseglist-blob": message(
        V2, 6, NONE, REQUEST_ID + u32(3) + with_id(seg_id(0x10)) + with_id(seg_id(0x20, 1))
        + with_id(seg_id(0x30, 64)) + u32(len(SEGMENT_AGES)) + SEGMENT_AGES),
    # Responses
    "nego-resp": response(message(V1, 1, NONE, u32(V1) + u32(V2))),
    "blklist-one-range": response(message(V1, 4, NONE, with_id(seg_id(0)) + ranges([(2, 5)]) + u32(9))),
    "blklist-empty": response(message(V1, 4, NONE, with_id(seg_id(0x11, 31)) + ranges([]) + u32(0))),
    "blk-aes128": blk(AES128, seg_id(0), 3, 4, bytes((i * 7 + 1) & 0xFF for i in range(4112)),
                      b"", bytes(range(0xA0, 0xB0))),
    "blk-odd-pads": blk(NONE, seg_id(0x21, 17), 0, 0, b"\x01\x02\x03\x04\x05",
                        b"\x06\x07\x08\x09\x0a", b"\x0b\x0c\x0d", prot_ver=V2),
    "blk-missing": blk(NONE, seg_id(0), 511, 0, b"", b"", b""),
    "seglist": response(message(
        V2, 7, NONE, REQUEST_ID + ranges([(0, 2), (5, 1)]) + u32(len(SEGMENT_AGES)) + SEGMENT_AGES)),
    "seglist-empty": response(message(V2, 7, NONE, REQUEST_ID + ranges([]) + u32(0))),
    # A10: the 2012 layout, without SizeOfExtensibleBlob.
    "seglist-2012-layout": response(message(V2, 7, NONE, REQUEST_ID + ranges([(0, 2), (4, 1)]))),
}


def nonzero_pads():
    m = bytearray(message(V1, 2, AES128, with_id(seg_id(0x40, 30)) + ranges([(1, 2)])))
    m[50:52] = b"\xff\x01"  # ZeroPad after the 30-byte ID: any value is accepted
    return bytes(m)


# Edge cases worth replaying on every build (not all valid; the fuzz checks must hold anyway).
REGRESSIONS = {
    "nonzero-pads": nonzero_pads(),  # decodes; re-encodes to the canonical zero pads
    # A6: strict rejects the transport Size 0, lenient accepts the message.
    "transport-size-zero": u32(0) + message(V1, 1, NONE, u32(V1) + u32(V2)),
    # A major version the codec does not know: decode_header reads it, decode_request refuses.
    "getblks-v3": message(0x00000003, 3, AES128, with_id(seg_id(0)) + ranges([(7, 1)]) + u32(0)),
    # Index 0xFFFFFFFF with 2 blocks runs past the last index.
    "range-past-last-index": message(V1, 2, AES128, with_id(seg_id(0)) + ranges([(0xFFFFFFFF, 2)])),
    # A ciphertext that is not a multiple of 16: decodes, decrypt_block refuses.
    "blk-odd-ciphertext": blk(AES128, seg_id(0), 0, 0, bytes(17), b"", bytes(16)),
    # CountOfSegmentIDs that would overflow a 32-bit byte count.
    "getseglist-huge-count": message(V2, 6, AES128, REQUEST_ID + u32(0x20000001) + u32(0)),
}

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in SEEDS.items():
        (OUT / f"seed-{name}.bin").write_bytes(data)
    for name, data in REGRESSIONS.items():
        (OUT / f"regress-{name}.bin").write_bytes(data)
    print(f"wrote {len(SEEDS)} seeds and {len(REGRESSIONS)} regression inputs to {OUT}")
