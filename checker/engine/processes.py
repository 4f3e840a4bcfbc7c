"""Child processes that end with papcheck: search workers and the peers a cross-check runs.

A killed papcheck (SIGKILL, an out-of-memory kill, a CI runner tearing the job down) must leave
no search worker, spin, pan, rumur or verifier behind.  :func:`die_with_parent` runs in the child:
on Linux it asks the kernel to SIGKILL the child when its parent dies (``prctl(PR_SET_PDEATHSIG)``);
elsewhere, when asked, a thread watches the parent's pid.  Either way the child exits at once if
the parent is already gone (it may have died before the request was made).  This module is the one
place outside the command line that ends a process: only a child whose parent is gone.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time


def die_with_parent(parent: int, *, watch: bool = False) -> bool:
    """Arrange for this child to end when process `parent` does; True when the kernel does it.
    With `watch`, where the kernel cannot, a daemon thread polls the parent's pid twice a second."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:
        os._exit(1)
    if watch and not armed:
        def poll() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)
        threading.Thread(target=poll, daemon=True).start()
    return armed
