#include "portcullis/overrides-store.hpp"

#include "portcullis/catalog.hpp"
#include "toml-reader.hpp"

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace portcullis {

std::string overrides_path(const std::string& state_dir) {
    return (std::filesystem::path(state_dir) / "overrides.toml").string();
}

Overrides load_overrides(const std::string& state_dir) {
    std::string path = overrides_path(state_dir);
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT)
        return {};
    detail::TomlReader r(path);
    toml::table root = r.parse(detail::read_text_file(path));
    r.check_keys(root, {"overrides"}, "the overrides file");
    Overrides out;
    if (const toml::table* t = r.get_table(root, "overrides")) {
        for (const auto& [key, node] : *t) {
            std::string id(key.str());
            const auto* s = node.as_string();
            auto o = s ? override_from_string(s->get()) : std::nullopt;
            if (!valid_service_id(id))
                r.error(r.pos(key.source()), "bad service id '" + id + "'");
            else if (!o)
                r.error(r.pos(node), "override must be \"open\" or \"closed\"");
            else
                out.emplace(id, *o);
        }
    }
    r.finish();
    return out;
}

namespace {

int write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

} // namespace

int save_overrides(const std::string& state_dir, const Overrides& overrides) {
    std::string text = "# Written by portcullisd (SetOverride). Edit with busctl, not by hand.\n"
                       "[overrides]\n";
    for (const auto& [id, o] : overrides)
        text += id + " = \"" + std::string(to_string(o)) + "\"\n";

    std::string path = overrides_path(state_dir);
    std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int r = write_all(fd, text);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp.c_str(), path.c_str()) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp.c_str());
        return r;
    }
    // Make the rename itself durable.
    int dfd = open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

} // namespace portcullis
