import sys

from lrtui.sim.cli import sim_main

if __name__ == "__main__":
    sys.exit(sim_main(sys.argv[1:]))
