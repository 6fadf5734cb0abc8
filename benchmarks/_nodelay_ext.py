"""A Jupyter Server extension for `bench_latency.py --nodelay` only (never shipped): it
sets TCP_NODELAY on the kernel websockets, which Jupyter Server leaves off.

Why it is measured: a message from the kernel to the browser (the ack of a decision)
follows other small frames on the same socket (the kernel's "busy" status for the comm
message); with Nagle's algorithm on, the server holds it until the browser acknowledges
the previous frame, and the browser delays that ACK (about 40 ms on Linux). Running the
same benchmark in a server with this extension shows how much of key -> ack is that wait.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "_nodelay_ext"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    opened = KernelWebsocketHandler.open

    async def open_nodelay(self: Any, kernel_id: str) -> None:
        self.set_nodelay(True)
        await opened(self, kernel_id)

    KernelWebsocketHandler.open = open_nodelay  # type: ignore[method-assign]
    serverapp.log.info("_nodelay_ext: TCP_NODELAY on kernel websockets (benchmark only)")
