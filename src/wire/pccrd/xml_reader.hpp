// Internal to the PCCRD decoders: loading an untrusted datagram into pugixml with the limits of
// constants.hpp, and reading it namespace-aware. pugixml keeps names as written ("wsd:Scopes");
// the helpers here resolve prefixes through the in-scope xmlns declarations, so that a sender's
// choice of prefixes (or a default namespace) does not matter.
#pragma once

#include <cstdint>
#include <optional>
#include <pugixml.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "peerdist/util/decode_error.hpp"
#include "peerdist/util/expected.hpp"

namespace peerdist::wire::pccrd::detail {

template <class T>
using Result = Expected<T, util::DecodeError>;

// An expanded name: namespace URI (empty for none) and local name.
struct QName {
  std::string_view uri;
  std::string_view local;
};

// Refuses before parsing: empty, over kMaxDatagramSize, a NUL byte, more than kMaxMarkup '<'.
// Then parses (no DOCTYPE processing: pugixml never expands entities beyond the five predefined
// ones and character references) and refuses a DOCTYPE (SOAP 1.2 forbids one), nesting deeper
// than kMaxXmlDepth, and anything but one root element.
Result<pugi::xml_node> load(pugi::xml_document& doc, std::span<const std::uint8_t> datagram);

// Byte offset of a node in the datagram (0 when pugixml cannot tell).
std::uint64_t offset_of(pugi::xml_node node);

util::DecodeError error_at(pugi::xml_node node, std::string_view field, std::string reason);

// The namespace bound to `prefix` ("" = the default namespace) where `scope` sits; nullopt if
// unbound (the default namespace is never unbound: it is "" then).
std::optional<std::string_view> namespace_of(pugi::xml_node scope, std::string_view prefix);

// Expanded name of an element; an error if its prefix is unbound.
Result<QName> name_of(pugi::xml_node element);
// Expanded QName of a "prefix:local" token (a wsd:Types value) read where `scope` sits.
Result<QName> resolve_qname(pugi::xml_node scope, std::string_view token, std::string_view field);

bool has_name(pugi::xml_node element, std::string_view uri, std::string_view local);

// Element children of `parent` with that expanded name (error on an unbound prefix).
Result<std::vector<pugi::xml_node>> children_named(pugi::xml_node parent, std::string_view uri,
                                                   std::string_view local);
// The one child with that name: an error naming `field` if there are several, an empty node
// (test with `!node`) if there is none.
Result<pugi::xml_node> optional_child(pugi::xml_node parent, std::string_view uri,
                                      std::string_view local, std::string_view field);
// As optional_child(), and an error if there is none.
Result<pugi::xml_node> required_child(pugi::xml_node parent, std::string_view uri,
                                      std::string_view local, std::string_view field);

// The character data of a leaf element (text and CDATA, concatenated); an error if it has
// element children.
Result<std::string> text_of(pugi::xml_node element, std::string_view field);

// Joins text pieces for error reasons. (GCC 12 -O3 reports false -Wrestrict overlaps for
// "literal" + std::string(view) chains; appending to one string does not trip it.)
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

// XML whitespace: space, tab, CR, LF.
bool is_xml_space(char c) noexcept;
std::string_view trim(std::string_view text) noexcept;
// The whitespace-separated items of an XML list value (wsd:Types, Scopes, XAddrs).
std::vector<std::string_view> split_list(std::string_view text);

}  // namespace peerdist::wire::pccrd::detail
