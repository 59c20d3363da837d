// Entry point of the multi-call binary: the image holds it under several
// names (/sbin/init, /bin/sh, /bin/echo ...) and the basename of argv[0]
// says which program to be. `box NAME ARGS...` also works, for running
// an applet from a path that does not carry its name.
#include "box/applets.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace {

struct Applet {
    std::string_view name;
    int (*main)(int, char**);
};

int true_main(int, char**) { return 0; }
int false_main(int, char**) { return 1; }

constexpr std::array k_applets{
    Applet{"init", box::init_main},   Applet{"sh", box::sh_main}, Applet{"boxsh", box::sh_main},
    Applet{"echo", box::echo_main},   Applet{"true", true_main},
    Applet{"false", false_main},      Applet{"spin", box::spin_main},
    Applet{"exec_probe", box::exec_probe_main}, Applet{"poweroff", box::poweroff_main},
    Applet{"chmod", box::chmod_main},
    Applet{"cat", box::cat_main},     Applet{"ls", box::ls_main},
    Applet{"mkdir", box::mkdir_main}, Applet{"rm", box::rm_main},
    Applet{"mv", box::mv_main},       Applet{"cp", box::cp_main},
    Applet{"wc", box::wc_main},       Applet{"head", box::head_main},
    Applet{"grep", box::grep_main},   Applet{"touch", box::touch_main},
    Applet{"env", box::env_main},     Applet{"pwd", box::pwd_main},
    Applet{"ps", box::ps_main},       Applet{"top", box::top_main},
    Applet{"kill", box::kill_main},   Applet{"pstree", box::pstree_main},
    Applet{"sleep", box::sleep_main}, Applet{"nice", box::nice_main},
    Applet{"time", box::time_main},
};

std::string_view basename_of(const char* path)
{
    std::string_view p{path};
    auto slash = p.rfind('/');
    return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

const Applet* find_applet(std::string_view name)
{
    for (const auto& applet : k_applets)
        if (applet.name == name)
            return &applet;
    return nullptr;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc >= 1 && argv[0] != nullptr) {
        if (const Applet* applet = find_applet(basename_of(argv[0])))
            return applet->main(argc, argv);
    }
    if (argc >= 2) {
        if (const Applet* applet = find_applet(argv[1]))
            return applet->main(argc - 1, argv + 1);
    }
    std::fprintf(stderr, "usage: box APPLET [ARGS...]\napplets:");
    for (const auto& applet : k_applets)
        std::fprintf(stderr, " %.*s", int(applet.name.size()), applet.name.data());
    std::fprintf(stderr, "\n");
    return 127;
}
