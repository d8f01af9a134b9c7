// ttt-harness: checks the C++ TTT layer against golden fixtures and reports on it.
#include <harness/cli/cli.h>

int main(int argc, char** argv) { return ttt::harness::run_cli(argc, argv, ttt::harness::production_layers()); }
