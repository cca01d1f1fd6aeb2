"""The compiled twins of ``fcfs.py``'s recursion and clock replay (numba ``@njit``; needs numba).

Same operations in the same order as the plain-Python reference (a max, one addition per episode, a
binary min-heap of the places' free times), no ``fastmath``: the results are bit-identical to it.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=False)
def fcfs_numba(request: np.ndarray, stay: np.ndarray, capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Admit and leave times of FCFS admission to ``capacity`` places (see ``fcfs.fcfs_reference``)."""
    n = request.size
    free = np.zeros(capacity)  # min-heap of the places' free times
    admit = np.empty(n)
    leave = np.empty(n)
    for i in range(n):
        r = request[i]
        earliest = free[0]
        a = r if r > earliest else earliest
        done = a + stay[i]
        admit[i] = a
        leave[i] = done
        # replace the root by ``done`` and sift it down
        j = 0
        while True:
            child = 2 * j + 1
            if child >= capacity:
                break
            if child + 1 < capacity and free[child + 1] < free[child]:
                child += 1
            if free[child] < done:
                free[j] = free[child]
                j = child
            else:
                break
        free[j] = done
    return admit, leave


@njit(cache=False)
def clock_numba(times: np.ndarray) -> np.ndarray:
    """SimPy's clock at each arrival, ``now + (t - now)`` (see ``fcfs.clock_times``)."""
    clock = np.empty_like(times)
    now = 0.0
    for i in range(times.size):
        now = now + (times[i] - now)
        clock[i] = now
    return clock
