// A local HTTP server (127.0.0.1 only) serving fixture files, with failure
// modes for the loaders' error paths: a connection cut mid-file, 404s, and a
// Hugging Face-like /<repo>/resolve/<rev>/<file> layout.
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';

/** routes: path -> { body: Buffer } | { cutAfter: number, body } | { status } */
export async function startServer(routes) {
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url, 'http://x').pathname];
    if (!route || route.status) {
      res.writeHead(route?.status ?? 404).end();
      return;
    }
    const body = route.body;
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    if (req.method === 'HEAD') return res.end();
    if (route.cutAfter !== undefined) {
      res.write(body.subarray(0, route.cutAfter), () => req.socket.destroy());
      return;
    }
    if (route.slow) {
      // Trickle so a test can abort mid-download.
      let offset = 0;
      const timer = setInterval(() => {
        if (res.destroyed || offset >= body.length) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(body.subarray(offset, offset + 4096));
        offset += 4096;
      }, 5);
      return;
    }
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)), server };
}

export function fileBody(path) {
  return existsSync(path) ? readFileSync(path) : undefined;
}
