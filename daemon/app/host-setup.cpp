// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/host-setup.hpp"

#include "app/cli.hpp"
#include "app/kernel-probe.hpp"
#include "core/config.hpp"
#include "core/strings.hpp"

#include <array>
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <filesystem>
#include <linux/capability.h>
#include <ostream>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace portcullis {

namespace {

constexpr std::uint32_t net_admin_bit = 1U << CAP_NET_ADMIN;
static_assert(net_admin_bit == cap_bit_net_admin && (1U << CAP_NET_RAW) == cap_bit_net_raw);
constexpr const char* capability_xattr = "security.capability";
// Where legacy iptables (1.6.2 and later) takes its lock; the path is compiled into it.
constexpr const char* xtables_lock = "/run/xtables.lock";

void put_le32(std::string& out, std::uint32_t v) {
    for (unsigned i = 0; i < 4; ++i)
        out += static_cast<char>((v >> (8 * i)) & 0xFFU);
}

std::uint32_t get_le32(std::string_view s, std::size_t at) {
    std::uint32_t v = 0;
    for (unsigned i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
    return v;
}

// The process's own capability sets (the first 32 capabilities are all we touch).
struct ProcCaps {
    std::array<__user_cap_data_struct, 2> data{};
};

bool read_caps(ProcCaps* c) {
    __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
    return syscall(SYS_capget, &h, c->data.data()) == 0;
}

bool write_caps(ProcCaps* c) {
    __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
    return syscall(SYS_capset, &h, c->data.data()) == 0;
}

std::string self_exe() {
    std::array<char, PATH_MAX> buf{};
    ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
    return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string();
}

std::string task_text(std::string_view binary) {
    std::string cmd = std::string(binary) + " --configure-host";
    return "Grant it, as root, once: " + cmd +
           "\nOn DSM, make that a boot-up task, so that it is granted again after every upgrade: "
           "Control Panel > Task Scheduler > Create > Triggered Task > User-defined script; "
           "General: user root, event Boot-up; Task Settings: Run command: " +
           cmd + "\nRun the task once (select it, Run), then start the package again.";
}

} // namespace

std::string file_capability(std::uint32_t permitted) {
    std::string out;
    put_le32(out, VFS_CAP_REVISION_2);
    put_le32(out, permitted); // permitted, capabilities 0-31
    put_le32(out, 0);         // inheritable
    put_le32(out, 0);         // permitted, 32-63
    put_le32(out, 0);         // inheritable
    return out;
}

std::optional<std::uint32_t> file_capability_permitted(std::string_view x) {
    if (x.size() != XATTR_CAPS_SZ_2 && x.size() != XATTR_CAPS_SZ_3)
        return std::nullopt;
    std::uint32_t magic = get_le32(x, 0);
    std::uint32_t revision = magic & VFS_CAP_REVISION_MASK;
    bool sized = (revision == VFS_CAP_REVISION_2 && x.size() == XATTR_CAPS_SZ_2) ||
                 (revision == VFS_CAP_REVISION_3 && x.size() == XATTR_CAPS_SZ_3);
    // Revision 3 carries the root uid of a user namespace: 0 means the initial namespace.
    bool host = revision != VFS_CAP_REVISION_3 || get_le32(x, 20) == 0;
    bool plain = (magic & VFS_CAP_FLAGS_EFFECTIVE) == 0 && get_le32(x, 8) == 0 &&
                 get_le32(x, 12) == 0 && get_le32(x, 16) == 0;
    if (!sized || !host || !plain)
        return std::nullopt;
    return get_le32(x, 4);
}

std::string prepare_net_admin(std::string_view binary, std::string* warning) {
    std::string shown = binary.starts_with('/') ? std::string(binary) : self_exe();
    ProcCaps c;
    if (!read_caps(&c))
        return "cannot read the process's capabilities: " + errno_text(-errno);
    bool root = geteuid() == 0;
    if ((c.data[0].permitted & net_admin_bit) == 0 ||
        (root && (c.data[0].effective & net_admin_bit) == 0))
        return "portcullisd lacks CAP_NET_ADMIN (it runs as uid " + std::to_string(geteuid()) +
               "), which changing the firewall needs.\n" + task_text(shown);
    if (root)
        return {};
    // Effective: CAP_NET_ADMIN alone. Handed on: what was granted (CAP_NET_RAW is there for
    // iptables-restore only), as ambient capabilities, the one way an unprivileged process
    // passes one through exec to a program without file capabilities.
    std::uint32_t pass = c.data[0].permitted & (net_admin_bit | cap_bit_net_raw);
    c.data[0].effective = net_admin_bit;
    c.data[1].effective = 0;
    c.data[0].inheritable |= pass;
    if (!write_caps(&c))
        return "cannot make CAP_NET_ADMIN effective: " + errno_text(-errno);
    for (int cap : {CAP_NET_ADMIN, CAP_NET_RAW}) {
        if ((pass & (1U << static_cast<unsigned>(cap))) == 0)
            continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0 && warning)
            *warning = "cannot hand capabilities on to iptables-restore (" + errno_text(-errno) +
                       "; ambient capabilities need Linux 4.3): the legacy backend will fail";
    }
    return {};
}

std::vector<std::string> parse_bundle_manifest(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = std::min(text.find('\n', start), text.size());
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r'))
            line.remove_suffix(1);
        while (!line.empty() && line.front() == ' ')
            line.remove_prefix(1);
        if (line.empty() || line.front() == '#' || line.front() == '.' ||
            line.find('/') != std::string_view::npos)
            continue;
        out.emplace_back(line);
    }
    return out;
}

namespace {

// A file descriptor closed on every way out.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0)
            close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

class Setup {
public:
    Setup(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

    bool lock_bundle(const std::string& exe);
    bool grant(const std::string& exe, std::uint32_t permitted);
    bool open_xtables_lock(const std::string& state_dir);

private:
    bool lock_fd(int fd, const std::string& what, bool directory);
    bool lock_at(int dirfd, const std::string& name, const std::string& shown, bool directory);
    bool fail(const std::string& what) {
        err_ << "configure-host: " << what << "\n";
        return false;
    }

    std::ostream& out_;
    std::ostream& err_;
};

// Root's, and writable by root only: then nobody else can change what the capability runs.
bool Setup::lock_fd(int fd, const std::string& what, bool directory) {
    struct stat st {};
    if (fstat(fd, &st) != 0)
        return fail("cannot stat " + what + ": " + errno_text(-errno));
    if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
        return fail(what + " is not a " + (directory ? "directory" : "regular file"));
    mode_t mode = st.st_mode & 07777U & ~static_cast<mode_t>(S_IWGRP | S_IWOTH);
    if (st.st_uid == 0 && st.st_gid == 0 && (st.st_mode & 07777U) == mode)
        return true;
    if (fchown(fd, 0, 0) != 0 || fchmod(fd, mode) != 0)
        return fail("cannot make " + what + " root's: " + errno_text(-errno));
    out_ << "configure-host: " << what << ": now root's, mode " << std::oct << mode << std::dec
         << "\n";
    return true;
}

bool Setup::lock_at(int dirfd, const std::string& name, const std::string& shown, bool directory) {
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (directory ? O_DIRECTORY : 0);
    Fd fd(openat(dirfd, name.c_str(), flags));
    if (fd.get() < 0)
        return fail("cannot open " + shown + ": " + errno_text(-errno));
    return lock_fd(fd.get(), shown, directory);
}

// The bundle is ROOT/bin/portcullisd with its loader and libraries in ROOT/lib, listed in the
// manifest. Directories are locked before what is in them, each opened relative to the one
// above without following symlinks, so nothing can be swapped in between.
bool Setup::lock_bundle(const std::string& exe) {
    namespace fs = std::filesystem;
    fs::path bin = fs::path(exe).parent_path();
    fs::path root = bin.parent_path();
    std::error_code ec;
    if (!fs::is_regular_file(root / bundle_manifest, ec)) {
        out_ << "configure-host: " << exe << " is not in a bundle (no " << bundle_manifest
             << " above it): only the binary is checked\n";
        Fd dir(open(bin.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct stat st {};
        if (dir.get() < 0 || fstat(dir.get(), &st) != 0 ||
            (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
            return fail(bin.string() + " is writable by others than root: the binary in it " +
                        "could be replaced; keep the daemon in a directory only root writes");
        return lock_at(dir.get(), fs::path(exe).filename().string(), exe, false);
    }
    Fd rootfd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (rootfd.get() < 0)
        return fail("cannot open " + root.string() + ": " + errno_text(-errno));
    if (!lock_fd(rootfd.get(), root.string(), true))
        return false;
    for (const char* sub : {"bin", "lib"})
        if (!lock_at(rootfd.get(), sub, (root / sub).string(), true))
            return false;
    Fd binfd(openat(rootfd.get(), "bin", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    Fd libfd(openat(rootfd.get(), "lib", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!lock_at(binfd.get(), fs::path(exe).filename().string(), exe, false))
        return false;
    std::string manifest_name = fs::path(bundle_manifest).filename().string();
    if (!lock_at(libfd.get(), manifest_name, (root / bundle_manifest).string(), false))
        return false;
    std::string text;
    {
        Fd m(openat(libfd.get(), manifest_name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        std::array<char, 4096> buf{};
        ssize_t n = 0;
        while (m.get() >= 0 && text.size() < 65536 &&
               (n = read(m.get(), buf.data(), buf.size())) > 0)
            text.append(buf.data(), static_cast<std::size_t>(n));
    }
    std::vector<std::string> libs = parse_bundle_manifest(text);
    for (const auto& lib : libs)
        if (!lock_at(libfd.get(), lib, (root / "lib" / lib).string(), false))
            return false;
    out_ << "configure-host: the bundle in " << root.string() << " (the binary and " << libs.size()
         << " files of lib/) is root's\n";
    return true;
}

std::string cap_names(std::uint32_t permitted) {
    std::string out = "cap_net_admin";
    if (permitted & cap_bit_net_raw)
        out += ",cap_net_raw";
    return out + "=p";
}

bool Setup::grant(const std::string& exe, std::uint32_t permitted) {
    Fd fd(open(exe.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (fd.get() < 0 || fstat(fd.get(), &st) != 0)
        return fail("cannot open " + exe + ": " + errno_text(-errno));
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_nlink != 1)
        return fail(exe + " must be root's, writable by root only and have one name");
    struct statvfs vfs {};
    if (fstatvfs(fd.get(), &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
        return fail(exe + " is on a file system mounted nosuid, where the kernel ignores "
                          "file capabilities");
    std::array<char, 64> old{};
    ssize_t n = fgetxattr(fd.get(), capability_xattr, old.data(), old.size());
    std::string_view was(old.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
    std::optional<std::uint32_t> before = file_capability_permitted(was);
    if (before == permitted) {
        out_ << "configure-host: " << exe << " already has " << cap_names(permitted)
             << " (and nothing else)\n";
        return true;
    }
    std::string want = file_capability(permitted);
    if (fsetxattr(fd.get(), capability_xattr, want.data(), want.size(), 0) != 0)
        return fail("cannot set " + cap_names(permitted) + " on " + exe + ": " +
                    errno_text(-errno));
    n = fgetxattr(fd.get(), capability_xattr, old.data(), old.size());
    if (n <= 0 || file_capability_permitted({old.data(), static_cast<std::size_t>(n)}) != permitted)
        return fail("the file system did not keep " + cap_names(permitted) + " on " + exe);
    out_ << "configure-host: granted " << cap_names(permitted) << " to " << exe
         << (was.empty() ? "" : " (replacing the capabilities it had)") << "\n";
    return true;
}

// Legacy iptables opens its lock read-only and refuses to run when it cannot: the daemon's
// group gets read access. Holding the lock lets nothing happen that CAP_NET_ADMIN does not
// already allow.
bool Setup::open_xtables_lock(const std::string& state_dir) {
    struct stat st {};
    if (stat(state_dir.c_str(), &st) != 0)
        return fail("cannot stat the state directory " + state_dir +
                    " (whose owner the daemon runs as): " + errno_text(-errno));
    if (st.st_uid == 0) {
        out_ << "configure-host: the daemon runs as root here (" << state_dir
             << " is root's): iptables' lock needs nothing\n";
        return true;
    }
    gid_t gid = st.st_gid;
    Fd fd(open(xtables_lock, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0 || fstat(fd.get(), &st) != 0)
        return fail(std::string("cannot open ") + xtables_lock + ": " + errno_text(-errno));
    mode_t mode = (st.st_mode & 0600U) | S_IRGRP;
    if (st.st_gid == gid && (st.st_mode & 07777U) == mode) {
        out_ << "configure-host: group " << gid << " may already take " << xtables_lock << "\n";
        return true;
    }
    if (fchown(fd.get(), static_cast<uid_t>(-1), gid) != 0 || fchmod(fd.get(), mode) != 0)
        return fail(std::string("cannot give group ") + std::to_string(gid) + " access to " +
                    xtables_lock + ": " + errno_text(-errno));
    out_ << "configure-host: group " << gid << " (the daemon's) may read " << xtables_lock
         << ", so that iptables-restore can take its lock\n";
    return true;
}

} // namespace

int run_configure_host(const std::string& config_path, bool config_given, std::ostream& out,
                       std::ostream& err) {
    if (geteuid() != 0) {
        err << "portcullisd --configure-host must run as root: it sets a file capability "
               "(on DSM: a Task Scheduler task with user root)\n";
        return exit_noperm;
    }
    std::string exe = self_exe();
    if (exe.empty()) {
        err << "configure-host: cannot read /proc/self/exe: " << errno_text(-errno) << "\n";
        return exit_software;
    }
    Loaded l;
    try {
        l = load_all(config_path, !config_given);
    } catch (const ConfigError& e) {
        for (const auto& d : e.diagnostics())
            err << d.str() << "\n";
        return exit_config;
    }
    KernelProbe k = probe_kernel(l.config.backend, {}, true);
    out << probe_report(k);
    BackendChoice c = choose_backend(l.config.backend, k);
    // CAP_NET_RAW only where iptables-restore will run: the legacy backend is the choice, or
    // the one "auto" falls back to when nftables is incomplete.
    bool legacy =
        c.kind == BackendKind::legacy || (!c.kind && l.config.backend != BackendKind::nftables);
    std::uint32_t permitted = cap_bit_net_admin | (legacy ? cap_bit_net_raw : 0);
    Setup s(out, err);
    if (!s.lock_bundle(exe) || !s.grant(exe, permitted) || !s.open_xtables_lock(l.config.state_dir))
        return exit_software;
    if (!c.kind) {
        err << "configure-host: " << c.problem << "\n";
        return exit_unavailable;
    }
    out << "configure-host: done; backend = \"" << to_string(l.config.backend) << "\" picks "
        << to_string(*c.kind) << " on this kernel\n";
    return exit_ok;
}

} // namespace portcullis
