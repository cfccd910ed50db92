// The manager's UnitSource seam, served by the real SystemdWatcher.
#include "portcullis/systemd-watcher.hpp"
#include "portcullis/unit-source.hpp"

namespace portcullis {

namespace {

class SystemdSource final : public UnitSource {
public:
    SystemdSource(uv_loop_t* loop, const std::string& bus, std::function<void()> on_change)
        : watcher_(loop, bus, std::move(on_change)) {}

    void set_patterns(std::vector<std::string> patterns) override {
        watcher_.set_patterns(std::move(patterns));
    }
    int start() override { return watcher_.start(); }
    [[nodiscard]] const std::map<std::string, UnitState, std::less<>>& units() const override {
        return watcher_.units();
    }
    [[nodiscard]] bool connected() const override { return watcher_.connected(); }
    [[nodiscard]] bool settling() const override { return watcher_.settling(); }

private:
    SystemdWatcher watcher_;
};

} // namespace

std::unique_ptr<UnitSource> make_systemd_source(uv_loop_t* loop, const std::string& bus,
                                                std::function<void()> on_change) {
    return std::make_unique<SystemdSource>(loop, bus, std::move(on_change));
}

} // namespace portcullis
