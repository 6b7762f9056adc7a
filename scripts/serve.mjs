// The static server of the page (npm start): serves one folder (build/web) on
// 127.0.0.1 with the MIME types browsers insist on (module scripts,
// application/wasm for streaming compilation) and a strict
// Content-Security-Policy on every response, so the real site proves that the
// page, the element and its worker need no inline script, no inline style and
// no eval:
//
//   default-src 'self'; script-src 'self' 'wasm-unsafe-eval'
//
// plus, for the model picker's Hugging Face presets only, connect-src for the
// hub (the policy's default-src would block those downloads; nothing else is
// loosened). `strict: true` serves the bare policy (the tests use it).
//
//   node scripts/serve.mjs [folder]      PORT=8080 by default, HOST=127.0.0.1
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
export const SITE_CSP = `${STRICT_CSP}; connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co`;

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * Serves `root`. Resolves to { origin, requests, close() }; `requests` logs
 * { path, status } of every request (for tests).
 */
export async function startServer({ root, port = 0, host = '127.0.0.1', strict = false } = {}) {
  const rootReal = await realpath(root);
  const policy = strict ? STRICT_CSP : SITE_CSP;
  const requests = [];

  async function find(pathname) {
    let rel;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return { status: 400 };
    }
    if (rel.includes('\0') || rel.includes('\\')) return { status: 400 };
    const parts = rel.split('/').filter(Boolean);
    if (parts.some((p) => p === '..' || p === '.' || p.startsWith('.'))) return { status: 403 };
    let file = resolve(rootReal, ...parts);
    if (file !== rootReal && !file.startsWith(rootReal + sep)) return { status: 403 };
    let info;
    try {
      file = await realpath(file);
      if (file !== rootReal && !file.startsWith(rootReal + sep)) return { status: 403 };
      info = await stat(file);
      if (info.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file);
      }
    } catch {
      return { status: 404 };
    }
    return info.isFile() ? { status: 200, file, size: info.size } : { status: 404 };
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = {
      'Content-Security-Policy': policy,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    };
    const done = (status, body = '') => {
      requests.push({ path: url.pathname, status });
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return done(405, 'method not allowed\n');
      if (url.pathname === '/favicon.ico') return done(204);
      const found = await find(url.pathname);
      if (found.status !== 200) return done(found.status, `${found.status}\n`);
      requests.push({ path: url.pathname, status: 200 });
      res.writeHead(200, {
        ...headers,
        'Content-Type': MIME[extname(found.file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': found.size,
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(found.file)
        .on('error', () => res.destroy())
        .pipe(res);
    } catch (err) {
      if (!res.headersSent) done(500, `500 ${String(err)}\n`);
      else res.destroy();
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const { port: actual } = server.address();
  return {
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
  const root = resolve(process.argv[2] ?? fileURLToPath(new URL('../build/web', import.meta.url)));
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  try {
    const { origin } = await startServer({ root, port, host });
    console.log(`attnscope: serving ${root}`);
    console.log(
      `attnscope: open ${origin}/  (tutorial: ${origin}/tutorial.html, three elements: ${origin}/three.html)`,
    );
    console.log('attnscope: press Ctrl+C to stop');
  } catch (err) {
    if (err.code === 'EADDRINUSE') console.error(`attnscope: port ${port} is in use; try PORT=${port + 1} npm start`);
    else console.error(`attnscope: could not start the server: ${err.message}`);
    process.exit(1);
  }
}
