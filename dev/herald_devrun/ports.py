"""Is a port free to listen on? Checked for every service before ``make run`` starts any."""

from __future__ import annotations

import socket


def port_free(host: str, port: int) -> bool:
    """True when ``host:port`` can be listened on now.

    Bound as the services bind (with SO_REUSEADDR), so connections of a run that just
    ended, still in TIME_WAIT, do not count as taken; a listening socket does.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            s.listen(1)
        except OSError:
            return False
        return True
