// SPDX-License-Identifier: GPL-2.0-or-later
#include "legacy/restore.hpp"

#include "legacy/handles.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace portcullis::legacy {

namespace {

constexpr std::array<const char*, 5> system_dirs = {"/usr/sbin", "/sbin", "/usr/bin", "/bin",
                                                    "/usr/local/sbin"};
// iptables-restore of our handful of rules takes milliseconds; this only ends a hung one.
constexpr int restore_timeout_ms = 10'000;

std::optional<std::string> find_one(const ResolvePath& resolve, const std::string& family_prefix) {
    for (const char* base : {"-legacy-restore", "-restore"}) {
        for (const char* dir : system_dirs) {
            std::string path = std::string(dir) + "/" + family_prefix + base;
            auto real = resolve(path);
            if (!real)
                continue;
            std::string file = real->substr(real->rfind('/') + 1);
            // xtables-nft-multi (iptables-nft) speaks nf_tables, not the legacy tables.
            if (file.find("nft") != std::string::npos)
                continue;
            return path;
        }
    }
    return std::nullopt;
}

std::optional<std::string> real_executable(const std::string& path) {
    char buf[PATH_MAX];
    if (!realpath(path.c_str(), buf))
        return std::nullopt;
    struct stat st {};
    if (stat(buf, &st) != 0 || !S_ISREG(st.st_mode) || access(buf, X_OK) != 0)
        return std::nullopt;
    return std::string(buf);
}

// Feeds `input` and collects the output until the child closes its end, within the deadline.
int exchange(int in_fd, int out_fd, std::string_view input, std::string* output) {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(restore_timeout_ms);
    std::size_t sent = 0;
    bool out_open = true;
    auto close_input = [&] {
        close(in_fd);
        in_fd = -1; // end of input: the restore commits
    };
    if (input.empty())
        close_input();
    while (out_open) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0)
            return -ETIMEDOUT;
        std::array<pollfd, 2> p = {pollfd{.fd = out_fd, .events = POLLIN, .revents = 0},
                                   pollfd{.fd = in_fd, .events = POLLOUT, .revents = 0}};
        if (poll(p.data(), in_fd >= 0 ? 2 : 1, static_cast<int>(left)) < 0 && errno != EINTR)
            return -errno;
        if (in_fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(in_fd, input.data() + sent, input.size() - sent);
            if (n > 0)
                sent += static_cast<std::size_t>(n);
            if (n < 0 || sent == input.size())
                close_input();
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            std::array<char, 4096> buf{};
            ssize_t n = read(out_fd, buf.data(), buf.size());
            if (n > 0 && output && output->size() < 65536)
                output->append(buf.data(), static_cast<std::size_t>(n));
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                out_open = false;
        }
    }
    if (in_fd >= 0)
        close(in_fd);
    return 0;
}

} // namespace

std::optional<RestoreTools> find_restore_tools(const ResolvePath& resolve, std::string* why) {
    auto v4 = find_one(resolve, "iptables");
    if (!v4) {
        if (why)
            *why = "no legacy iptables-restore (looked for iptables-legacy-restore and "
                   "iptables-restore in /usr/sbin, /sbin, /usr/bin, /bin, /usr/local/sbin; "
                   "install the iptables package)";
        return std::nullopt;
    }
    RestoreTools t;
    t.v4 = *v4;
    t.v6 = find_one(resolve, "ip6tables").value_or("");
    return t;
}

std::optional<RestoreTools> find_restore_tools(std::string* why) {
    return find_restore_tools(real_executable, why);
}

int run_restore(const std::string& tool, std::string_view input, std::string* output) {
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return -errno;
    UniqueFd in_r(in[0]), in_w(in[1]);
    if (pipe2(out, O_CLOEXEC) < 0)
        return -errno;
    UniqueFd out_r(out[0]), out_w(out[1]);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
    posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, out_w.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // The daemon ignores SIGPIPE; the child gets the defaults and no blocked signals.
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &def);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::string arg0 = tool;
    std::string noflush = "--noflush";
    std::string counters = "--counters";
    std::array<char*, 4> argv = {arg0.data(), noflush.data(), counters.data(), nullptr};
    std::string path_env = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    std::string lang_env = "LC_ALL=C";
    std::array<char*, 3> envp = {path_env.data(), lang_env.data(), nullptr};
    pid_t pid = -1;
    int r = posix_spawn(&pid, tool.c_str(), &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (r != 0)
        return -r;
    in_r.reset();
    out_w.reset();

    int ex = exchange(in_w.release(), out_r.get(), input, output);
    if (ex == -ETIMEDOUT)
        kill(pid, SIGKILL); // our own child, by its pid
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (ex < 0)
        return ex;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (output && output->empty())
        *output = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                    : "killed by signal " + std::to_string(WTERMSIG(status));
    return -EIO;
}

} // namespace portcullis::legacy
