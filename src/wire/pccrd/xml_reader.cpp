#include "xml_reader.hpp"

#include <algorithm>

#include "peerdist/wire/pccrd/constants.hpp"

namespace peerdist::wire::pccrd::detail {
namespace {

constexpr std::string_view kXmlnsAttribute = "xmlns";
constexpr std::string_view kXmlPrefix = "xml";
constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";

util::DecodeError datagram_error(std::uint64_t offset, std::string reason) {
  return util::DecodeError{"datagram", offset, std::move(reason)};
}

// Walks the tree without recursion (whatever the input, the stack stays flat) and refuses a
// DOCTYPE and deep nesting.
Result<bool> check_tree(const pugi::xml_document& doc) {
  std::size_t depth = 0;
  pugi::xml_node node = doc.first_child();
  while (node) {
    if (node.type() == pugi::node_doctype) {
      return Unexpected(error_at(node, "DOCTYPE", "a SOAP message must not have one"));
    }
    if (node.type() == pugi::node_element && depth + 1 > kMaxXmlDepth) {
      return Unexpected(
          error_at(node, "xml", "elements nested deeper than " + std::to_string(kMaxXmlDepth)));
    }
    if (node.first_child()) {
      node = node.first_child();
      ++depth;
      continue;
    }
    while (node && !node.next_sibling()) {
      node = node.parent();
      if (node == doc) return true;
      --depth;
    }
    if (node) node = node.next_sibling();
  }
  return true;
}

}  // namespace

std::uint64_t offset_of(pugi::xml_node node) {
  const std::ptrdiff_t offset = node.offset_debug();
  return offset < 0 ? 0 : static_cast<std::uint64_t>(offset);
}

util::DecodeError error_at(pugi::xml_node node, std::string_view field, std::string reason) {
  return util::DecodeError{std::string(field), offset_of(node), std::move(reason)};
}

Result<pugi::xml_node> load(pugi::xml_document& doc, std::span<const std::uint8_t> datagram) {
  if (datagram.empty()) return Unexpected(datagram_error(0, "empty"));
  if (datagram.size() > kMaxDatagramSize) {
    return Unexpected(datagram_error(
        kMaxDatagramSize,
        std::to_string(datagram.size()) + " bytes, more than a UDP datagram holds (65507)"));
  }
  std::size_t markup = 0;
  for (std::size_t i = 0; i < datagram.size(); ++i) {
    if (datagram[i] == 0) return Unexpected(datagram_error(i, "a NUL byte is not XML"));
    if (datagram[i] == '<' && ++markup > kMaxMarkup) {
      return Unexpected(datagram_error(
          i, "more than " + std::to_string(kMaxMarkup) + " tags: not a PCCRD message"));
    }
  }
  constexpr unsigned kOptions = pugi::parse_escapes | pugi::parse_eol | pugi::parse_cdata |
                                pugi::parse_wconv_attribute | pugi::parse_doctype;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(datagram.data(), datagram.size(), kOptions, pugi::encoding_utf8);
  if (!parsed) {
    const auto offset = parsed.offset < 0 ? 0 : static_cast<std::uint64_t>(parsed.offset);
    return Unexpected(util::DecodeError{"xml", std::min<std::uint64_t>(offset, datagram.size()),
                                        parsed.description()});
  }
  // pugixml drops character data after the root element without complaint; a document ends
  // with markup (the root's end tag, or a comment), so anything else there is not XML.
  std::size_t end = datagram.size();
  while (end > 0 && is_xml_space(static_cast<char>(datagram[end - 1]))) --end;
  if (end == 0 || datagram[end - 1] != '>') {
    return Unexpected(util::DecodeError{"xml", end, "text after the root element"});
  }
  if (auto tree = check_tree(doc); !tree) return Unexpected(tree.error());
  pugi::xml_node root;
  for (pugi::xml_node child = doc.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      return Unexpected(error_at(child, "xml", "text outside the root element"));
    }
    if (child.type() != pugi::node_element) continue;
    if (root) return Unexpected(error_at(child, "xml", "more than one root element"));
    root = child;
  }
  if (!root) return Unexpected(datagram_error(0, "no root element"));
  return root;
}

std::optional<std::string_view> namespace_of(pugi::xml_node scope, std::string_view prefix) {
  if (prefix == kXmlPrefix) return kXmlNamespace;
  // Appended piece by piece: GCC 12 -O3 reports a false -Wrestrict for string + char + string.
  std::string attribute(kXmlnsAttribute);
  if (!prefix.empty()) {
    attribute.push_back(':');
    attribute.append(prefix);
  }
  for (pugi::xml_node node = scope; node && node.type() == pugi::node_element;
       node = node.parent()) {
    if (const pugi::xml_attribute a = node.attribute(attribute.c_str())) {
      const std::string_view uri = a.value();
      // xmlns:p="" undeclares p (XML Namespaces 1.1); xmlns="" means "no default namespace".
      if (uri.empty() && !prefix.empty()) return std::nullopt;
      return uri;
    }
  }
  if (prefix.empty()) return std::string_view{};
  return std::nullopt;
}

Result<QName> resolve_qname(pugi::xml_node scope, std::string_view token, std::string_view field) {
  const std::size_t colon = token.find(':');
  const std::string_view prefix = colon == std::string_view::npos ? "" : token.substr(0, colon);
  const std::string_view local = colon == std::string_view::npos ? token : token.substr(colon + 1);
  if (local.empty() || (colon != std::string_view::npos && prefix.empty()) ||
      local.find(':') != std::string_view::npos) {
    return Unexpected(error_at(scope, field, cat("'", token, "' is not a QName")));
  }
  const auto uri = namespace_of(scope, prefix);
  if (!uri) {
    return Unexpected(
        error_at(scope, field, cat("prefix '", prefix, "' is not bound to a namespace")));
  }
  return QName{*uri, local};
}

Result<QName> name_of(pugi::xml_node element) {
  return resolve_qname(element, element.name(), "xml");
}

bool has_name(pugi::xml_node element, std::string_view uri, std::string_view local) {
  if (element.type() != pugi::node_element) return false;
  const auto name = name_of(element);
  return name && name->uri == uri && name->local == local;
}

Result<std::vector<pugi::xml_node>> children_named(pugi::xml_node parent, std::string_view uri,
                                                   std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node child = parent.first_child(); child; child = child.next_sibling()) {
    if (child.type() != pugi::node_element) continue;
    auto name = name_of(child);
    if (!name) return Unexpected(name.error());
    if (name->uri == uri && name->local == local) out.push_back(child);
  }
  return out;
}

Result<pugi::xml_node> optional_child(pugi::xml_node parent, std::string_view uri,
                                      std::string_view local, std::string_view field) {
  auto found = children_named(parent, uri, local);
  if (!found) return Unexpected(found.error());
  if (found->size() > 1) {
    return Unexpected(error_at((*found)[1], field, "appears more than once"));
  }
  return found->empty() ? pugi::xml_node{} : found->front();
}

Result<pugi::xml_node> required_child(pugi::xml_node parent, std::string_view uri,
                                      std::string_view local, std::string_view field) {
  auto found = optional_child(parent, uri, local, field);
  if (found && !*found) {
    return Unexpected(error_at(parent, field, cat("missing in ", parent.name())));
  }
  return found;
}

Result<std::string> text_of(pugi::xml_node element, std::string_view field) {
  std::string text;
  for (pugi::xml_node child = element.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text += child.value();
    } else if (child.type() == pugi::node_element) {
      return Unexpected(error_at(child, field, "must hold text, not elements"));
    }
  }
  return text;
}

bool is_xml_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_xml_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_xml_space(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_xml_space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_xml_space(text[i])) ++i;
    if (i > start) items.push_back(text.substr(start, i - start));
  }
  return items;
}

}  // namespace peerdist::wire::pccrd::detail
