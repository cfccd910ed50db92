// SPDX-License-Identifier: GPL-2.0-or-later
#include "legacy/backend.hpp"

#include "core/strings.hpp"
#include "legacy/xtables.hpp"

#include <algorithm>
#include <cerrno>
#include <set>
#include <stdexcept>
#include <sys/timerfd.h>

namespace portcullis {

using namespace legacy;

namespace {

std::string first_line(const std::string& s) {
    std::string l = s.substr(0, s.find('\n'));
    return l.empty() ? s : l;
}

const char* hook_of(bool raw) {
    return raw ? "PREROUTING" : "INPUT";
}

std::string table_words(int family, bool raw) {
    return std::string(family == 6 ? "ip6tables" : "iptables") + (raw ? " raw" : " filter");
}

// The check timer fires every `seconds` (at least 1), first `seconds` from now.
int arm_timer(int fd, unsigned seconds) {
    itimerspec every{};
    every.it_value.tv_sec = every.it_interval.tv_sec = std::max(1U, seconds);
    return timerfd_settime(fd, 0, &every, nullptr) < 0 ? -errno : 0;
}

} // namespace

std::unique_ptr<LegacyBackend> LegacyBackend::open(const LegacyOptions& o, CommitResult* err) {
    std::unique_ptr<LegacyBackend> b(new LegacyBackend(o));
    auto fail = [&](int e, std::string text) -> std::unique_ptr<LegacyBackend> {
        if (err)
            *err = CommitResult::failure(e, std::move(text));
        return nullptr;
    };
    if (o.tools.v4.empty())
        return fail(-ENOENT, "no legacy iptables-restore to install the chain with");
    if (int r = b->sock_.open(); r < 0)
        return fail(r, "opening the ipset netlink socket: " + errno_text(r));
    b->timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!b->timer_)
        return fail(-errno, "creating the check timer: " + errno_text(-errno));
    // Legacy iptables and ipset announce no changes: look at them every check_seconds. Only
    // this backend has the timer, so the nftables backend keeps its idle loop silent.
    if (int r = arm_timer(b->timer_.get(), o.check_seconds); r < 0)
        return fail(r, "arming the check timer: " + errno_text(r));
    return b;
}

void LegacyBackend::set_check_seconds(unsigned seconds) {
    opt_.check_seconds = seconds;
    // Cannot fail on a valid timerfd; if it did, the old period stays, which is still a check.
    (void)arm_timer(timer_.get(), seconds);
}

std::string LegacyBackend::render(const TableLayout& desired) const {
    std::string why;
    std::optional<LegacyLayout> l = translate(desired, opt_.translate, &why);
    if (!l)
        return "# the legacy backend cannot express this layout: " + why + "\n";
    return render_text(*l, families(), opt_.ftp_helper);
}

std::vector<int> LegacyBackend::families() const {
    if (opt_.translate.ipv6 && !opt_.tools.v6.empty())
        return {4, 6};
    return {4};
}

CommitResult LegacyBackend::run(const IpsetRequest& req) {
    CommitResult res;
    res.messages = req.parts().size();
    res.bytes = req.data().size();
    res.error = sock_.run(req, &res.message);
    return res;
}

int LegacyBackend::list(std::string_view name, bool names_only, std::vector<ListedSet>* out,
                        std::string* message) {
    IpsetRequest req(sock_.next_seq());
    req.list(name, names_only);
    int r = sock_.run(req, message, [&](const nlmsghdr* nlh) { return parse_list(nlh, *out); });
    finish_list(*out);
    return r;
}

int LegacyBackend::read_chain(int family, bool raw, const std::string& chain, ChainCheck* out) {
    XtTable t;
    if (int r = read_xt_table(family, raw ? "raw" : "filter", &t); r < 0)
        return r;
    XtView v;
    if (int r = parse_xt_table(t, &v); r < 0)
        return r;
    *out = check_chain(v, chain, hook_of(raw));
    return 0;
}

CommitResult LegacyBackend::create_filled(const LegacySet& s, const std::string& name) {
    IpSetDef def = s.def;
    def.name = name;
    IpsetRequest req(sock_.next_seq());
    req.create(def, def.type == IpSetType::bitmap_port ? opt_.bitmap_port_revision
                                                       : opt_.hash_net_revision);
    req.change(true, def, s.members);
    return run(req);
}

CommitResult LegacyBackend::swap_in(const LegacySet& s) {
    const std::string temp = temp_set_name(s.def.name);
    {
        // A set left by a run that died half-way through a swap.
        IpsetRequest clean(sock_.next_seq());
        clean.destroy(temp);
        std::string ignored;
        sock_.run(clean, &ignored);
    }
    // Filled first, swapped only once every member is in: the kernel handles each message on
    // its own, so a swap sent with the fill would go through even if an add had failed.
    CommitResult res = create_filled(s, temp);
    if (res) {
        IpsetRequest swap(sock_.next_seq());
        swap.swap_sets(s.def.name, temp);
        CommitResult sw = run(swap);
        res.messages += sw.messages;
        res.bytes += sw.bytes;
        if (!sw)
            res = sw;
    }
    IpsetRequest drop(sock_.next_seq());
    drop.destroy(temp);
    if (CommitResult d = run(drop); res && !d)
        res = d;
    return res;
}

CommitResult LegacyBackend::fix_set(const LegacySet& s, const ListedSet* have, bool* recreate) {
    if (!have)
        return create_filled(s, s.def.name);
    bool right_type = have->type == type_name(s.def.type) &&
                      (s.def.type == IpSetType::bitmap_port ? have->range == Interval{0, 65535}
                                                            : have->family == s.def.family);
    if (!right_type) {
        *recreate = true; // only after our chain stops naming it
        return {};
    }
    if (have->members == s.members)
        return {};
    return swap_in(s);
}

CommitResult LegacyBackend::recreate(const LegacyLayout& l,
                                     const std::vector<const LegacySet*>& sets) {
    // A set of our name with another type (an older layout, or someone else's doing) can only
    // be destroyed once no rule names it: empty our chain for that moment (the box is then
    // filtered by whatever else it has, never locked out), remake the sets, then the rules.
    if (CommitResult r = install_rules(l, true); !r)
        return r;
    for (const LegacySet* s : sets) {
        IpsetRequest drop(sock_.next_seq());
        drop.destroy(s->def.name);
        if (CommitResult r = run(drop); !r)
            return r;
        if (CommitResult r = create_filled(*s, s->def.name); !r)
            return r;
    }
    return {};
}

CommitResult LegacyBackend::install_rules(const LegacyLayout& l, bool empty_chain) {
    CommitResult res;
    res.rebuilt = true;
    LegacyLayout install = l;
    if (empty_chain) {
        for (auto* rules : {&install.filter4, &install.filter6, &install.raw4, &install.raw6})
            rules->clear();
    }
    for (int fam : families()) {
        const bool with_raw = opt_.ftp_helper && !l.rules(fam, true).empty();
        ChainCheck filter, raw;
        if (int r = read_chain(fam, false, l.chain, &filter); r < 0)
            return CommitResult::failure(r, "reading " + table_words(fam, false) + ": " +
                                                errno_text(r));
        if (with_raw)
            if (int r = read_chain(fam, true, l.chain, &raw); r < 0)
                return CommitResult::failure(r, "reading " + table_words(fam, true) + ": " +
                                                    errno_text(r));
        RestoreState fs{.hook_jumps = filter.hook_jumps, .final_counters = filter.last_counters};
        std::optional<RestoreState> rs;
        if (with_raw)
            rs = RestoreState{.hook_jumps = raw.hook_jumps};
        std::string text = restore_text(install, fam, fs, rs);
        std::string output;
        const std::string& tool = fam == 6 ? opt_.tools.v6 : opt_.tools.v4;
        if (int r = run_restore(tool, text, &output); r < 0)
            return CommitResult::failure(
                r, tool + ": " + (output.empty() ? errno_text(r) : first_line(output)));
        res.messages += 1;
        res.bytes += text.size();
        // What we wrote, as the kernel holds it: the reference of the periodic check.
        for (bool is_raw : {false, true}) {
            ChainCheck now;
            if (is_raw && !with_raw)
                continue;
            if (read_chain(fam, is_raw, l.chain, &now) == 0)
                expected_[fam == 6][is_raw] = now.hash;
        }
    }
    return res;
}

CommitResult LegacyBackend::destroy_stale(const LegacyLayout& l,
                                          const std::vector<std::string>& names) {
    for (const std::string& n : names) {
        if ((!is_our_set(n) && !is_temp_set(n)) || l.find(n))
            continue;
        IpsetRequest drop(sock_.next_seq());
        drop.destroy(n);
        // In use by someone else's rule: theirs to remove; it no longer matters to us.
        if (CommitResult r = run(drop); !r && r.error != -EBUSY)
            return r;
    }
    return {};
}

bool LegacyBackend::rules_intact(const LegacyLayout& l, std::string* why) {
    auto say = [&](std::string text) {
        if (why)
            *why = std::move(text);
        return false;
    };
    if (!applied_legacy_ || !same_shape(*applied_legacy_, l) || applied_legacy_->mode != l.mode)
        return say("the rules change");
    for (int fam : families()) {
        for (bool raw : {false, true}) {
            if (raw && (!opt_.ftp_helper || l.rules(fam, true).empty()))
                continue;
            ChainCheck c;
            if (int r = read_chain(fam, raw, l.chain, &c); r < 0)
                return say("reading " + table_words(fam, raw) + ": " + errno_text(r));
            std::string where = table_words(fam, raw) + " chain " + l.chain;
            if (!c.exists)
                return say(where + " is missing");
            if (!c.first_in_hook)
                return say(where + " is not jumped to first from " + hook_of(raw));
            if (c.hash != expected_[fam == 6][raw])
                return say(where + " holds other rules");
        }
    }
    return true;
}

CommitResult LegacyBackend::converge(const LegacyLayout& l, bool rules) {
    std::vector<ListedSet> names;
    std::string msg;
    if (int r = list("", true, &names, &msg); r < 0)
        return CommitResult::failure(r, "listing ip sets: " + msg);
    std::set<std::string> present;
    for (const auto& n : names)
        present.insert(n.name);
    CommitResult res;
    std::size_t fixed = 0;
    std::vector<const LegacySet*> remake;
    for (const LegacySet& s : l.sets) {
        std::vector<ListedSet> have;
        if (present.contains(s.def.name))
            if (int r = list(s.def.name, false, &have, &msg); r < 0 && r != -ENOENT)
                return CommitResult::failure(r, "listing ip set " + s.def.name + ": " + msg);
        bool wrong_type = false;
        CommitResult r = fix_set(s, have.empty() ? nullptr : &have.front(), &wrong_type);
        if (!r)
            return r;
        if (wrong_type)
            remake.push_back(&s);
        fixed += r.messages ? 1 : 0;
        res.messages += r.messages;
        res.bytes += r.bytes;
    }
    if (!remake.empty()) {
        if (CommitResult r = recreate(l, remake); !r)
            return r;
        rules = true;
    }
    std::string why;
    if (rules || !rules_intact(l, &why)) {
        CommitResult r = install_rules(l);
        if (!r)
            return r;
        res.rebuilt = true;
        res.messages += r.messages;
        res.bytes += r.bytes;
    }
    std::vector<std::string> all;
    all.reserve(names.size());
    for (const auto& n : names)
        all.push_back(n.name);
    if (CommitResult r = destroy_stale(l, all); !r)
        return r;
    res.message = std::to_string(fixed) + " of " + std::to_string(l.sets.size()) +
                  " ip sets changed" + (res.rebuilt ? ", chain " + l.chain + " written" : "");
    return res;
}

CommitResult LegacyBackend::patch(const LegacyLayout& l, const std::vector<SetOp>& ops) {
    CommitResult res;
    for (const SetOp& op : ops) {
        const LegacySet* s = l.find(op.set);
        if (!s)
            return CommitResult::failure(-ENOENT, "no ip set " + op.set + " in the layout");
        CommitResult r;
        if (op.swap) {
            r = swap_in(*s);
        } else {
            IpsetRequest req(sock_.next_seq());
            req.change(false, s->def, op.del);
            req.change(true, s->def, op.add);
            r = run(req);
        }
        if (!r)
            return r;
        res.messages += r.messages;
        res.bytes += r.bytes;
    }
    return res;
}

CommitResult LegacyBackend::commit(const TableLayout& desired, const LayoutDiff& changes) {
    std::string why;
    TranslateOptions to = opt_.translate;
    auto next = translate(desired, to, &why);
    if (!next)
        return CommitResult::failure(-EINVAL, why);
    if (!opt_.ftp_helper) {
        next->raw4.clear();
        next->raw6.clear();
    }
    CommitResult res;
    try {
        if (!applied_ || dirty_ || applied_legacy_->chain != next->chain) {
            // Adoption: whatever an earlier run (or a failed commit) left, the rules are
            // written once and the sets fixed where they differ.
            res = converge(*next, !applied_);
            if (res && !applied_)
                res.message = "adopted: " + res.message;
        } else if (changes.layout_changed || !same_shape(*applied_legacy_, *next) ||
                   applied_legacy_->mode != next->mode) {
            res = converge(*next, true);
        } else {
            res = patch(*next, set_ops(*next, changes));
        }
    } catch (const std::bad_alloc&) {
        res = CommitResult::failure(-ENOMEM, "out of memory encoding an ipset request");
    } catch (const std::exception& e) {
        res = CommitResult::failure(-EINVAL, e.what());
    }
    if (!res) {
        // ipset has no transactions: a failure may leave some sets changed. The next commit
        // (the manager retries) converges from what the kernel really holds.
        dirty_ = true;
        return res;
    }
    dirty_ = false;
    applied_ = desired;
    applied_legacy_ = std::move(*next);
    return res;
}

CommitResult LegacyBackend::repair() {
    if (!applied_legacy_)
        return CommitResult::failure(-ENODATA, "nothing was committed yet");
    try {
        CommitResult res = converge(*applied_legacy_, false);
        dirty_ = !res;
        if (res)
            res.message = "restored: " + res.message;
        return res;
    } catch (const std::bad_alloc&) {
        return CommitResult::failure(-ENOMEM, "out of memory encoding an ipset request");
    } catch (const std::exception& e) {
        return CommitResult::failure(-EINVAL, e.what());
    }
}

bool LegacyBackend::verify(std::string* why) {
    auto say = [&](std::string text) {
        if (why)
            *why = std::move(text);
        return false;
    };
    if (!applied_legacy_)
        return say("nothing was committed yet");
    const LegacyLayout& l = *applied_legacy_;
    for (const LegacySet& s : l.sets) {
        std::vector<ListedSet> have;
        std::string msg;
        if (int r = list(s.def.name, false, &have, &msg); r < 0)
            return say(r == -ENOENT ? "ip set " + s.def.name + " is missing" : msg);
        if (have.empty() || have.front().type != type_name(s.def.type))
            return say("ip set " + s.def.name + " has another type");
        if (!(have.front().members == s.members))
            return say("ip set " + s.def.name + " holds other members");
    }
    return rules_intact(l, why);
}

bool LegacyBackend::process_events() {
    std::uint64_t expirations = 0;
    // Drain the timer, then look: a failed read only means it had not fired.
    if (read(timer_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        return false;
    if (!applied_legacy_)
        return false;
    if (dirty_)
        return true;
    return !verify();
}

std::optional<std::uint64_t> LegacyBackend::dropped() {
    if (!applied_legacy_)
        return std::nullopt;
    std::uint64_t packets = 0;
    for (int fam : families()) {
        ChainCheck c;
        if (read_chain(fam, false, applied_legacy_->chain, &c) < 0 || !c.last_counters)
            return std::nullopt;
        packets += c.last_counters->first;
    }
    return packets;
}

} // namespace portcullis
