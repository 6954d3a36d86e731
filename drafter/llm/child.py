"""Run a Python module as a child process that dies with its parent (the local model server).

    python -m drafter.llm.child PARENT_PID MODULE [ARGS...]

On Linux the child asks the kernel for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG),
so even a parent killed with SIGKILL takes the server with it. It is set here, in the child
after exec, and not in a `preexec_fn`: that runs between fork and exec, where a parent with
threads (asyncio's resolver, the HTTP clients) may hold locks the child then waits on for ever.
"""

from __future__ import annotations

import ctypes
import os
import runpy
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def main(argv: list[str]) -> None:
    """Arrange to die with the parent, then run the module as `python -m` would."""
    parent, module, args = int(argv[1]), argv[2], argv[3:]
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        sys.exit("drafter exited before its model server started")  # died before the prctl
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv)
