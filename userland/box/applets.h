// The programs built into the multi-call binary ("box"): each is an
// ordinary main() under its own name, picked by main.cpp from argv[0].
#pragma once

namespace box {

int init_main(int argc, char** argv);
int sh_main(int argc, char** argv);
int echo_main(int argc, char** argv);
int spin_main(int argc, char** argv);
int exec_probe_main(int argc, char** argv);
int poweroff_main(int argc, char** argv);

} // namespace box
