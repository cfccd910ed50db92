// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/ini.hpp"

#include "core/utf8.hpp"

#include <optional>

namespace portcullis {

const IniEntry* IniSection::find(std::string_view key) const {
    for (const auto& e : entries)
        if (e.key == key)
            return &e;
    return nullptr;
}

namespace {

bool blank(char c) {
    return c == ' ' || c == '\t';
}

// Column (1-based, in characters) of byte offset `at` in line.
unsigned column_of(std::string_view line, std::size_t at) {
    unsigned col = 1;
    for (std::size_t i = 0; i < at && i < line.size(); ++i)
        if (!utf8_continuation(line[i]))
            ++col;
    return col;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return s;
}

// The first offence of a line against "valid UTF-8 text", as (offset, message).
std::optional<std::pair<std::size_t, std::string>> bad_bytes(std::string_view line) {
    for (std::size_t i = 0; i < line.size();) {
        char32_t cp = 0;
        std::size_t n = utf8_decode(line, i, &cp);
        if (n == 0)
            return std::pair{i, std::string("invalid UTF-8")};
        if (cp == 0)
            return std::pair{i, std::string("NUL byte (this is not a text file)")};
        if ((cp < 0x20 && cp != '\t') || cp == 0x7F)
            return std::pair{i, std::string("control character in the line")};
        i += n;
    }
    return std::nullopt;
}

class Reader {
public:
    explicit Reader(const IniOptions& o) : opt_(o) {}

    void line(std::string_view raw, unsigned number);
    IniDocument take() { return std::move(doc_); }

private:
    const IniOptions& opt_;
    IniDocument doc_;
    bool continuable_ = false; // the previous line was an entry (or continued one)

    void error(unsigned line, unsigned column, std::string message) {
        if (doc_.errors.size() < max_ini_errors) {
            doc_.errors.push_back({line, column, std::move(message), current_section()});
        } else if (doc_.errors.size() == max_ini_errors) {
            doc_.errors.push_back(
                {line, column, "too many errors; the rest are not shown", current_section()});
        }
    }
    [[nodiscard]] int current_section() const { return static_cast<int>(doc_.sections.size()) - 1; }
    std::vector<IniEntry>& entries() {
        return doc_.sections.empty() ? doc_.globals : doc_.sections.back().entries;
    }
    void section(std::string_view line, std::size_t at, unsigned number);
    void entry(std::string_view line, std::size_t at, unsigned number);
    bool unquote(std::string_view line, std::size_t at, unsigned number, IniEntry& e);
};

void Reader::line(std::string_view raw, unsigned number) {
    if (!raw.empty() && raw.back() == '\r')
        raw.remove_suffix(1);
    if (auto bad = bad_bytes(raw)) {
        error(number, column_of(raw, bad->first), bad->second);
        continuable_ = false;
        return;
    }
    std::size_t at = 0;
    while (at < raw.size() && blank(raw[at]))
        ++at;
    if (at == raw.size() || raw[at] == '#' || raw[at] == ';') {
        // A blank line ends a continued value; a comment does not (configparser skips it).
        if (at == raw.size())
            continuable_ = false;
        return;
    }
    if (at > 0 && opt_.continuation_lines && continuable_ && !entries().empty()) {
        IniEntry& e = entries().back();
        e.value += '\n';
        e.value += trim(raw);
        return;
    }
    if (raw[at] == '[')
        section(raw, at, number);
    else
        entry(raw, at, number);
}

// A bad header still starts a section, with the error in it: the lines after it belong to the
// damaged section, not to the one before, which stays intact.
void Reader::section(std::string_view line, std::size_t at, unsigned number) {
    continuable_ = false;
    std::size_t close = line.rfind(']');
    bool closed = close != std::string_view::npos && close > at;
    std::string_view name =
        trim(closed ? line.substr(at + 1, close - at - 1) : line.substr(at + 1));
    doc_.sections.push_back({std::string(name), number, {}});
    if (!closed)
        error(number, column_of(line, at), "section header without ']'");
    else if (std::size_t after = line.find_first_not_of(" \t", close + 1);
             after != std::string_view::npos)
        error(number, column_of(line, after), "text after the section header");
    else if (name.empty())
        error(number, column_of(line, at), "empty section name");
}

// Reads a quoted value starting at line[at] (the quote) into e.value.
bool Reader::unquote(std::string_view line, std::size_t at, unsigned number, IniEntry& e) {
    char quote = line[at];
    std::size_t i = at + 1;
    for (; i < line.size() && line[i] != quote; ++i) {
        if (quote == '"' && line[i] == '\\' && i + 1 < line.size() &&
            (line[i + 1] == '"' || line[i + 1] == '\\'))
            ++i;
        e.value += line[i];
    }
    if (i >= line.size()) {
        error(number, column_of(line, at), std::string("no closing ") + quote);
        return false;
    }
    if (!trim(line.substr(i + 1)).empty()) {
        error(number, column_of(line, i + 1), "text after the closing quote");
        return false;
    }
    return true;
}

void Reader::entry(std::string_view line, std::size_t at, unsigned number) {
    continuable_ = false;
    std::size_t sep = line.find('=', at);
    if (opt_.colon_separator) {
        // configparser splits at the first of its delimiters.
        std::size_t colon = line.find(':', at);
        if (colon < sep)
            sep = colon;
    }
    if (sep == std::string_view::npos) {
        error(number, column_of(line, at),
              opt_.colon_separator ? "expected KEY=VALUE or KEY: VALUE" : "expected KEY=VALUE");
        return;
    }
    std::string_view key = trim(line.substr(at, sep - at));
    if (key.empty()) {
        error(number, column_of(line, at), "empty key");
        return;
    }
    IniEntry e;
    e.key = std::string(key);
    e.line = number;
    e.column = column_of(line, at);
    std::size_t v = sep + 1;
    while (v < line.size() && blank(line[v]))
        ++v;
    e.value_column = column_of(line, v);
    if (opt_.quoted_values && v < line.size() && (line[v] == '"' || line[v] == '\'')) {
        e.value_column = column_of(line, v + 1);
        if (!unquote(line, v, number, e))
            return;
    } else {
        e.value = std::string(trim(line.substr(v)));
    }
    entries().push_back(std::move(e));
    continuable_ = true;
}

} // namespace

IniDocument parse_ini(std::string_view text, const IniOptions& options) {
    Reader r(options);
    if (text.starts_with("\xEF\xBB\xBF"))
        text.remove_prefix(3);
    unsigned number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        r.line(text.substr(start, end - start), ++number);
        start = end + 1;
    }
    return r.take();
}

} // namespace portcullis
