// SPDX-License-Identifier: GPL-2.0-or-later
// A small, strict XML reader for the firewalld files we import: service and zone definitions.
//
// It reads what those files are made of and nothing more: an XML declaration, comments,
// processing instructions (skipped), elements with attributes in ' or ", self-closing tags,
// character data with the five predefined entities and numeric references, and CDATA. There is
// no DTD and no entity of any other kind, so a file cannot make us fetch, expand or recurse into
// anything: a DOCTYPE is an error. Input we did not write is bounded (size, depth, elements,
// attributes, name length) and every failure is an error with a line and column, never a crash.
// Names must be ASCII; text and attribute values may be any UTF-8.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

struct XmlAttribute {
    std::string name;
    std::string value; // entities decoded, whitespace normalised to spaces as XML says
    unsigned line = 0;
    unsigned column = 0;
};

struct XmlElement {
    std::string name;
    std::vector<XmlAttribute> attributes;
    std::vector<XmlElement> children;
    std::string text;    // the character data directly inside, concatenated, entities decoded
    unsigned line = 0;   // of the '<' that opens it, 1-based
    unsigned column = 0; // 1-based, in characters

    [[nodiscard]] const XmlAttribute* attribute(std::string_view attr_name) const;
};

struct XmlLimits {
    std::size_t max_bytes = std::size_t{1} << 20U; // firewalld's files are a few hundred bytes
    unsigned max_depth = 32;
    std::size_t max_elements = 10000;
    std::size_t max_attributes = 64; // per element
    std::size_t max_name = 256;      // element and attribute names
};

struct XmlError {
    unsigned line = 0;
    unsigned column = 0;
    std::string message;
};

// Parses a whole document and returns its root element, or nullopt with the first error in
// *error (when error is not null).
std::optional<XmlElement> parse_xml(std::string_view text, XmlError* error = nullptr,
                                    const XmlLimits& limits = {});

} // namespace portcullis
