"""The web app served for real by uvicorn on a free port, for the web and browser tests."""

from __future__ import annotations

import threading
import time

from cheel.store.catalog import Catalog


class LiveServer:
    """The app served by uvicorn on a free port of 127.0.0.1, in a thread."""

    def __init__(self, catalog: Catalog):
        import uvicorn

        from cheel.cli.ui import bind
        from cheel.web.app import create_app
        from cheel.web.security import Secrets

        self.secrets = Secrets()
        self.app = create_app(catalog, self.secrets)
        self.sock = bind(0)
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/?token={self.secrets.token}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning",
                                                    lifespan="off", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the web server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
