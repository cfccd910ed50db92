// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: what the nftables backend reads back from the kernel. The bytes are a
// sequence of netlink messages (as one recv() of a dump hands them to libmnl: each taken while
// mnl_nlmsg_ok() holds), applied one by one to a TableModel of the table "portcullis", which is
// then asked for its shape and for every set's ranges, as adoption and the periodic check do.
// No kernel: only libnftnl's parsers and ours.
//
// libnftnl trusts the kernel: an attribute of the wrong size makes it print "nf_tables kernel
// ABI is broken" and exit() (abi_breakage()). That is not ours to fix, and the daemon only
// parses what the kernel wrote, so here exit() is interposed: while a message is applied it
// jumps back and the input ends there. What the parse had allocated is lost on that jump: the
// leak check leaves out what libnftnl and the TableModel::apply_* functions allocate (they
// hold it in unique_ptrs; libnftnl has no frame pointers, so its allocations show as theirs).
#include "nft/model.hpp"

#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <libmnl/libmnl.h>
#include <vector>

namespace {

std::jmp_buf* abi_exit = nullptr; // set while libnftnl parses

// mnl_nlmsg_ok() casts nlmsg_len to int, so a length of 2^31 or more passes it and the walk
// leaves the buffer; the kernel never writes one, but the bytes here can.
bool whole_message(const nlmsghdr* nlh, int len) {
    return mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_len <= static_cast<unsigned>(len);
}

} // namespace

extern "C" void exit(int status) noexcept {
    if (abi_exit != nullptr)
        std::longjmp(*abi_exit, 1); // NOLINT(cert-err52-cpp): C frames only below, by design
    using ExitFn = void (*)(int);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): dlsym's result
    auto real = reinterpret_cast<ExitFn>(dlsym(RTLD_NEXT, "exit"));
    real(status);
    __builtin_unreachable();
}

extern "C" const char* __lsan_default_suppressions() { // NOLINT(bugprone-reserved-identifier)
    return "leak:libnftnl.so\nleak:portcullis::nft::TableModel::apply_\n";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Netlink buffers are 4-byte aligned; the fuzzer's are not.
    std::vector<std::uint32_t> buf((size + 3) / 4);
    if (size > 0)
        std::memcpy(buf.data(), data, size);
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
    int len = static_cast<int>(size);

    portcullis::nft::TableModel model("portcullis");
    std::jmp_buf jump;
    if (setjmp(jump) == 0) { // NOLINT(cert-err52-cpp)
        abi_exit = &jump;
        while (whole_message(nlh, len)) {
            (void)portcullis::nft::touches_table(nlh, "portcullis");
            (void)model.apply(nlh);
            nlh = mnl_nlmsg_next(nlh, &len);
        }
    }
    abi_exit = nullptr;
    auto shape = model.shape();
    (void)portcullis::nft::describe_difference(shape, portcullis::nft::Shape{});
    for (const auto& [name, set] : model.sets())
        (void)model.ranges(name);
    return 0;
}
