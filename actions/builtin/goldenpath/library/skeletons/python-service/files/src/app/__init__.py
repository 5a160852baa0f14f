"""{{ name }}: {{ description }}"""

from http.server import BaseHTTPRequestHandler, HTTPServer


def greeting(who: str) -> str:
    return f"Hello, {who}"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = greeting("world").encode()
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    HTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
