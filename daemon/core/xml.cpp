// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/xml.hpp"

#include "core/utf8.hpp"

#include <cstdint>

namespace portcullis {

const XmlAttribute* XmlElement::attribute(std::string_view attr_name) const {
    for (const auto& a : attributes)
        if (a.name == attr_name)
            return &a;
    return nullptr;
}

namespace {

// Thrown inside the parser only; parse_xml turns it into an XmlError.
struct Failure {
    unsigned line;
    unsigned column;
    std::string message;
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// XML 1.0's Char production: what may appear in a document at all.
bool xml_char(char32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

std::string hex_code(char32_t cp) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    do {
        out.insert(out.begin(), digits[cp & 0xFU]);
        cp >>= 4U;
    } while (cp != 0);
    while (out.size() < 4)
        out.insert(out.begin(), '0');
    return "U+" + out;
}

class Parser {
public:
    Parser(std::string_view text, const XmlLimits& limits) : s_(text), lim_(limits) {}

    XmlElement document();

private:
    std::string_view s_;
    const XmlLimits& lim_;
    std::size_t i_ = 0;
    unsigned line_ = 1;
    unsigned col_ = 1;
    std::size_t elements_ = 0;

    [[noreturn]] void fail(const std::string& message) const {
        throw Failure{line_, col_, message};
    }
    [[noreturn]] static void fail_at(unsigned line, unsigned column, const std::string& message) {
        throw Failure{line, column, message};
    }
    [[nodiscard]] bool eof() const { return i_ >= s_.size(); }
    [[nodiscard]] char peek(std::size_t k = 0) const {
        return i_ + k < s_.size() ? s_[i_ + k] : '\0';
    }
    [[nodiscard]] bool starts(std::string_view w) const { return s_.substr(i_).starts_with(w); }
    void advance(std::size_t n = 1) {
        for (; n > 0 && i_ < s_.size(); --n) {
            char c = s_[i_++];
            if (c == '\n') {
                ++line_;
                col_ = 1;
            } else if (!utf8_continuation(c)) {
                ++col_;
            }
        }
    }
    bool skip_space() {
        bool any = false;
        while (!eof() && is_space(peek())) {
            advance();
            any = true;
        }
        return any;
    }

    void check_characters();
    void declaration();
    void misc();
    void comment();
    void processing_instruction();
    void cdata(std::string& out);
    void reference(std::string& out);
    void text(std::string& out);
    std::string name(std::string_view what);
    XmlAttribute attribute();
    bool start_tag(XmlElement& e);
    void end_tag(const XmlElement& e);
    XmlElement element();
};

// One pass over the whole input first, so that everything after it may treat the text as
// valid UTF-8 made of characters XML allows.
void Parser::check_characters() {
    unsigned line = 1;
    unsigned col = 1;
    for (std::size_t i = 0; i < s_.size();) {
        char32_t cp = 0;
        std::size_t n = utf8_decode(s_, i, &cp);
        if (n == 0)
            fail_at(line, col, "invalid UTF-8");
        if (cp == 0)
            fail_at(line, col, "NUL byte (this is not a text file)");
        if (!xml_char(cp))
            fail_at(line, col, "character " + hex_code(cp) + " is not allowed in XML");
        if (cp == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
        i += n;
    }
}

std::string Parser::name(std::string_view what) {
    if (!name_start(peek())) {
        if (static_cast<unsigned char>(peek()) >= 0x80)
            fail(std::string(what) + " must be ASCII here");
        fail("expected " + std::string(what));
    }
    std::size_t start = i_;
    unsigned line = line_;
    unsigned col = col_;
    while (!eof() && name_char(peek()))
        advance();
    if (i_ - start > lim_.max_name)
        fail_at(line, col,
                std::string(what) + " longer than " + std::to_string(lim_.max_name) +
                    " characters");
    return std::string(s_.substr(start, i_ - start));
}

void Parser::comment() {
    unsigned line = line_;
    unsigned col = col_;
    advance(4); // "<!--"
    std::size_t dashes = s_.find("--", i_);
    if (dashes == std::string_view::npos)
        fail_at(line, col, "unterminated comment");
    advance(dashes - i_);
    if (!starts("-->"))
        fail("'--' is not allowed inside a comment");
    advance(3);
}

void Parser::processing_instruction() {
    unsigned line = line_;
    unsigned col = col_;
    advance(2); // "<?"
    std::string target = name("a processing instruction target");
    if (target.size() == 3 && (target[0] | 0x20) == 'x' && (target[1] | 0x20) == 'm' &&
        (target[2] | 0x20) == 'l')
        fail_at(line, col, "the XML declaration must come first in the file");
    std::size_t end = s_.find("?>", i_);
    if (end == std::string_view::npos)
        fail_at(line, col, "unterminated processing instruction");
    advance(end + 2 - i_);
}

void Parser::cdata(std::string& out) {
    unsigned line = line_;
    unsigned col = col_;
    advance(9); // "<![CDATA["
    std::size_t end = s_.find("]]>", i_);
    if (end == std::string_view::npos)
        fail_at(line, col, "unterminated CDATA section");
    for (char c : s_.substr(i_, end - i_))
        if (c != '\r')
            out += c;
    advance(end + 3 - i_);
}

void Parser::reference(std::string& out) {
    unsigned line = line_;
    unsigned col = col_;
    advance(); // '&'
    std::size_t semi = s_.find(';', i_);
    // Every name or number we accept is short; a far ';' means a bare '&'.
    if (semi == std::string_view::npos || semi - i_ > 32 || semi == i_)
        fail_at(line, col, "'&' must start an entity such as &amp;");
    std::string_view ref = s_.substr(i_, semi - i_);
    advance(ref.size() + 1);
    if (ref[0] == '#') {
        bool hex = ref.size() > 1 && ref[1] == 'x';
        std::string_view digits = ref.substr(hex ? 2 : 1);
        std::uint32_t value = 0;
        bool ok = !digits.empty();
        for (char c : digits) {
            int d = -1;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            if (d < 0 || value > 0x10FFFF) {
                ok = false;
                break;
            }
            value = value * (hex ? 16U : 10U) + static_cast<std::uint32_t>(d);
        }
        if (!ok || !xml_char(value))
            fail_at(line, col, "bad character reference '&" + std::string(ref) + ";'");
        utf8_append(out, value);
        return;
    }
    if (ref == "lt")
        out += '<';
    else if (ref == "gt")
        out += '>';
    else if (ref == "amp")
        out += '&';
    else if (ref == "quot")
        out += '"';
    else if (ref == "apos")
        out += '\'';
    else
        fail_at(line, col,
                "unknown entity '&" + std::string(ref) +
                    ";' (only &lt; &gt; &amp; &quot; &apos; and &#N; are supported)");
}

void Parser::text(std::string& out) {
    while (!eof() && peek() != '<') {
        char c = peek();
        if (c == '&') {
            reference(out);
            continue;
        }
        if (c == ']' && starts("]]>"))
            fail("']]>' is not allowed in text");
        if (c != '\r')
            out += c;
        advance();
    }
}

XmlAttribute Parser::attribute() {
    XmlAttribute a;
    a.line = line_;
    a.column = col_;
    a.name = name("an attribute name");
    skip_space();
    if (peek() != '=')
        fail("expected '=' after attribute '" + a.name + "'");
    advance();
    skip_space();
    char quote = peek();
    if (quote != '"' && quote != '\'')
        fail("the value of attribute '" + a.name + "' must be in quotes");
    advance();
    while (peek() != quote) {
        if (eof())
            fail_at(a.line, a.column, "unterminated value of attribute '" + a.name + "'");
        char c = peek();
        if (c == '<')
            fail("'<' is not allowed in an attribute value");
        if (c == '&') {
            reference(a.value);
            continue;
        }
        // XML normalises line breaks and tabs in attribute values to spaces.
        if (c == '\r' && peek(1) == '\n') {
            advance();
            continue;
        }
        a.value += is_space(c) ? ' ' : c;
        advance();
    }
    advance();
    return a;
}

// Reads "<name attr='v' ...>" or "<name .../>"; returns true for a self-closing tag.
bool Parser::start_tag(XmlElement& e) {
    e.line = line_;
    e.column = col_;
    advance(); // '<'
    e.name = name("an element name");
    if (++elements_ > lim_.max_elements)
        fail("more than " + std::to_string(lim_.max_elements) + " elements");
    while (true) {
        bool spaced = skip_space();
        if (starts("/>")) {
            advance(2);
            return true;
        }
        if (peek() == '>') {
            advance();
            return false;
        }
        if (eof())
            fail_at(e.line, e.column, "unterminated tag <" + e.name + ">");
        if (!spaced)
            fail("expected whitespace, '>' or '/>' in <" + e.name + ">");
        XmlAttribute a = attribute();
        if (e.attribute(a.name))
            fail_at(a.line, a.column, "attribute '" + a.name + "' given twice");
        if (e.attributes.size() >= lim_.max_attributes)
            fail_at(a.line, a.column,
                    "more than " + std::to_string(lim_.max_attributes) + " attributes");
        e.attributes.push_back(std::move(a));
    }
}

void Parser::end_tag(const XmlElement& e) {
    unsigned line = line_;
    unsigned col = col_;
    advance(2); // "</"
    std::string n = name("an element name");
    if (n != e.name)
        fail_at(line, col,
                "</" + n + "> does not close <" + e.name + "> of line " + std::to_string(e.line));
    skip_space();
    if (peek() != '>')
        fail("expected '>' to end </" + n + ">");
    advance();
}

// Iterative, so that nesting costs heap (bounded by max_depth), never stack.
XmlElement Parser::element() {
    std::vector<XmlElement> open;
    open.emplace_back();
    if (start_tag(open.back()))
        return std::move(open.back());
    while (true) {
        XmlElement& top = open.back();
        if (eof())
            fail_at(top.line, top.column, "element <" + top.name + "> is not closed");
        if (peek() != '<') {
            text(top.text);
        } else if (starts("</")) {
            end_tag(top);
            XmlElement done = std::move(top);
            open.pop_back();
            if (open.empty())
                return done;
            open.back().children.push_back(std::move(done));
        } else if (starts("<!--")) {
            comment();
        } else if (starts("<![CDATA[")) {
            cdata(top.text);
        } else if (starts("<?")) {
            processing_instruction();
        } else if (starts("<!")) {
            fail("DTDs and <!...> declarations are not supported");
        } else {
            if (open.size() >= lim_.max_depth)
                fail("elements nested deeper than " + std::to_string(lim_.max_depth));
            XmlElement child;
            if (start_tag(child))
                top.children.push_back(std::move(child));
            else
                open.push_back(std::move(child)); // invalidates top; the loop takes it anew
        }
    }
}

void Parser::declaration() {
    unsigned line = line_;
    unsigned col = col_;
    advance(5); // "<?xml"
    bool have_version = false;
    while (true) {
        skip_space();
        if (starts("?>")) {
            advance(2);
            break;
        }
        if (eof())
            fail_at(line, col, "unterminated XML declaration");
        XmlAttribute a = attribute();
        if (a.name == "version") {
            have_version = true;
            if (!a.value.starts_with("1."))
                fail_at(a.line, a.column, "unsupported XML version '" + a.value + "'");
        } else if (a.name == "encoding") {
            std::string enc;
            for (char c : a.value)
                enc += static_cast<char>((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
            if (enc != "utf-8" && enc != "utf8" && enc != "us-ascii")
                fail_at(a.line, a.column, "unsupported encoding '" + a.value + "' (UTF-8 only)");
        } else if (a.name != "standalone") {
            fail_at(a.line, a.column, "unknown '" + a.name + "' in the XML declaration");
        }
    }
    if (!have_version)
        fail_at(line, col, "the XML declaration has no version");
}

void Parser::misc() {
    while (true) {
        skip_space();
        if (starts("<!--"))
            comment();
        else if (starts("<?"))
            processing_instruction();
        else
            return;
    }
}

XmlElement Parser::document() {
    if (s_.size() > lim_.max_bytes)
        fail_at(1, 1, "larger than " + std::to_string(lim_.max_bytes) + " bytes");
    check_characters();
    if (starts("\xEF\xBB\xBF")) {
        advance(3);
        col_ = 1; // the byte order mark is not a character anyone sees
    }
    if (starts("<?xml") && is_space(peek(5)))
        declaration();
    misc();
    if (eof())
        fail("no root element");
    if (starts("<!DOCTYPE"))
        fail("DTDs are not supported (remove the DOCTYPE)");
    if (peek() != '<')
        fail("expected the root element");
    XmlElement root = element();
    misc();
    if (!eof())
        fail("content after the root element </" + root.name + ">");
    return root;
}

} // namespace

std::optional<XmlElement> parse_xml(std::string_view text, XmlError* error,
                                    const XmlLimits& limits) {
    try {
        return Parser(text, limits).document();
    } catch (const Failure& f) {
        if (error)
            *error = XmlError{f.line, f.column, f.message};
    }
    return std::nullopt;
}

} // namespace portcullis
