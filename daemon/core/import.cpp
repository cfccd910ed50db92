// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/import.hpp"

#include "core/import-firewalld.hpp"
#include "core/import-ufw.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace portcullis {

namespace fs = std::filesystem;

namespace {

// Reads one file whole, or says why not. Never throws for a file: an import must survive any
// one of them being unreadable.
bool read_one(const fs::path& real, const std::string& shown, std::string& text,
              std::vector<Diagnostic>& warnings) {
    std::error_code ec;
    auto size = fs::file_size(real, ec);
    if (ec) {
        warnings.push_back({{shown, 0, 0}, "cannot read: " + ec.message()});
        return false;
    }
    if (size > max_import_file_size) {
        warnings.push_back({{shown, 0, 0}, "larger than 1 MiB: skipped"});
        return false;
    }
    std::ifstream in(real, std::ios::binary);
    text.assign(static_cast<std::size_t>(size), '\0');
    if (!in || !in.read(text.data(), static_cast<std::streamsize>(size))) {
        warnings.push_back({{shown, 0, 0}, "cannot read the file"});
        return false;
    }
    return true;
}

void read_dir(const std::string& dir, std::size_t index, bool (*wanted)(std::string_view),
              std::vector<Diagnostic>& warnings, const std::string& root,
              std::vector<ImportFile>& out) {
    fs::path real = root.empty() ? fs::path(dir) : fs::path(root) / fs::path(dir).relative_path();
    std::error_code ec;
    if (!fs::exists(real, ec))
        return;
    std::vector<std::string> names;
    fs::directory_iterator it(real, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        std::error_code type_ec;
        if (name.starts_with(".") || !wanted(name) || !it->is_regular_file(type_ec))
            continue;
        if (names.size() == max_import_files_per_dir) {
            warnings.push_back({{dir, 0, 0},
                                "more than " + std::to_string(max_import_files_per_dir) +
                                    " files: the rest are skipped"});
            break;
        }
        names.push_back(std::move(name));
    }
    if (ec) {
        warnings.push_back({{dir, 0, 0}, "cannot list the directory: " + ec.message()});
        return;
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        ImportFile f;
        f.path = (fs::path(dir) / name).string();
        f.dir_index = index;
        if (read_one(real / name, f.path, f.text, warnings))
            out.push_back(std::move(f));
    }
}

} // namespace

std::vector<ImportFile> read_import_dirs(const std::vector<std::string>& dirs,
                                         bool (*wanted)(std::string_view),
                                         std::vector<Diagnostic>& warnings,
                                         const std::string& root) {
    std::vector<ImportFile> out;
    for (std::size_t i = 0; i < dirs.size(); ++i)
        read_dir(dirs[i], i, wanted, warnings, root, out);
    return out;
}

std::optional<ImportFile> read_import_file(const std::string& path,
                                           std::vector<Diagnostic>& warnings,
                                           const std::string& root) {
    fs::path real = root.empty() ? fs::path(path) : fs::path(root) / fs::path(path).relative_path();
    std::error_code ec;
    if (!fs::exists(real, ec))
        return std::nullopt;
    ImportFile f;
    f.path = path;
    if (!read_one(real, path, f.text, warnings))
        return std::nullopt;
    return f;
}

bool firewalld_file_wanted(std::string_view file_name) {
    return file_name.size() > 4 && file_name.ends_with(".xml");
}

bool ufw_file_wanted(std::string_view file_name) {
    static constexpr std::string_view backups[] = {".dpkg-new", ".dpkg-old", ".dpkg-dist",
                                                   ".rpmnew",   ".rpmsave",  "~"};
    return std::none_of(std::begin(backups), std::end(backups),
                        [&](std::string_view b) { return file_name.ends_with(b); });
}

std::string imported_id(std::string_view prefix, std::string_view name) {
    std::string body;
    bool dash = false;
    for (char c : name) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && !body.empty())
                body += '-';
            body += c;
            dash = false;
        } else {
            dash = true;
        }
    }
    if (body.empty())
        return {};
    std::string id = std::string(prefix) + "-" + body;
    if (id.size() > 64)
        id.resize(64);
    while (id.back() == '-')
        id.pop_back();
    return id;
}

std::string safe_message(std::string_view text, std::size_t max_chars) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++chars) {
        if (chars == max_chars)
            return out + "...";
        char32_t cp = 0;
        std::size_t n = utf8_decode(text, i, &cp);
        auto byte = static_cast<unsigned char>(text[i]);
        if (n == 0 || cp < 0x20 || cp == 0x7F) {
            if (cp == '\n' && n == 1) {
                out += "\\n";
            } else if (cp == '\t' && n == 1) {
                out += "\\t";
            } else {
                out += "\\x";
                out += hex[byte >> 4U];
                out += hex[byte & 0xFU];
            }
            i += n == 0 ? 1 : n;
            continue;
        }
        out += text.substr(i, n);
        i += n;
    }
    return out;
}

std::vector<ImportedService> load_imports_detailed(const ImportConfig& config,
                                                   std::vector<Diagnostic>* warnings) {
    std::vector<Diagnostic> w;
    std::vector<ImportedService> out;
    if (!config.firewalld.empty()) {
        auto files = read_import_dirs(config.firewalld, firewalld_file_wanted, w);
        for (auto& s : import_firewalld(files, w))
            out.push_back(std::move(s));
    }
    if (!config.ufw.empty()) {
        auto files = read_import_dirs(config.ufw, ufw_file_wanted, w);
        for (auto& s : import_ufw(files, w))
            out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(), [](const ImportedService& a, const ImportedService& b) {
        return a.service.id < b.service.id;
    });
    if (warnings)
        for (auto& d : w)
            warnings->push_back({std::move(d.pos), safe_message(d.message)});
    return out;
}

std::vector<Service> load_imports(const ImportConfig& config, std::vector<Diagnostic>* warnings) {
    std::vector<Service> out;
    for (auto& s : load_imports_detailed(config, warnings))
        out.push_back(std::move(s.service));
    return out;
}

} // namespace portcullis
