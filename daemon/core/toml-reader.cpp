// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/toml-reader.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace portcullis::detail {

namespace {

// Decodes one UTF-8 sequence at text[i]. Returns its length, or 0 when it is not valid UTF-8
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
std::size_t utf8_length(std::string_view text, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    unsigned char c = b(0);
    std::size_t n;
    char32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + n > text.size())
        return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (b(k) & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

// toml++ 3.3.0 quotes a key defined twice from a buggy recording of the input: a quoted key
// with escapes comes out garbled ('"k\k\u001b[2J" '). Quote the key as the file has it on the
// line of the error instead.
std::string fix_redefinition(std::string_view description, std::string_view text, unsigned line) {
    constexpr std::string_view marker = "cannot redefine existing ";
    auto at = description.find(marker);
    auto quote = at == std::string_view::npos ? at : description.find('\'', at);
    if (quote == std::string_view::npos || line == 0)
        return std::string(description);
    for (unsigned l = 1; l < line && !text.empty(); ++l) {
        auto nl = text.find('\n');
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    }
    std::string_view src = text.substr(0, text.find('\n'));
    std::string_view key;
    if (auto eq = src.find('='); eq != std::string_view::npos)
        key = src.substr(0, eq);
    else if (auto open = src.find('['), close = src.rfind(']');
             open != std::string_view::npos && close != std::string_view::npos && open < close)
        key = src.substr(open, close - open + 1);
    while (!key.empty() && (key.front() == ' ' || key.front() == '\t'))
        key.remove_prefix(1);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t'))
        key.remove_suffix(1);
    if (key.empty())
        return std::string(description);
    return std::string(description.substr(0, quote + 1)) + std::string(key) + "'";
}

} // namespace

namespace {

enum class LexState { normal, comment, basic, literal, ml_basic, ml_literal };

// The guard's view of the TOML lexer: the state after text[i], and how many bytes it takes.
// A quote opens a string only where TOML (and toml++) expects a key or a value (quoted: where
// the caller says so); elsewhere it is part of a broken bare value, which toml++ reads as such,
// and a non-ASCII character after it is outside any string.
std::size_t lex_step(LexState& st, std::string_view text, std::size_t i, bool quoted) {
    auto starts = [&](std::string_view s) { return text.substr(i, s.size()) == s; };
    const char c = text[i];
    const bool escape = c == '\\' && i + 1 < text.size() && text[i + 1] != '\n';
    switch (st) {
    case LexState::normal:
        if (c == '#')
            st = LexState::comment;
        else if (!quoted)
            return 1;
        else if (starts("\"\"\"")) {
            st = LexState::ml_basic;
            return 3;
        } else if (c == '"')
            st = LexState::basic;
        else if (starts("'''")) {
            st = LexState::ml_literal;
            return 3;
        } else if (c == '\'')
            st = LexState::literal;
        return 1;
    case LexState::comment:
        if (c == '\n')
            st = LexState::normal;
        return 1;
    case LexState::basic:
        if (escape)
            return 2;
        if (c == '"' || c == '\n')
            st = LexState::normal;
        return 1;
    case LexState::literal:
        if (c == '\'' || c == '\n')
            st = LexState::normal;
        return 1;
    case LexState::ml_basic:
        if (escape)
            return 2;
        if (starts("\"\"\"")) {
            st = LexState::normal;
            return 3;
        }
        return 1;
    case LexState::ml_literal:
        if (starts("'''")) {
            st = LexState::normal;
            return 3;
        }
        return 1;
    }
    return 1;
}

// text[i] is the "[" of a table header (first on its line). toml++ 3.3.0 asserts unless what
// follows "[" or "[[" and spaces is a bare key character, a quote, "]" or the end ("[=]",
// "[/x]", "[" then a newline): the offset from i of what is there instead, if anything.
std::optional<std::size_t> bad_header_start(std::string_view text, std::size_t i) {
    std::size_t j = i + 1;
    if (j < text.size() && text[j] == '[')
        ++j;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t'))
        ++j;
    if (j >= text.size())
        return std::nullopt;
    const char c = text[j];
    // (A control character there is reported as such when the guard reaches it.)
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '"' || c == '\'' || c == ']' ||
              (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r');
    return ok ? std::nullopt : std::optional<std::size_t>(j - i);
}

// Whether toml++ ends a bare value at c (its is_value_terminator, for the ASCII the guard lets
// through outside strings).
bool ends_bare_value(char c) {
    return std::string_view(" \t\r\n]},#").find(c) != std::string_view::npos;
}

// text[i] starts a bare value. toml++ 3.3.0 reads "1979-05-27 07:32:00" (a space in place of the
// 'T') by looking past the space after anything shaped like a date; when a single digit and then
// the end of the value follow ("d = 1979-05-27 1 "), it asserts, and a build without assertions
// assumes, that no value ends there: undefined behaviour. The offset from i of that digit, if
// this is such a value. "Shaped like a date" is wider than a date: toml++ skips '_' and ignores
// most other characters when it sorts a value ("0211-s1-11" qualifies), so any 10 characters
// with a digit first and '-' 5th and 8th count. Every such input is invalid TOML anyway (a digit
// cannot follow a value), so refusing a few more than toml++ would trip on loses nothing.
std::optional<std::size_t> date_space_digit(std::string_view text, std::size_t i) {
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    std::string date; // what toml++ keeps of the value: its underscores are dropped
    std::size_t j = i;
    for (; j < text.size() && !ends_bare_value(text[j]); ++j) {
        if (text[j] == '_')
            continue;
        if (date.size() == 10)
            return std::nullopt;
        date += text[j];
    }
    if (date.size() != 10 || !digit(date[0]) || date[4] != '-' || date[7] != '-')
        return std::nullopt;
    if (j + 2 < text.size() && text[j] == ' ' && digit(text[j + 1]) && ends_bare_value(text[j + 2]))
        return j + 1 - i;
    return std::nullopt;
}

} // namespace

std::optional<Diagnostic> guard_toml_text(std::string_view text, const std::string& file) {
    LexState st = LexState::normal;
    unsigned line = 1, col = 1;
    bool line_start = true; // nothing but blanks so far on this line
    char last = '\n';       // the last character outside strings and comments, blanks aside
    bool bare = false;      // inside a value that started bare (see below)
    // Arrays and inline tables open, outside strings: there a line may begin with a value
    // ("a = [\n  1,\n]"). A table header's brackets are not counted.
    int depth = 0;
    bool header = false; // on a table header's line, after its '['
    constexpr auto npos = std::string_view::npos;
    auto at = [&](std::string msg, std::size_t ahead = 0) {
        return Diagnostic{{file, line, col + static_cast<unsigned>(ahead)}, std::move(msg)};
    };

    for (std::size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            std::size_t n = utf8_length(text, i);
            if (n == 0)
                return at("invalid UTF-8");
            if (st == LexState::normal)
                return at("non-ASCII character outside a string or comment");
            if (st == LexState::ml_basic)
                return at(
                    "non-ASCII character in a multi-line basic string (use \"...\" or '''...''')");
            i += n;
            ++col;
            line_start = false;
            continue;
        }
        if (st == LexState::normal && line_start && c == '[')
            if (auto off = bad_header_start(text, i))
                return at("a table header must begin with a name: letters, digits, '_' and '-', "
                          "or a quoted name",
                          *off);
        // A value that starts bare (a number, a date, a boolean) is read by toml++ up to the
        // next whitespace, ']', '}', ',' or '#', whatever comes between: in "0[\"é\"]" the
        // quote opens no string, and toml++ 3.3.0 reaches __builtin_unreachable() when it asks
        // whether some non-ASCII characters (U+00A1-U+0499, U+2C6E-U+3067, U+FB26-U+FEFE, but
        // the spaces among them) end that value. So such a run is outside any string here too.
        if (st == LexState::normal) {
            const bool value_start =
                std::string_view("=[,").find(last) != npos && (!line_start || depth > 0);
            if (bare && ends_bare_value(static_cast<char>(c))) {
                bare = false;
            } else if (!bare && value_start &&
                       (std::isalnum(c) != 0 ||
                        std::string_view("+-._:").find(static_cast<char>(c)) != npos)) {
                bare = true;
                if (auto off = date_space_digit(text, i))
                    return at("a date, a space and one digit: not a value (a date-time is "
                              "written 1979-05-27T07:32:00)",
                              *off);
            }
        }
        // Keys start a line or follow '.', '{' or ','; values follow '=', '[' or ','.
        const bool quoted = !bare && (line_start || std::string_view("=[{,.").find(last) != npos);
        if (st == LexState::normal && c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '#') {
            // toml++ 3.3.0 asserts on "}" where an array expects a value ("a = [}]").
            if (c == '}' && (last == '[' || last == ','))
                return at("'}' where a value belongs (after '" + std::string(1, last) + "')");
            if (c == '[' && line_start && depth == 0)
                header = true;
            else if (!bare && !header && (c == '[' || c == '{'))
                ++depth;
            else if (!bare && !header && (c == ']' || c == '}') && depth > 0)
                --depth;
            last = static_cast<char>(c);
        }
        std::size_t step = lex_step(st, text, i, quoted);
        for (std::size_t k = 0; k < step && i < text.size(); ++k, ++i) {
            const char b = text[i];
            // TOML allows no raw control character but tab and line ends anywhere (strings
            // spell them as escapes), and toml++ 3.3.0 asserts on some ("[" then 0x01).
            if ((static_cast<unsigned char>(b) < 0x20 && b != '\t' && b != '\n' && b != '\r') ||
                b == 0x7f)
                return at("control character " + printable(text.substr(i, 1)) +
                          " (TOML allows none; in a string, write it as an escape such as "
                          "\\u0001)");
            line_start = b == '\n' || (line_start && (b == ' ' || b == '\t' || b == '\r'));
            if (b == '\n') {
                ++line;
                col = 1;
                header = false;
            } else {
                ++col;
            }
        }
    }
    return std::nullopt;
}

toml::table TomlReader::parse(std::string_view text) {
    if (auto bad = guard_toml_text(text, file_))
        throw ConfigError({*bad});
    try {
        return toml::parse(text, file_);
    } catch (const toml::parse_error& e) {
        SourcePos p = pos(e.source());
        // The library's words may quote a whole key or value: escape and cut them like ours.
        throw ConfigError({p, printable(fix_redefinition(e.description(), text, p.line), 200)});
    }
}

SourcePos TomlReader::pos(const toml::source_region& r) const {
    return {file_, static_cast<unsigned>(r.begin.line), static_cast<unsigned>(r.begin.column)};
}

void TomlReader::error(SourcePos p, std::string message) {
    diags_.push_back({std::move(p), std::move(message)});
}

void TomlReader::finish() {
    if (!diags_.empty())
        throw ConfigError(std::move(diags_));
}

void TomlReader::check_keys(const toml::table& tbl, std::initializer_list<std::string_view> allowed,
                            std::string_view where) {
    for (const auto& [key, value] : tbl) {
        bool ok = false;
        for (auto a : allowed)
            ok = ok || key.str() == a;
        if (!ok)
            error(pos(key.source()),
                  "unknown key '" + printable(key.str()) + "' in " + std::string(where));
    }
}

std::string_view type_name(const toml::node& n) {
    switch (n.type()) {
    case toml::node_type::table:
        return "a table";
    case toml::node_type::array:
        return "an array";
    case toml::node_type::string:
        return "a string";
    case toml::node_type::integer:
        return "an integer";
    case toml::node_type::floating_point:
        return "a float";
    case toml::node_type::boolean:
        return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
        return "a date/time";
    default:
        return "nothing";
    }
}

std::optional<std::string> TomlReader::get_string(const toml::table& tbl, std::string_view key) {
    const toml::node* n = tbl.get(key);
    if (!n)
        return std::nullopt;
    if (const auto* s = n->as_string())
        return clean_string(*n, key, s->get());
    error(pos(*n),
          "'" + std::string(key) + "' must be a string, not " + std::string(type_name(*n)));
    return std::nullopt;
}

std::optional<std::string> TomlReader::clean_string(const toml::node& n, std::string_view key,
                                                    const std::string& value) {
    auto bad = std::find_if(value.begin(), value.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7f;
    });
    if (bad == value.end())
        return value;
    error(pos(n), "'" + std::string(key) + "' cannot contain control characters (" +
                      printable(std::string_view(&*bad, 1)) + "): \"" + printable(value) + "\"");
    return std::nullopt;
}

std::optional<bool> TomlReader::get_bool(const toml::table& tbl, std::string_view key) {
    const toml::node* n = tbl.get(key);
    if (!n)
        return std::nullopt;
    if (n->is_boolean())
        return n->as_boolean()->get();
    error(pos(*n),
          "'" + std::string(key) + "' must be true or false, not " + std::string(type_name(*n)));
    return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, SourcePos>>>
TomlReader::get_strings(const toml::table& tbl, std::string_view key) {
    const toml::node* n = tbl.get(key);
    if (!n)
        return std::nullopt;
    const toml::array* arr = n->as_array();
    if (!arr) {
        error(pos(*n), "'" + std::string(key) + "' must be an array of strings, not " +
                           std::string(type_name(*n)));
        return std::nullopt;
    }
    std::vector<std::pair<std::string, SourcePos>> out;
    bool ok = true;
    for (const toml::node& el : *arr) {
        if (const auto* s = el.as_string()) {
            if (auto v = clean_string(el, key, s->get()))
                out.emplace_back(std::move(*v), pos(el));
            else
                ok = false;
        } else {
            error(pos(el), "'" + std::string(key) + "' must contain only strings, not " +
                               std::string(type_name(el)));
            ok = false;
        }
    }
    if (!ok)
        return std::nullopt;
    return out;
}

const toml::table* TomlReader::get_table(const toml::table& tbl, std::string_view key) {
    const toml::node* n = tbl.get(key);
    if (!n)
        return nullptr;
    if (const auto* t = n->as_table())
        return t;
    error(pos(*n), "'" + std::string(key) + "' must be a table, not " + std::string(type_name(*n)));
    return nullptr;
}

SourcePos TomlReader::key_pos(const toml::table& tbl, std::string_view key) const {
    for (const auto& [k, v] : tbl)
        if (k.str() == key)
            return pos(k.source());
    return pos(tbl);
}

} // namespace portcullis::detail
