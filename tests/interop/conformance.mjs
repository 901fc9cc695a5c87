// The Conformance interface of /work/shared/conformance.md, implemented with capnweb.
import { RpcTarget } from "capnweb";
import { CHUNK, patternChunk, addChecksum } from "./bytes.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// See `echo`.
async function rebuildWithBufferedBody(value) {
  const body = await value.arrayBuffer();
  if (value instanceof Response) {
    return new Response(body, { status: value.status, statusText: value.statusText, headers: value.headers });
  }
  return new Request(value.url, {
    method: value.method,
    headers: value.headers,
    body,
    redirect: value.redirect,
    cache: value.cache,
    credentials: value.credentials,
    integrity: value.integrity,
    referrerPolicy: value.referrerPolicy,
    keepalive: value.keepalive,
  });
}

export class Counter extends RpcTarget {
  #value;
  constructor(start) {
    super();
    this.#value = start;
  }
  increment(by) {
    this.#value += by;
    return this.#value;
  }
  value() {
    return this.#value;
  }
}

export class AuthedSession extends RpcTarget {
  whoami() {
    return "alice";
  }
}

// A ReadableStream that produces chunks on demand (only as fast as it is read)
// by awaiting next(): {value} to emit, {done: true} to close, or a throw to fail.
// `cancel` runs if the reader cancels.
function pullStream(next, cancel) {
  return new ReadableStream(
    {
      async pull(controller) {
        try {
          const item = await next();
          if (item.done) controller.close();
          else controller.enqueue(item.value);
        } catch (err) {
          controller.error(err);
        }
      },
      cancel,
    },
    { highWaterMark: 0 },
  );
}

async function readAll(stream, onChunk) {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onChunk(value);
  }
}

export class Conformance extends RpcTarget {
  #sessionStats;
  // `sessionStats` reads the serving session's getStats(); without it (HTTP
  // batch, where capnweb keeps the session to itself) sessionStats() fails.
  constructor(sessionStats) {
    super();
    this.#sessionStats = sessionStats;
  }
  // Test support beyond conformance.md, as in Capstan's conformance program:
  // the serving session's tables, not counting this call's own export entry,
  // so a client can check the server is back to {imports: 1, exports: 1}.
  async sessionStats() {
    if (!this.#sessionStats) throw new Error("sessionStats is not available on this session");
    // capnweb runs a method while it decodes the push, and adds the push's
    // export entry just after; reading the tables a tick later sees it.
    await null;
    const { imports, exports } = this.#sessionStats();
    return { imports, exports: exports - 1 };
  }
  square(i) {
    return i * i;
  }
  add(a, b) {
    return a + b;
  }
  echo(value) {
    // capnweb 0.12 on Node 20 cannot send again a Request or Response whose body arrived over
    // a pipe ("Cannot serialize value: [object ReadableStream]"), so those are rebuilt around
    // their buffered body; every other value goes back as it came.
    if ((value instanceof Request || value instanceof Response) && value.body) {
      return rebuildWithBufferedBody(value);
    }
    return value;
  }
  throwError(message) {
    throw new RangeError(message);
  }
  makeCounter(start) {
    return new Counter(start);
  }
  async incrementCounter(counter, by) {
    return await counter.increment(by);
  }
  async callFunction(fn, i) {
    return { result: await fn(i) };
  }
  async callTwice(fn) {
    const first = await fn();
    const second = await fn();
    return [first, second];
  }
  generateFibonacci(n) {
    const out = [];
    for (let a = 0, b = 1; out.length < n; [a, b] = [b, a + b]) out.push(a);
    return out;
  }
  getUser(id) {
    return { id, name: `User ${id}`, profile: { bio: `Bio of user ${id}` } };
  }
  authenticate(token) {
    if (token !== "secret") throw new Error("invalid token");
    return new AuthedSession();
  }
  async slow(ms) {
    await sleep(ms);
    return ms;
  }
  subscribe(cb, n) {
    // `cb` is released when this call returns, so keep our own reference.
    const mine = cb.dup();
    setTimeout(async () => {
      try {
        for (let i = 0; i < n; i++) await mine(i);
      } catch (err) {
        console.error("subscribe: callback failed:", err);
      } finally {
        mine[Symbol.dispose]();
      }
    }, 0);
    return n;
  }
  countTo(n) {
    let i = 0;
    return pullStream(() => (i < n ? { value: i++ } : { done: true }));
  }
  async sumStream(stream) {
    let sum = 0;
    await readAll(stream, (x) => (sum += x));
    return sum;
  }
  chat(input) {
    // Not input.pipeThrough(…): Node's TransformStream ends are not plain
    // ReadableStreams, and capnweb 0.12 refuses to send them.
    const reader = input.getReader();
    let ended = false;
    return pullStream(async () => {
      if (ended) return { done: true };
      const { done, value } = await reader.read();
      if (!done) return { value: String(value).toUpperCase() };
      ended = true;
      return { value: "bye" };
    }, (reason) => reader.cancel(reason));
  }
  async writeTo(sink, n) {
    const writer = sink.getWriter();
    for (let i = 0; i < n; i++) await writer.write(i);
    await writer.close();
    return n;
  }
  download(size) {
    let sent = 0;
    return pullStream(() => {
      if (sent >= size) return { done: true };
      const chunk = patternChunk(sent, Math.min(CHUNK, size - sent));
      sent += chunk.length;
      return { value: chunk };
    });
  }
  async upload(stream) {
    let bytes = 0;
    let checksum = 0;
    await readAll(stream, (chunk) => {
      bytes += chunk.byteLength;
      checksum = addChecksum(checksum, chunk);
    });
    return { bytes, checksum };
  }
  failingStream(n) {
    let i = 0;
    return pullStream(() => {
      if (i < n) return { value: i++ };
      throw new RangeError("stream failed");
    });
  }
}
