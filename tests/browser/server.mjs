// A small read-only static server for the browser tests: serves dist/ and
// tests/ of the repository on 127.0.0.1, with the MIME types browsers insist
// on (module scripts, application/wasm for streaming compilation).
//
//   /dist/...        plain
//   /csp/dist/...    the same file, plus a strict Content-Security-Policy
//                    (the prefix carries over to relative imports and to the
//                    worker script, so the whole page, worker included, runs
//                    under the policy); ?csp on any URL adds it too
//   /csp-no-wasm/... the same policy without 'wasm-unsafe-eval' (a control
//                    that shows the policy is really enforced)
//
// Run directly (`node tests/browser/server.mjs [port]`) to open the test pages
// in a browser by hand.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
export const CSP_PREFIX = '/csp';
/** A control: the same policy without 'wasm-unsafe-eval', under which no wasm may compile. */
export const CSP_NO_WASM = "default-src 'self'; script-src 'self'";
export const CSP_NO_WASM_PREFIX = '/csp-no-wasm';

const MIME = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Top-level folders of the repository the server exposes. */
const ALLOWED = ['dist', 'tests'];

/**
 * Starts the server. Resolves to { server, origin, requests, close() };
 * `requests` logs every request as { method, path, status, csp }.
 */
export async function startServer({ root, port = 0, host = '127.0.0.1' } = {}) {
  const rootReal = await realpath(root);
  const requests = [];

  async function resolveFile(pathname) {
    let rel;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return { status: 400 };
    }
    if (rel.includes('\0') || rel.includes('\\')) return { status: 400 };
    const parts = rel.split('/').filter(Boolean);
    if (parts.some((p) => p === '..' || p === '.')) return { status: 403 };
    if (!ALLOWED.includes(parts[0])) return { status: 404 };
    const file = resolve(rootReal, ...parts);
    if (!file.startsWith(rootReal + sep)) return { status: 403 };
    let real;
    try {
      real = await realpath(file); // no symlinks out of the root either
    } catch {
      return { status: 404 };
    }
    if (!real.startsWith(rootReal + sep)) return { status: 403 };
    const info = await stat(real);
    if (!info.isFile()) return { status: 404 };
    return { status: 200, file: real, size: info.size };
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let pathname = url.pathname;
    let policy = url.searchParams.has('csp') ? CSP : null;
    for (const [prefix, value] of [
      [CSP_PREFIX, CSP],
      [CSP_NO_WASM_PREFIX, CSP_NO_WASM],
    ])
      if (pathname.startsWith(prefix + '/')) {
        pathname = pathname.slice(prefix.length);
        policy = value;
      }
    const csp = policy !== null;
    const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    if (csp) headers['Content-Security-Policy'] = policy;
    const done = (status, extra = {}, body) => {
      requests.push({ method: req.method, path: url.pathname + url.search, status, csp });
      res.writeHead(status, { ...headers, ...extra });
      res.end(body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return done(405, { Allow: 'GET, HEAD' });
      if (pathname === '/favicon.ico') return done(204);
      const found = await resolveFile(pathname);
      if (found.status !== 200) return done(found.status, { 'Content-Type': 'text/plain' }, `${found.status}\n`);
      const type = MIME[extname(found.file).toLowerCase()] ?? 'application/octet-stream';
      requests.push({ method: req.method, path: url.pathname + url.search, status: 200, csp });
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': found.size });
      if (req.method === 'HEAD') return res.end();
      createReadStream(found.file)
        .on('error', () => res.destroy())
        .pipe(res);
    } catch (err) {
      if (!res.headersSent) done(500, { 'Content-Type': 'text/plain' }, `500 ${String(err)}\n`);
      else res.destroy();
    }
  });

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const { port: actual } = server.address();
  return {
    server,
    origin: `http://${host}:${actual}`,
    requests,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const { origin } = await startServer({ root, port: Number(process.argv[2] ?? 8080) });
  console.log(
    `serving ${root} (dist/, tests/) at ${origin}/tests/browser/  (strict CSP under ${origin}${CSP_PREFIX}/...)`,
  );
}
