import { createServer } from "node:http";

export function greeting(who) {
  return `Hello, ${who}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(greeting("world"));
  }).listen(8080);
}
