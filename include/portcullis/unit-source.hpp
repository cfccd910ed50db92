// What the manager needs from a source of systemd unit states. SystemdWatcher is the real
// one; unit tests of the manager plug in a hand-written fake at this seam.
#pragma once

#include "portcullis/facts.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

namespace portcullis {

class UnitSource {
public:
    virtual ~UnitSource() = default;
    virtual void set_patterns(std::vector<std::string> patterns) = 0;
    virtual int start() = 0;
    [[nodiscard]] virtual const std::map<std::string, UnitState, std::less<>>& units() const = 0;
    [[nodiscard]] virtual bool connected() const = 0;
    [[nodiscard]] virtual bool settling() const = 0;
};

using UnitSourceFactory = std::function<std::unique_ptr<UnitSource>(
    uv_loop_t* loop, const std::string& bus, std::function<void()> on_change)>;

// The real one: a SystemdWatcher on the given bus.
std::unique_ptr<UnitSource> make_systemd_source(uv_loop_t* loop, const std::string& bus,
                                                std::function<void()> on_change);

} // namespace portcullis
