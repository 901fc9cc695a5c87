// The page's logic. It imports nothing: the page hands it capnweb's module and a
// `show(label, value)` function, so the same file runs unchanged under Node in the tests
// (tests/interop/browser-example.mjs).

// The tour, over one WebSocket session: a plain call, a returned capability, and a callback
// the server invokes. `api` is the stub `newWebSocketRpcSession` returned.
export async function tour(api, name, show) {
  // 1. A plain call.
  show("greet", await api.greet(name));

  // 2. A returned capability. `openNotebook` is not awaited: the first `add` is sent naming
  //    the notebook before it exists, so both calls cost one round trip.
  const notebook = api.openNotebook("Visitors");
  await notebook.add(`${name} was here`);
  show("notes", await notebook.add("pipelining saves round trips"));
  show("notebook", await notebook.read());
  // Let the server drop the notebook now, not when the session ends.
  notebook[Symbol.dispose]();

  // 3. A callback: the server calls this function on every tick, while `countdown` runs.
  show("countdown", await api.countdown(3, (n) => show("tick", n)));
}

// One HTTP batch: a new session that makes its calls, sends them in one POST, and ends.
// Good for stateless calls; no callbacks (the server cannot call back once the POST is
// answered).
export async function batchGreeting(capnweb, url, name) {
  const api = capnweb.newHttpBatchRpcSession(url);
  // Every result must be awaited together: the batch leaves as soon as this turn ends, and
  // a promise awaited only after the answer came would find the session over.
  const [greeting, notes] = await Promise.all([
    api.greet(name),
    // Pipelined in the same POST: `add` on a notebook that is made in this very batch.
    api.openNotebook("Scratch").add(name),
  ]);
  return { greeting, notes };
}
