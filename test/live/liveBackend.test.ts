// The fixture's HTTP helpers against small in-process servers: SSE parsing edge cases, time-outs, refusals.
// Run: node esbuild.mjs && node --test out/test/live/liveBackend.test.js   (no Python needed)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  abortStream,
  LiveBackendError,
  LiveTimeoutError,
  probeHealth,
  readStream,
  repoRoot,
} from './liveBackend';

/** Serves /news/stream by writing `chunks` with a pause between them; `end: false` leaves the stream open. */
function sseServer(chunks: string[], end = true): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/news/stream') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const next = (): void => {
      if (i < chunks.length) {
        res.write(chunks[i++]);
        setTimeout(next, 10);
      } else if (end) {
        res.end();
      }
    };
    next();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** A port nobody listens on (bound, read, released). */
function closedPort(): Promise<string> {
  const server = http.createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(`http://127.0.0.1:${port}`));
    }),
  );
}

describe('readStream', () => {
  const cases: { name: string; chunks: string[]; items: string[] }[] = [
    {
      name: 'sse-starlette framing (CRLF, event + data, ping comments)',
      chunks: [
        'event: news\r\ndata: World: a\r\n\r\n',
        ': ping - 2026\r\n\r\n',
        'event: news\r\ndata: Tech: b\r\n\r\n',
      ],
      items: ['World: a', 'Tech: b'],
    },
    {
      name: 'CRLF split between chunks is one line end, not two',
      chunks: ['data: x\r', '\ndata: y\r\n\r\n'],
      items: ['x\ny'],
    },
    {
      name: 'LF framing, multi-line data, no space after the colon, non-ASCII',
      chunks: ['data:first é\ndata: 😀 second\n\n', 'data: th', 'ird\n\n'],
      items: ['first é\n😀 second', 'third'],
    },
    {
      name: 'an event cut off by the end of the stream is dropped',
      chunks: ['data: whole\n\n', 'data: partial\n'],
      items: ['whole'],
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const server = await sseServer(c.chunks);
      try {
        assert.deepEqual(await readStream(server.url, 5000), c.items);
      } finally {
        await server.close();
      }
    });
  }

  test('a stream that never ends rejects with LiveTimeoutError carrying the items so far', async () => {
    const server = await sseServer(['data: one\n\n'], false);
    try {
      const err = await readStream(server.url, 300).then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof LiveTimeoutError);
      assert.deepEqual(err.partial, ['one']);
    } finally {
      await server.close();
    }
  });

  test('a non-200 answer rejects with LiveBackendError', async () => {
    const server = http.createServer((_req, res) => res.writeHead(503).end('busy'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await assert.rejects(readStream(url, 2000), LiveBackendError);
      await assert.rejects(abortStream(url, 1000), LiveBackendError);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('probeHealth and abortStream', () => {
  let hanging: http.Server;
  let hangingUrl: string;
  before(async () => {
    // Accepts connections and never answers: what a blocked event loop looks like from outside.
    hanging = http.createServer(() => undefined);
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  });
  after(async () => {
    hanging.closeAllConnections();
    await new Promise<void>((r) => hanging.close(() => r()));
  });

  test('probeHealth gives up at its time-out on a server that does not answer', async () => {
    const probe = await probeHealth(hangingUrl, 400);
    assert.equal(probe.ok, false);
    assert.ok(probe.ms >= 390 && probe.ms < 1500, `${probe.ms} ms`);
  });

  test('probeHealth reports a refused connection at once', async () => {
    const probe = await probeHealth(await closedPort(), 3000);
    assert.equal(probe.ok, false);
    assert.ok(probe.ms < 1000, `${probe.ms} ms`);
  });

  test('abortStream closes the connection after the given time', async () => {
    let closedAt = 0;
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      req.socket.on('close', () => (closedAt = Date.now()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const started = Date.now();
    try {
      await abortStream(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 300);
      assert.ok(closedAt > 0, 'the server never saw the client go away');
      assert.ok(
        closedAt - started >= 290 && closedAt - started < 1500,
        `closed after ${closedAt - started} ms`,
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('abortStream rejects when nothing listens', async () => {
    await assert.rejects(abortStream(await closedPort(), 300));
  });
});

test('repoRoot finds this repository', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { name: string };
  assert.equal(pkg.name, 'backend-hang-debug');
});
