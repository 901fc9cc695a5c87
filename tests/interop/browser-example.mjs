// Runs the browser example's JavaScript under Node against the example server, using only
// what the server serves: capnweb (`/capnweb.js`), the page logic (`/app.js`), and the page's
// own inline script (`/`).
//
//   node browser-example.mjs http://127.0.0.1:PORT
//
// 1. app.js, called directly: prints `{"label", "value"}` per `show(label, value)`.
// 2. The page's inline script, with a minimal stand-in for the DOM: clicks both buttons and
//    prints `{"page": TEXT}` per line the page added to its log.
// Then prints `done`. Exits 1 on any error, and after 20 s at the latest.
import "./node-websocket.mjs";

const base = process.argv[2];
if (!base) {
  console.error("usage: node browser-example.mjs http://127.0.0.1:PORT");
  process.exit(2);
}
setTimeout(() => {
  console.error("timed out");
  process.exit(1);
}, 20_000).unref();

async function get(path, contentType) {
  const response = await fetch(base + path);
  const type = response.headers.get("content-type") ?? "";
  if (!response.ok || !type.startsWith(contentType)) {
    throw new Error(`GET ${path}: ${response.status} ${type}`);
  }
  return response.text();
}

// Node cannot import from http: URLs; a data: URL of the served bytes is the same module.
function dataUrl(source) {
  return `data:text/javascript;base64,${Buffer.from(source).toString("base64")}`;
}

// Just the DOM the page's inline script touches.
class FakeElement {
  children = [];
  listeners = {};
  value = "";
  disabled = false;
  textContent = "";
  className = "";
  append(child) {
    this.children.push(child);
  }
  addEventListener(type, listener) {
    this.listeners[type] = listener;
  }
  // Resolves when the click's work is done (the page's listeners return `run`'s promise).
  click() {
    return this.listeners.click({ target: this });
  }
}

function installFakePage() {
  const elements = new Map();
  globalThis.document = {
    getElementById(id) {
      if (!elements.has(id)) elements.set(id, new FakeElement());
      return elements.get(id);
    },
    createElement: () => new FakeElement(),
  };
  globalThis.location = { protocol: "http:", host: new URL(base).host };
  // A page resolves `fetch("/rpc")` against its own URL; Node needs it spelled out.
  const nodeFetch = globalThis.fetch;
  globalThis.fetch = (input, init) =>
    nodeFetch(typeof input === "string" ? new URL(input, base) : input, init);
  return globalThis.document;
}

try {
  const capnwebUrl = dataUrl(await get("/capnweb.js", "text/javascript"));
  const appUrl = dataUrl(await get("/app.js", "text/javascript"));
  const capnweb = await import(capnwebUrl);
  const { tour, batchGreeting } = await import(appUrl);

  // 1. app.js on its own.
  const show = (label, value) => console.log(JSON.stringify({ label, value }));
  const api = capnweb.newWebSocketRpcSession(base.replace(/^http/, "ws") + "/rpc");
  await tour(api, "Node", show);
  api[Symbol.dispose]();
  show("batch", await batchGreeting(capnweb, base + "/rpc", "Node"));

  // 2. The page itself, its imports pointed at the same served modules.
  const html = await get("/", "text/html");
  const inline = html.match(/<script type="module">([\s\S]*?)<\/script>/)?.[1];
  if (!inline?.includes('from "/capnweb.js"') || !inline.includes('from "/app.js"')) {
    throw new Error("the page has no module script importing /capnweb.js and /app.js");
  }
  const script = inline
    .replace('from "/capnweb.js"', `from ${JSON.stringify(capnwebUrl)}`)
    .replace('from "/app.js"', `from ${JSON.stringify(appUrl)}`);
  const document = installFakePage();
  await import(dataUrl(script));
  document.getElementById("name").value = "Ada";
  await document.getElementById("tour").click();
  await document.getElementById("batch").click();
  for (const item of document.getElementById("log").children) {
    console.log(JSON.stringify({ page: item.textContent }));
  }
  console.log("done");
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
