"""The embedded broker of `make run`: kombu's filesystem transport, with messages written whole.

kombu's own transport opens a message's `.msg` file under its final name and then writes it, so a
worker polling the folder can take the file while it is still empty and die on the JSON it cannot
read ("Unrecoverable error: JSONDecodeError"), as seen when the demo's seeding published while a
worker ran. It creates an exchange's table of queues the same way, so a publisher reading the
table as a worker first binds to it can read it empty. Here each is written under a name nobody
reads and then moved into place (a rename, or a link for a table that must not overwrite another
process's): within one folder both are atomic, so a reader sees the file whole or not at all.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # kombu's filesystem Channel._put signature, which differs from its abstract base's.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = self.data_folder_out
        try:
            handle, partial = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
            with os.fdopen(handle, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
            os.replace(partial, os.path.join(folder, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


    def _queue_bind(self, exchange: str, routing_key: str | None, pattern: str | None,
                    queue: str | None) -> None:
        file = self._exchange_file(exchange)  # type: ignore[attr-defined]
        self.control_folder.mkdir(exist_ok=True)
        if not file.exists():
            table = [filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")]
            handle, partial = tempfile.mkstemp(dir=self.control_folder, prefix=".", suffix=".part")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(str_to_bytes(dumps(table)))
                os.link(partial, file)  # fails if another process made the table first
                return
            except FileExistsError:
                pass  # bind into the table that exists, as kombu does
            finally:
                os.unlink(partial)
        super()._queue_bind(exchange, routing_key or "", pattern, queue or "")


class Transport(filesystem.Transport):
    Channel = Channel
