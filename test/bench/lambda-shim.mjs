// The benchmark's stand-in for the Lambda Node.js runtime, in plain JavaScript so that it adds the same few
// milliseconds to every subject (tools/local/lambda-runtime.ts is the faithful one, for tests). It defines
// `awslambda` (streamifyResponse, HttpResponseStream.from with the prelude and its 8 NUL bytes), imports the
// handler module (init) and invokes it:
//   node lambda-shim.mjs once <module>    one invocation of the event in BENCH_EVENT (JSON); the response's
//                                         bytes go to file descriptor 3, `init <ms>` to stderr (a cold start)
//   node lambda-shim.mjs serve <module>   an HTTP server on 127.0.0.1 (a warm instance): prints `listening <url>`;
//                                         each request becomes an event (IAM authorizer unless BENCH_AUTH=none)
//                                         and the response's bytes (prelude skipped) are relayed as they come
//
// Builtins are loaded as the Lambda runtime loads them, as CommonJS (its RAPID client takes `node:http` through
// `require`: aws/aws-lambda-nodejs-runtime-interface-client, src/client/rapid-client.ts), not as ES module
// imports: importing `node:http` as an ES module reads every export, and its `WebSocket` getter loads undici
// (and zlib, perf_hooks, worker_threads), which the runtime never does; that cost fell on bundle and baseline alike.
const { createWriteStream } = process.getBuiltinModule('node:fs');
const { createServer } = process.getBuiltinModule('node:http');
const { Writable } = process.getBuiltinModule('node:stream');
const { pathToFileURL } = process.getBuiltinModule('node:url');

const [mode, file] = process.argv.slice(2);
const DELIMITER = new Uint8Array(8);

globalThis.awslambda = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, prelude) {
      let first = true;
      const write = stream.write.bind(stream);
      stream.write = (chunk) => {
        if (first) {
          first = false;
          write(JSON.stringify(prelude));
          write(DELIMITER);
        }
        return write(chunk);
      };
      return stream;
    },
  },
};

function context(requestId) {
  const deadline = Date.now() + 60_000;
  return {
    awsRequestId: requestId,
    functionName: 'bench',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    callbackWaitsForEmptyEventLoop: true,
  };
}

const started = performance.now();
const { handler } = await import(pathToFileURL(file).href);
process.stderr.write(`init ${(performance.now() - started).toFixed(2)}\n`);

if (mode === 'once') {
  const out = createWriteStream(null, { fd: 3 });
  await handler(JSON.parse(process.env.BENCH_EVENT), out, context('cold'));
  if (!out.writableEnded) out.end();
} else {
  let n = 0;
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const url = new URL(req.url, 'http://localhost');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
    const event = {
      version: '2.0',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      requestContext: {
        requestId: `bench-${++n}`,
        http: { method: req.method, path: url.pathname, sourceIp: '203.0.113.10', userAgent: 'bench' },
        ...(process.env.BENCH_AUTH === 'none'
          ? {}
          : {
              authorizer: {
                iam: {
                  accessKey: 'AKIDBENCH',
                  accountId: '123456789012',
                  callerId: 'AIDABENCH',
                  userArn: 'arn:aws:iam::123456789012:user/bench',
                  userId: 'AIDABENCH',
                },
              },
            }),
      },
      body: Buffer.concat(chunks).toString('utf8'),
      isBase64Encoded: false,
    };
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.flushHeaders();
    let prelude = true;
    let held = Buffer.alloc(0);
    const relay = new Writable({
      write(chunk, _encoding, callback) {
        let bytes = Buffer.from(chunk);
        if (prelude) {
          held = Buffer.concat([held, bytes]);
          const at = held.indexOf(Buffer.from(DELIMITER));
          if (held[0] !== 0x7b) {
            prelude = false; // no prelude (a plain stream)
            bytes = held;
          } else if (at < 0) {
            return callback();
          } else {
            prelude = false;
            bytes = held.subarray(at + DELIMITER.length);
          }
        }
        if (bytes.length > 0) res.write(bytes);
        callback();
      },
      final(callback) {
        res.end();
        callback();
      },
    });
    try {
      await handler(event, relay, context(`bench-${n}`));
      if (!relay.writableEnded) relay.end();
    } catch (error) {
      process.stderr.write(`invocation failed: ${error.stack}\n`);
      res.destroy();
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
}
