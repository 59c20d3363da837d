// poweroff: sync (nothing to sync yet) and power the machine off through
// reboot(2), as util-linux's poweroff -f does.
#include "box/applets.h"

#include <cstdio>
#include <sys/reboot.h>
#include <unistd.h>

namespace box {

int poweroff_main(int, char**)
{
    sync();
    if (reboot(RB_POWER_OFF) != 0) {
        std::perror("poweroff");
        return 1;
    }
    return 0;
}

} // namespace box
