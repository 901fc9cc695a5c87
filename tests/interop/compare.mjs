// Exact deep comparison of values as capnweb delivers them.
// `difference(want, got)` returns null when they match, else a description.

const show = (v) => {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (Object.is(v, -0)) return "-0";
  if (v === null || typeof v !== "object") return String(v);
  return `${v.constructor?.name ?? "Object"}`;
};

// Node decodes an untyped ["bytes", …] as a Buffer, a Uint8Array subclass.
const className = (v) => (v instanceof Buffer ? "Uint8Array" : v?.constructor?.name);

export function difference(want, got, path = "value") {
  const mismatch = () => `${path}: expected ${show(want)}, got ${show(got)}`;
  if (typeof want !== typeof got) return mismatch();
  if (want === null || got === null) return want === got ? null : mismatch();
  if (typeof want !== "object") return Object.is(want, got) ? null : mismatch();

  if (className(want) !== className(got)) {
    return `${path}: expected a ${className(want)}, got a ${className(got)}`;
  }
  if (Array.isArray(want)) {
    if (want.length !== got.length) return `${path}: expected length ${want.length}, got ${got.length}`;
    for (let i = 0; i < want.length; i++) {
      if (i in want !== i in got) return `${path}[${i}]: presence differs`;
      const d = difference(want[i], got[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (want instanceof Date) {
    return Object.is(want.getTime(), got.getTime()) ? null : `${path}: expected time ${want.getTime()}, got ${got.getTime()}`;
  }
  if (want instanceof ArrayBuffer || ArrayBuffer.isView(want)) {
    const isData = want instanceof ArrayBuffer || want instanceof DataView;
    const a = isData ? new Uint8Array(want.buffer ?? want, want.byteOffset ?? 0, want.byteLength) : want;
    const b = isData ? new Uint8Array(got.buffer ?? got, got.byteOffset ?? 0, got.byteLength) : got;
    if (a.length !== b.length) return `${path}: expected length ${a.length}, got ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      if (!Object.is(a[i], b[i])) return `${path}[${i}]: expected ${show(a[i])}, got ${show(b[i])}`;
    }
    return null;
  }
  if (want instanceof Error) {
    if (want.name !== got.name) return `${path}.name: expected ${show(want.name)}, got ${show(got.name)}`;
    if (want.message !== got.message) return `${path}.message: expected ${show(want.message)}, got ${show(got.message)}`;
    for (const key of ["cause", "errors"]) {
      if (key in want !== key in got) return `${path}.${key}: presence differs`;
      if (key in want) {
        const d = difference(want[key], got[key], `${path}.${key}`);
        if (d) return d;
      }
    }
    return objectDifference(want, got, path, (k) => !["stack", "cause", "errors"].includes(k));
  }
  if (Object.getPrototypeOf(want) === Object.prototype) return objectDifference(want, got, path, () => true);
  return `${path}: cannot compare a ${className(want)}`;
}

function objectDifference(want, got, path, keep) {
  const wantKeys = Object.keys(want).filter(keep).sort();
  const gotKeys = Object.keys(got).filter(keep).sort();
  if (wantKeys.join("\0") !== gotKeys.join("\0")) {
    return `${path}: expected keys [${wantKeys.map(show)}], got [${gotKeys.map(show)}]`;
  }
  for (const key of wantKeys) {
    const d = difference(want[key], got[key], `${path}[${JSON.stringify(key)}]`);
    if (d) return d;
  }
  return null;
}

export function assertSame(got, want, what = "value") {
  const d = difference(want, got, what);
  if (d) throw new Error(d);
}

// Awaits `promise`, which must reject with an error of class `cls` and message `message`.
export async function assertRejects(promise, cls, message) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected a rejection with ${cls.name}`);
  if (!(err instanceof cls) || err.name !== cls.name) {
    throw new Error(`expected a ${cls.name}, got ${err?.name}: ${err?.message}`);
  }
  if (message !== undefined && err.message !== message) {
    throw new Error(`expected message ${JSON.stringify(message)}, got ${JSON.stringify(err.message)}`);
  }
  return err;
}
