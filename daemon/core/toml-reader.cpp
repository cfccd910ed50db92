// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/toml-reader.hpp"

#include "core/strings.hpp"

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

} // namespace

std::optional<Diagnostic> guard_toml_text(std::string_view text, const std::string& file) {
    enum class State { normal, comment, basic, literal, ml_basic, ml_literal };
    State st = State::normal;
    unsigned line = 1, col = 1;
    auto at = [&](std::string msg) { return Diagnostic{{file, line, col}, std::move(msg)}; };
    auto starts = [&](std::size_t i, std::string_view s) { return text.substr(i, s.size()) == s; };

    for (std::size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            std::size_t n = utf8_length(text, i);
            if (n == 0)
                return at("invalid UTF-8");
            if (st == State::normal)
                return at("non-ASCII character outside a string or comment");
            if (st == State::ml_basic)
                return at(
                    "non-ASCII character in a multi-line basic string (use \"...\" or '''...''')");
            i += n;
            ++col;
            continue;
        }
        std::size_t step = 1;
        switch (st) {
        case State::normal:
            if (c == '#')
                st = State::comment;
            else if (starts(i, "\"\"\"")) {
                st = State::ml_basic;
                step = 3;
            } else if (c == '"')
                st = State::basic;
            else if (starts(i, "'''")) {
                st = State::ml_literal;
                step = 3;
            } else if (c == '\'')
                st = State::literal;
            break;
        case State::comment:
            if (c == '\n')
                st = State::normal;
            break;
        case State::basic:
            if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n')
                step = 2;
            else if (c == '"' || c == '\n')
                st = State::normal;
            break;
        case State::literal:
            if (c == '\'' || c == '\n')
                st = State::normal;
            break;
        case State::ml_basic:
            if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n')
                step = 2;
            else if (starts(i, "\"\"\"")) {
                st = State::normal;
                step = 3;
            }
            break;
        case State::ml_literal:
            if (starts(i, "'''")) {
                st = State::normal;
                step = 3;
            }
            break;
        }
        for (std::size_t k = 0; k < step && i < text.size(); ++k, ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
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
        throw ConfigError({pos(e.source()), std::string(e.description())});
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
                  "unknown key '" + std::string(key.str()) + "' in " + std::string(where));
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
    if (auto s = n->value<std::string>(); s && n->is_string())
        return s;
    error(pos(*n),
          "'" + std::string(key) + "' must be a string, not " + std::string(type_name(*n)));
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
            out.emplace_back(s->get(), pos(el));
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
