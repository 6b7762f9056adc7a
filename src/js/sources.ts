// Reading a model's files from wherever they are: bytes, a File/Blob (drag and
// drop), or a URL streamed with progress and cancellation.
import { AttnscopeError } from './errors.js';

/** A file's contents, or where to get them. */
export type Source = ArrayBuffer | ArrayBufferView | Blob | URL | string;

export interface Progress {
  /** Which file: 'config', 'weights', 'tokenizer', ... */
  file: string;
  loaded: number;
  /** Total bytes, when known (Content-Length or Blob size). */
  total?: number;
}

export interface LoadOptions {
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

/** Where bytes go: a wasm buffer of a known size (written in place), or JS memory. */
export interface Sink {
  allocate(size: number): void;
  write(offset: number, chunk: Uint8Array): void;
  /** Read a URL's body in one piece rather than streaming it (small files). */
  whole?: boolean;
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AttnscopeError('aborted', 'loading was aborted');
}

function describe(source: Source): string {
  return typeof source === 'string' ? source : source instanceof URL ? source.href : 'the given data';
}

function isNodeFileUrl(url: URL): boolean {
  return url.protocol === 'file:' && typeof (globalThis as { process?: unknown }).process === 'object';
}

/**
 * Streams `source` into `sink`. For URLs of unknown length the chunks are
 * gathered first; otherwise they land in the sink as they arrive.
 */
export async function readInto(source: Source, name: string, sink: Sink, options: LoadOptions = {}): Promise<number> {
  const { signal, onProgress } = options;
  checkAbort(signal);
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes =
      source instanceof ArrayBuffer
        ? new Uint8Array(source)
        : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    sink.allocate(bytes.length);
    sink.write(0, bytes);
    onProgress?.({ file: name, loaded: bytes.length, total: bytes.length });
    return bytes.length;
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    return readStream(source.stream(), source.size, name, sink, options);
  }
  if (typeof source !== 'string' && !(source instanceof URL))
    throw new AttnscopeError('invalid_argument', `${name}: expected an ArrayBuffer, typed array, Blob, File or URL`);
  let url: URL;
  try {
    url = new URL(source, (globalThis as { location?: { href: string } }).location?.href);
  } catch {
    throw new AttnscopeError('invalid_argument', `${name}: ${String(source)} is not a URL`);
  }
  if (isNodeFileUrl(url)) {
    const fs = await import(/* webpackIgnore: true */ 'node:fs/promises');
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(url);
    } catch (err) {
      throw new AttnscopeError('load_failed', `${name}: could not read ${url.href}: ${String(err)}`, { cause: err });
    }
    return readInto(bytes, name, sink, options);
  }
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (err) {
    checkAbort(signal);
    throw new AttnscopeError('load_failed', `${name}: could not fetch ${url.href}: ${String(err)}`, { cause: err });
  }
  if (!response.ok)
    throw new AttnscopeError(
      response.status === 404 ? 'not_found' : 'load_failed',
      `${name}: ${url.href} answered HTTP ${response.status}`,
    );
  const length = Number(response.headers.get('content-length'));
  const encoded = response.headers.get('content-encoding');
  // A compressed body's Content-Length is not the size of what we read.
  const total = Number.isSafeInteger(length) && length >= 0 && !encoded ? length : undefined;
  // Small files are read whole: Chromium's DevTools (and so Playwright)
  // report a fetch body read through getReader() as net::ERR_ABORTED now and
  // then although every byte arrived (microsoft/playwright#42742); a native
  // arrayBuffer() read does not race that way. Weights stream, for progress
  // and so they land in wasm memory without a second copy.
  if (!response.body || sink.whole) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (err) {
      checkAbort(signal);
      throw new AttnscopeError('load_failed', `${name}: the download of ${url.href} broke off (${String(err)})`, {
        cause: err,
      });
    }
    return readInto(bytes, name, sink, options);
  }
  return readStream(response.body, total, name, sink, options, url.href);
}

async function readStream(
  stream: ReadableStream<Uint8Array>,
  total: number | undefined,
  name: string,
  sink: Sink,
  { signal, onProgress }: LoadOptions,
  where = describe(''),
): Promise<number> {
  const reader = stream.getReader();
  const gathered: Uint8Array[] = [];
  let loaded = 0;
  const abort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', abort, { once: true });
  try {
    if (total !== undefined) sink.allocate(total);
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        checkAbort(signal);
        throw new AttnscopeError(
          'load_failed',
          `${name}: the download of ${where} broke off after ${loaded} bytes (${String(err)})`,
          {
            cause: err,
          },
        );
      }
      checkAbort(signal);
      if (step.done) break;
      const chunk = step.value;
      if (total !== undefined) {
        if (loaded + chunk.length > total)
          throw new AttnscopeError('load_failed', `${name}: ${where} sent more than its announced ${total} bytes`);
        sink.write(loaded, chunk);
      } else {
        gathered.push(chunk);
      }
      loaded += chunk.length;
      onProgress?.({ file: name, loaded, total });
    }
    if (total !== undefined && loaded !== total)
      throw new AttnscopeError(
        'load_failed',
        `${name}: the download of ${where} ended after ${loaded} of ${total} bytes`,
      );
    if (total === undefined) {
      sink.allocate(loaded);
      let offset = 0;
      for (const chunk of gathered) {
        sink.write(offset, chunk);
        offset += chunk.length;
      }
    }
    return loaded;
  } finally {
    signal?.removeEventListener('abort', abort);
    reader.releaseLock?.();
  }
}

/** Reads a (small) source fully into JS memory. */
export async function readBytes(source: Source, name: string, options?: LoadOptions): Promise<Uint8Array> {
  let out = new Uint8Array(0);
  await readInto(
    source,
    name,
    {
      allocate: (size) => {
        out = new Uint8Array(size);
      },
      write: (offset, chunk) => out.set(chunk, offset),
      whole: true,
    },
    options,
  );
  return out;
}
