"""A stand-in for Anki desktop running the AnkiConnect add-on, for the delivery tests.

Run as ``python ankiconnect_standin.py COLLECTION``: it opens COLLECTION with the real ``anki``
library and keeps it open (so the collection is locked exactly as while Anki runs), listens on a
free loopback port, prints that port, and serves AnkiConnect's HTTP protocol (POST, JSON
``{"action", "version", "params"}``, answer ``{"result", "error"}``) until its stdin closes.

Why not the real thing: AnkiConnect is an add-on that runs only inside Anki's Qt GUI, and
anki-connect-server, the headless AnkiConnect-compatible server on PyPI, requires Python >= 3.12
(this project runs on 3.11), and its importPackage passes a plain path to
``Collection.import_anki_package``, which takes an ``ImportAnkiPackageRequest``.

``importPackage`` here runs what AnkiConnect's own ``importPackage`` runs:
``anki.importing.AnkiPackageImporter(collection, path).run()``; in current Anki that is the new
importer with merge_notetypes, with_scheduling and with_deck_configs on.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from anki.collection import Collection

with contextlib.redirect_stdout(sys.stderr):  # its "deprecated alias" notice; stdout carries the port
    from anki.importing import AnkiPackageImporter


def main(path: str) -> None:
    col = Collection(path)

    def import_package(path: str) -> bool:
        AnkiPackageImporter(col, path).run()
        return True

    actions = {"version": lambda: 6, "importPackage": import_package}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # one request at a time, on the main thread, as in Anki
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            action = actions.get(request["action"])
            try:
                if action is None:
                    raise ValueError("unsupported action")
                answer = {"result": action(**request.get("params", {})), "error": None}
            except Exception as e:  # AnkiConnect reports any failure in the error field
                answer = {"result": None, "error": str(e)}
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
        col.close()


if __name__ == "__main__":
    main(sys.argv[1])
