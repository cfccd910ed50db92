// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/xml.hpp"

#include <catch2/catch.hpp>
#include <cstdint>

using namespace portcullis;

namespace {

// "LINE:COLUMN: message" of the first error, or "" when the document parses.
std::string error_of(std::string_view text, const XmlLimits& limits = {}) {
    XmlError e;
    if (parse_xml(text, &e, limits))
        return "";
    return std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message;
}

} // namespace

TEST_CASE("xml: a firewalld-like document parses with positions", "[xml]") {
    auto root = parse_xml("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<!-- a comment -->\n"
                          "<service version='2'>\n"
                          "  <short>Web &amp; more &#233;&#x263A;</short>\n"
                          "  <port port=\"80\"\tprotocol='tcp'/>\n"
                          "  <?ignored instruction?>\n"
                          "  <description><![CDATA[<raw> & text]]></description>\n"
                          "</service>\n");
    REQUIRE(root);
    CHECK(root->name == "service");
    CHECK(root->line == 3);
    CHECK(root->column == 1);
    REQUIRE(root->attribute("version"));
    CHECK(root->attribute("version")->value == "2");
    REQUIRE(root->children.size() == 3);
    CHECK(root->children[0].text == "Web & more \xC3\xA9\xE2\x98\xBA");
    const XmlElement& port = root->children[1];
    CHECK(port.name == "port");
    CHECK(port.line == 5);
    CHECK(port.column == 3);
    REQUIRE(port.attributes.size() == 2);
    CHECK(port.attribute("protocol")->value == "tcp");
    CHECK(port.attribute("protocol")->column == 19);
    CHECK(port.attribute("missing") == nullptr);
    CHECK(root->children[2].text == "<raw> & text");
}

TEST_CASE("xml: attribute values are normalised and every entity is decoded", "[xml]") {
    auto root = parse_xml("<a v=\"x\ny&lt;&gt;&quot;&apos;\"/>");
    REQUIRE(root);
    CHECK(root->attribute("v")->value == "x y<>\"'");
    CHECK(root->children.empty());
}

TEST_CASE("xml: broken documents are errors with line and column", "[xml]") {
    CHECK(error_of("") == "1:1: no root element");
    CHECK(error_of("<a>\n<b>\n</a>") == "3:1: </a> does not close <b> of line 2");
    CHECK(error_of("<a>\n  <b x='1'") == "2:3: unterminated tag <b>");
    CHECK(error_of("<a>\n<b/>") == "1:1: element <a> is not closed");
    CHECK(error_of("<a x='1' x='2'/>") == "1:10: attribute 'x' given twice");
    CHECK(error_of("<a x=1/>") == "1:6: the value of attribute 'x' must be in quotes");
    CHECK(error_of("<a x='<'/>") == "1:7: '<' is not allowed in an attribute value");
    CHECK(error_of("<a x='1'y='2'/>") == "1:9: expected whitespace, '>' or '/>' in <a>");
    CHECK(error_of("<a>&nbsp;</a>") ==
          "1:4: unknown entity '&nbsp;' (only &lt; &gt; &amp; &quot; &apos; and &#N; are "
          "supported)");
    CHECK(error_of("<a>AT&T</a>") == "1:6: '&' must start an entity such as &amp;");
    CHECK(error_of("<a>&#0;</a>") == "1:4: bad character reference '&#0;'");
    CHECK(error_of("<a>&#xD800;</a>") == "1:4: bad character reference '&#xD800;'");
    CHECK(error_of("<a>&#99999999999;</a>") == "1:4: bad character reference '&#99999999999;'");
    CHECK(error_of("<a/><b/>") == "1:5: content after the root element </a>");
    CHECK(error_of("text") == "1:1: expected the root element");
    CHECK(error_of("<a><!-- x -- y --></a>") == "1:11: '--' is not allowed inside a comment");
    CHECK(error_of("<a><!-- x </a>") == "1:4: unterminated comment");
    CHECK(error_of("<a><![CDATA[x</a>") == "1:4: unterminated CDATA section");
    CHECK(error_of("<a>]]></a>") == "1:4: ']]>' is not allowed in text");
    CHECK(error_of("<a><?pi </a>") == "1:4: unterminated processing instruction");
    CHECK(error_of("<a/><?xml version='1.0'?>") ==
          "1:5: the XML declaration must come first in the file");
    CHECK(error_of("<?xml version='1.0' encoding='ISO-8859-1'?><a/>") ==
          "1:21: unsupported encoding 'ISO-8859-1' (UTF-8 only)");
    CHECK(error_of("<?xml encoding='utf-8'?><a/>") == "1:1: the XML declaration has no version");
    CHECK(error_of("<\xC3\xA9/>") == "1:2: an element name must be ASCII here");
}

TEST_CASE("xml: DTDs and entities beyond the five are refused", "[xml]") {
    CHECK(error_of("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>") ==
          "1:1: DTDs are not supported (remove the DOCTYPE)");
    CHECK(error_of("<a><!ENTITY x 'y'></a>") ==
          "1:4: DTDs and <!...> declarations are not supported");
}

TEST_CASE("xml: bytes that are not XML characters are errors, not crashes", "[xml]") {
    using namespace std::string_literals;
    CHECK(error_of("<a>\n x\0</a>"s) == "2:3: NUL byte (this is not a text file)");
    CHECK(error_of("<a>\xff</a>") == "1:4: invalid UTF-8");
    CHECK(error_of("<a>\xC0\xAF</a>") == "1:4: invalid UTF-8");     // overlong '/'
    CHECK(error_of("<a>\xED\xA0\x80</a>") == "1:4: invalid UTF-8"); // a surrogate
    CHECK(error_of("<a>\x01</a>") == "1:4: character U+0001 is not allowed in XML");
    CHECK(error_of("<a>\xEF\xBF\xBE</a>") == "1:4: character U+FFFE is not allowed in XML");
}

TEST_CASE("xml: hostile sizes hit the limits", "[xml]") {
    std::string deep;
    for (int i = 0; i < 100000; ++i)
        deep += "<a>";
    CHECK(error_of(deep).ends_with("elements nested deeper than 32"));

    std::string many = "<r>";
    for (int i = 0; i < 20000; ++i)
        many += "<a/>";
    many += "</r>";
    CHECK(error_of(many).ends_with("more than 10000 elements"));

    std::string attrs = "<a";
    for (int i = 0; i < 100; ++i)
        attrs += " a" + std::to_string(i) + "='x'";
    CHECK(error_of(attrs + "/>").ends_with("more than 64 attributes"));

    CHECK(error_of("<" + std::string(300, 'n') + "/>") ==
          "1:2: an element name longer than 256 characters");
    CHECK(error_of("<a v='" + std::string(2000000, 'x') + "'/>") ==
          "1:1: larger than 1048576 bytes");

    XmlLimits small;
    small.max_depth = 2;
    CHECK(error_of("<a><b/></a>", small).empty());
    CHECK(error_of("<a><b><c/></b></a>", small) == "1:7: elements nested deeper than 2");
}

TEST_CASE("xml: random and truncated input never crashes", "[xml]") {
    const std::string doc = "<?xml version=\"1.0\"?>\n<service><short>S &amp; T</short>"
                            "<port port=\"22\" protocol='tcp'/><![CDATA[x]]><!-- c --></service>";
    // Every prefix of a good document: all but the whole are errors.
    for (std::size_t n = 0; n < doc.size(); ++n)
        CHECK_FALSE(parse_xml(doc.substr(0, n)));
    CHECK(parse_xml(doc));
    // A cheap deterministic generator over the bytes XML cares about.
    std::uint32_t state = 12345;
    const std::string alphabet = "<>/=&;#x'\"!?-[]CDATa b\n\xC3\xA9\xff";
    for (int round = 0; round < 3000; ++round) {
        std::string s;
        for (int i = 0; i < 40; ++i) {
            state = state * 1103515245 + 12345;
            s += alphabet[(state >> 16) % alphabet.size()];
        }
        XmlError e;
        if (!parse_xml(s, &e))
            CHECK(e.line >= 1);
    }
}
