// The PeerDist request headers a client sends, in the forms Windows and iPXE use
// (spec digest §7, §8). `peerdist get` sends these; the server tests replay them.
#pragma once

#include <optional>
#include <string>

namespace peerdist::wire::pccrtp {

struct RequestHeaders {
  std::optional<std::string> accept_encoding;  // nullopt: send no Accept-Encoding
  std::string peerdist;                        // X-P2P-PeerDist
  std::optional<std::string> peerdist_ex;      // X-P2P-PeerDistEx, nullopt: none
  friend bool operator==(const RequestHeaders&, const RequestHeaders&) = default;
};

// A PeerDist 1.0 client (Windows 7 / 2008 R2): CI V1 only.
//   Accept-Encoding: peerdist / X-P2P-PeerDist: Version=1.0
[[nodiscard]] RequestHeaders v1_request();

// A PeerDist 1.1 client taking CI V1 or V2 (iPXE, Windows 8+ with V2 enabled).
//   X-P2P-PeerDist: Version=1.1 / X-P2P-PeerDistEx: MinContentInformation=1.0,
//   MaxContentInformation=2.0
[[nodiscard]] RequestHeaders v1_v2_request();

// A PeerDist 1.1 client that wants CI V2 only (iPXE's recipe to force V2 from IIS).
[[nodiscard]] RequestHeaders v2_only_request();

// The follow-up after MakeHashRequest=true: like v1_v2_request() plus HashRequest=true.
[[nodiscard]] RequestHeaders hash_request();

// A ranged fetch of data that peers did not have (iPXE's form): no peerdist in Accept-Encoding,
// X-P2P-PeerDist: Version=1.1, MissingDataRequest=true, no PeerDistEx.
[[nodiscard]] RequestHeaders missing_data_request();

}  // namespace peerdist::wire::pccrtp
