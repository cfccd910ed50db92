// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/migrate-cli.hpp"

#include "app/cli.hpp"
#include "core/config.hpp"
#include "core/import.hpp"
#include "core/migrate-firewalld.hpp"
#include "core/migrate-ufw.hpp"

#include <filesystem>
#include <ostream>

namespace portcullis {

namespace fs = std::filesystem;

namespace {

// Findings that are not in the files the migration reads but that an admin must know about.
void firewalld_extras(const std::string& root, std::vector<Diagnostic>& problems) {
    std::error_code ec;
    auto real = [&](const char* path) { return fs::path(root) / fs::path(path).relative_path(); };
    if (fs::exists(real("/etc/firewalld/direct.xml"), ec))
        problems.push_back({{"/etc/firewalld/direct.xml", 0, 0}, "direct rules: not carried over"});
    std::vector<Diagnostic> ignored;
    auto policies =
        read_import_dirs({"/etc/firewalld/policies"}, firewalld_file_wanted, ignored, root);
    for (const auto& p : policies)
        problems.push_back({{p.path, 0, 0}, "policy (between zones): not carried over"});
}

int migrate_firewalld_files(const std::string& root, MigrationPlan& plan, std::ostream& err) {
    FirewalldInput in;
    in.conf = read_import_file("/etc/firewalld/firewalld.conf", in.read_problems, root);
    in.zone_files = read_import_dirs({"/usr/lib/firewalld/zones", "/etc/firewalld/zones"},
                                     firewalld_file_wanted, in.read_problems, root);
    in.service_files = read_import_dirs({"/usr/lib/firewalld/services", "/etc/firewalld/services"},
                                        firewalld_file_wanted, in.read_problems, root);
    if (in.zone_files.empty()) {
        err << "portcullisd: no firewalld zones under " << root
            << " (usr/lib/firewalld/zones, etc/firewalld/zones): is firewalld installed?\n";
        for (const auto& d : in.read_problems)
            err << d.str() << "\n";
        return exit_noinput;
    }
    firewalld_extras(root, in.read_problems);
    plan = migrate_firewalld(in);
    return exit_ok;
}

int migrate_ufw_files(const std::string& root, MigrationPlan& plan, std::ostream& err) {
    UfwInput in;
    in.rules4 = read_import_file("/etc/ufw/user.rules", in.read_problems, root);
    in.rules6 = read_import_file("/etc/ufw/user6.rules", in.read_problems, root);
    if (!in.rules4 && !in.rules6) {
        err << "portcullisd: no ufw rules under " << root
            << " (etc/ufw/user.rules, etc/ufw/user6.rules): is ufw installed?\n";
        for (const auto& d : in.read_problems)
            err << d.str() << "\n";
        return exit_noinput;
    }
    in.profile_files =
        read_import_dirs({"/etc/ufw/applications.d"}, ufw_file_wanted, in.read_problems, root);
    in.defaults = read_import_file("/etc/default/ufw", in.read_problems, root);
    in.conf = read_import_file("/etc/ufw/ufw.conf", in.read_problems, root);
    plan = migrate_ufw(in);
    return exit_ok;
}

} // namespace

int run_migrate(std::string_view from, const std::string& source_root, std::ostream& out,
                std::ostream& err) {
    if (from != "firewalld" && from != "ufw") {
        err << "portcullisd: --migrate-from takes firewalld or ufw, not '" << from << "'\n";
        return exit_usage;
    }
    std::error_code ec;
    if (!fs::is_directory(source_root, ec)) {
        err << "portcullisd: --source-root " << source_root << ": not a directory\n";
        return exit_noinput;
    }
    MigrationPlan plan;
    int status = from == "firewalld" ? migrate_firewalld_files(source_root, plan, err)
                                     : migrate_ufw_files(source_root, plan, err);
    if (status != exit_ok)
        return status;
    // The box's own catalogue, only for hints in comments: without it the migration is the same.
    Catalog catalog;
    try {
        catalog = load_catalog(Config{}.catalog_dirs);
    } catch (const ConfigError&) {
    }
    out << migration_output(render_migration(plan, &catalog));
    err << "portcullisd: migrated " << plan.zones.size() << " zones and " << plan.services.size()
        << " services from " << from << "; " << plan.not_carried.size()
        << " things not carried over (see migration-report.txt)\n";
    return exit_ok;
}

} // namespace portcullis
