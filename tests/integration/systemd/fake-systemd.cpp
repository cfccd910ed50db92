// SPDX-License-Identifier: GPL-2.0-or-later
// A stand-in for an OLD systemd (before v230, as on Synology DSM) on a private bus, driven line
// by line through a FIFO, so the tests can reach what systemd 252 cannot show: the watcher's
// fallback to ListUnits/ListUnitFiles when the *ByPatterns methods do not exist, a manager that
// appears after the watcher, and one that goes away and comes back with another state.
//
//   fake-systemd --bus ADDRESS --commands FIFO [--init FILE]
//
// FILE holds commands applied before the name is taken (a manager that comes up with state).
// It owns org.freedesktop.systemd1 and serves Manager.Subscribe, Unsubscribe, ListUnits,
// ListUnitFiles and GetUnitFileState (the *ByPatterns calls get UnknownMethod from sd-bus, as
// from systemd 219). Like systemd, it sends unit signals only while someone is subscribed.
// Commands (one per line):
//   file NAME STATE      a unit file's state ("-": no file), then UnitFilesChanged
//   load NAME ACTIVE     the unit is loaded with ActiveState ACTIVE: UnitNew
//   active NAME ACTIVE   PropertiesChanged(org.freedesktop.systemd1.Unit, ActiveState)
//   invalidate NAME      PropertiesChanged with ActiveState only in "invalidated"
//   service NAME ACTIVE  PropertiesChanged on the Service interface: must be ignored
//   unload NAME          UnitRemoved
//   reload               Reloading(true), Reloading(false)
//   quiet NAME ACTIVE    changes the state without any signal (seen only by a resync)
// It prints "ready" once it owns the name, and "subscribers=N" when that changes.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

namespace {

constexpr const char* unit_prefix = "/org/freedesktop/systemd1/unit";

// A diagnostic for the test's log. stderr is the last resort: a failed write there has nowhere
// else to go, so its result is not looked at.
void complain(const std::string& what) {
    (void)std::fprintf(stderr, "fake-systemd: %s\n", what.c_str());
}
void complain(const std::string& what, int r) {
    complain(what + ": " + std::strerror(-r));
}

// One line for the test, which reads stdout as it comes. False when it cannot be written: the
// reader is gone.
bool say(const std::string& line) {
    return std::printf("%s\n", line.c_str()) >= 0 && std::fflush(stdout) == 0;
}

struct Fake {
    sd_bus* bus = nullptr;
    sd_event* event = nullptr;
    std::map<std::string, std::string> files;  // name -> UnitFileState
    std::map<std::string, std::string> loaded; // name -> ActiveState
    std::set<std::string> subscribers;
    std::string pending; // partial command line

    std::string path(const std::string& name) const {
        char* p = nullptr;
        if (sd_bus_path_encode(unit_prefix, name.c_str(), &p) < 0)
            return "/";
        std::string s = p;
        std::free(p);
        return s;
    }

    void manager_signal(const char* member, const char* types = nullptr, const char* a = nullptr,
                        const char* b = nullptr) {
        if (subscribers.empty())
            return;
        int r;
        if (!types)
            r = sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
                                   "org.freedesktop.systemd1.Manager", member, "");
        else
            r = sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
                                   "org.freedesktop.systemd1.Manager", member, types, a, b);
        if (r < 0)
            complain(std::string("emit ") + member, r);
    }

    void properties(const std::string& name, const char* interface, const char* active) {
        if (subscribers.empty())
            return;
        std::string p = path(name);
        int r = active ? sd_bus_emit_signal(bus, p.c_str(), "org.freedesktop.DBus.Properties",
                                            "PropertiesChanged", "sa{sv}as", interface, 1,
                                            "ActiveState", "s", active, 0)
                       : sd_bus_emit_signal(bus, p.c_str(), "org.freedesktop.DBus.Properties",
                                            "PropertiesChanged", "sa{sv}as", interface, 0, 1,
                                            "ActiveState");
        if (r < 0)
            complain("emit PropertiesChanged", r);
    }

    void command(const std::string& line) {
        std::istringstream in(line);
        std::string verb, name, value;
        in >> verb >> name >> value;
        if (verb == "file") {
            if (value == "-")
                files.erase(name);
            else
                files[name] = value;
            manager_signal("UnitFilesChanged");
        } else if (verb == "load") {
            loaded[name] = value;
            std::string p = path(name);
            manager_signal("UnitNew", "so", name.c_str(), p.c_str());
        } else if (verb == "active") {
            loaded[name] = value;
            properties(name, "org.freedesktop.systemd1.Unit", value.c_str());
        } else if (verb == "invalidate") {
            properties(name, "org.freedesktop.systemd1.Unit", nullptr);
        } else if (verb == "service") {
            properties(name, "org.freedesktop.systemd1.Service", value.c_str());
        } else if (verb == "unload") {
            loaded.erase(name);
            std::string p = path(name);
            manager_signal("UnitRemoved", "so", name.c_str(), p.c_str());
        } else if (verb == "reload") {
            reloading(true);
            reloading(false);
        } else if (verb == "quiet") {
            loaded[name] = value;
        } else if (!verb.empty()) {
            complain("unknown command: " + line);
        }
        tell("did " + line);
    }

    void reloading(bool active) {
        if (subscribers.empty())
            return;
        int r = sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
                                   "org.freedesktop.systemd1.Manager", "Reloading", "b", active);
        if (r < 0)
            complain("emit Reloading", r);
    }

    // A line for the test; when nobody reads any more, the fake stops.
    void tell(const std::string& line) {
        if (!say(line) && event)
            (void)sd_event_exit(event, 1);
    }
};

Fake* self(void* userdata) {
    return static_cast<Fake*>(userdata);
}

int method_subscribe(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* f = self(userdata);
    f->subscribers.insert(sd_bus_message_get_sender(m));
    f->tell("subscribers=" + std::to_string(f->subscribers.size()));
    return sd_bus_reply_method_return(m, "");
}

int method_unsubscribe(sd_bus_message* m, void* userdata, sd_bus_error*) {
    self(userdata)->subscribers.erase(sd_bus_message_get_sender(m));
    return sd_bus_reply_method_return(m, "");
}

int method_list_units(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* f = self(userdata);
    sd_bus_message* reply = nullptr;
    int r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
    for (auto it = f->loaded.begin(); r >= 0 && it != f->loaded.end(); ++it) {
        std::string p = f->path(it->first);
        r = sd_bus_message_append(reply, "(ssssssouso)", it->first.c_str(), "fake", "loaded",
                                  it->second.c_str(), it->second == "active" ? "running" : "dead",
                                  "", p.c_str(), 0u, "", "/");
    }
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    return r;
}

int method_list_unit_files(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* f = self(userdata);
    sd_bus_message* reply = nullptr;
    int r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "(ss)");
    for (auto it = f->files.begin(); r >= 0 && it != f->files.end(); ++it) {
        // Template instances have no file of their own: they are not listed, as in systemd.
        auto at = it->first.find('@');
        if (at != std::string::npos && it->first[at + 1] != '.')
            continue;
        std::string p = "/etc/systemd/system/" + it->first;
        r = sd_bus_message_append(reply, "(ss)", p.c_str(), it->second.c_str());
    }
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    return r;
}

int method_get_unit_file_state(sd_bus_message* m, void* userdata, sd_bus_error* error) {
    auto* f = self(userdata);
    const char* name = nullptr;
    int r = sd_bus_message_read(m, "s", &name);
    if (r < 0)
        return r;
    auto it = f->files.find(name);
    if (it == f->files.end())
        return sd_bus_error_setf(error, SD_BUS_ERROR_FILE_NOT_FOUND, "No such file: %s", name);
    return sd_bus_reply_method_return(m, "s", it->second.c_str());
}

const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Subscribe", "", "", method_subscribe, 0),
    SD_BUS_METHOD("Unsubscribe", "", "", method_unsubscribe, 0),
    SD_BUS_METHOD("ListUnits", "", "a(ssssssouso)", method_list_units, 0),
    SD_BUS_METHOD("ListUnitFiles", "", "a(ss)", method_list_unit_files, 0),
    SD_BUS_METHOD("GetUnitFileState", "s", "s", method_get_unit_file_state, 0),
    SD_BUS_SIGNAL("UnitNew", "so", 0),
    SD_BUS_SIGNAL("UnitRemoved", "so", 0),
    SD_BUS_SIGNAL("UnitFilesChanged", "", 0),
    SD_BUS_SIGNAL("Reloading", "b", 0),
    SD_BUS_VTABLE_END};

int on_commands(sd_event_source*, int fd, uint32_t, void* userdata) {
    auto* f = self(userdata);
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0)
        return 0;
    f->pending.append(buf, static_cast<size_t>(n));
    for (auto nl = f->pending.find('\n'); nl != std::string::npos; nl = f->pending.find('\n')) {
        std::string line = f->pending.substr(0, nl);
        f->pending.erase(0, nl + 1);
        f->command(line);
    }
    return 0;
}

// A subscriber that leaves the bus is dropped, as systemd's bus track does.
int on_owner_changed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    const char *name, *old_owner, *new_owner;
    if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && *new_owner == '\0')
        self(userdata)->subscribers.erase(name);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const char* address = nullptr;
    const char* commands = nullptr;
    const char* init = nullptr;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--bus") == 0)
            address = argv[i + 1];
        else if (std::strcmp(argv[i], "--commands") == 0)
            commands = argv[i + 1];
        else if (std::strcmp(argv[i], "--init") == 0)
            init = argv[i + 1];
    }
    if (!address || !commands) {
        (void)std::fprintf(stderr, "usage: %s --bus ADDRESS --commands FIFO [--init FILE]\n",
                           argv[0]);
        return 2;
    }
    Fake f;
    // Read-write: the FIFO never reports EOF while the test opens and closes it per command.
    int fd = open(commands, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        std::perror(commands);
        return 1;
    }
    int r = sd_event_default(&f.event);
    if (r >= 0)
        r = sd_bus_new(&f.bus);
    if (r >= 0)
        r = sd_bus_set_address(f.bus, address);
    if (r >= 0)
        r = sd_bus_set_bus_client(f.bus, 1);
    if (r >= 0)
        r = sd_bus_start(f.bus);
    if (r >= 0)
        r = sd_bus_add_object_vtable(f.bus, nullptr, "/org/freedesktop/systemd1",
                                     "org.freedesktop.systemd1.Manager", manager_vtable, &f);
    if (r >= 0)
        r = sd_bus_match_signal(f.bus, nullptr, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "NameOwnerChanged", on_owner_changed, &f);
    if (init && r >= 0) {
        FILE* in = std::fopen(init, "re");
        if (!in) {
            std::perror(init);
            return 1;
        }
        char line[512];
        while (std::fgets(line, sizeof line, in)) {
            line[std::strcspn(line, "\n")] = '\0';
            f.command(line);
        }
        const bool read_failed = std::ferror(in) != 0;
        if (std::fclose(in) != 0 || read_failed) {
            std::perror(init);
            return 1;
        }
    }
    if (r >= 0)
        r = sd_bus_request_name(f.bus, "org.freedesktop.systemd1", 0);
    if (r >= 0)
        r = sd_bus_attach_event(f.bus, f.event, 0);
    if (r >= 0)
        r = sd_event_add_io(f.event, nullptr, fd, EPOLLIN, on_commands, &f);
    if (r >= 0)
        r = sd_event_set_signal_exit(f.event, true);
    if (r < 0) {
        complain("setup", r);
        return 1;
    }
    if (!say("ready"))
        return 1;
    r = sd_event_loop(f.event);
    sd_bus_flush_close_unref(f.bus);
    sd_event_unref(f.event);
    close(fd);
    return r < 0 ? 1 : 0;
}
