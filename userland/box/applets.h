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
int chmod_main(int argc, char** argv);
int cat_main(int argc, char** argv);
int ls_main(int argc, char** argv);
int mkdir_main(int argc, char** argv);
int rm_main(int argc, char** argv);
int mv_main(int argc, char** argv);
int cp_main(int argc, char** argv);
int wc_main(int argc, char** argv);
int head_main(int argc, char** argv);
int grep_main(int argc, char** argv);
int touch_main(int argc, char** argv);
int env_main(int argc, char** argv);
int pwd_main(int argc, char** argv);
int ps_main(int argc, char** argv);
int top_main(int argc, char** argv);
int kill_main(int argc, char** argv);
int pstree_main(int argc, char** argv);
int sleep_main(int argc, char** argv);
int nice_main(int argc, char** argv);
int time_main(int argc, char** argv);

} // namespace box
