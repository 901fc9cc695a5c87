// Regenerates capnweb-serialize-vectors.txt: one capnweb 0.12 `serialize()` output per line.
// Usage: npm install capnweb@0.12.0 && node gen-serialize-vectors.cjs > capnweb-serialize-vectors.txt
// The Rust tests decode and re-encode every line and require identical bytes.
const { serialize } = require("capnweb");

const values = [];
const add = (v) => values.push(v);

// Numbers: integers around 2^53, floats of every exponent range, signed zero, specials.
for (const n of [0, -0, 1, -1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 53 + 2,
  2 ** 60, 2 ** 64, 1e20, 1e21, 1e-6, 1e-7, 0.1, 0.1 + 0.2, 1.5, -2.5e-8, 1e300, -1e300,
  5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, Number.EPSILON, Math.PI, -Math.E,
  123456789.123, 1 / 3, 4.35, NaN, Infinity, -Infinity]) add(n);
let seed = 12345;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
for (let i = 0; i < 200; i++) {
  const exp = Math.floor(rand() * 80) - 40;
  add((rand() - 0.5) * Math.pow(10, exp));
}
for (let i = 0; i < 50; i++) add(Math.floor((rand() - 0.5) * 2 ** 53));
// BigInts.
for (const b of [0n, -1n, 2n ** 64n, -(2n ** 100n), 123456789012345678901234567890n]) add(b);
// Strings: every control character, escapes, non-ASCII, lone and paired surrogates.
let controls = "";
for (let c = 0; c < 0x20; c++) controls += String.fromCharCode(c);
for (const s of ["", "plain", controls, "\"\\/", "\u007f\u0080\u00ff", "\u2028\u2029", "é€😀",
  "\ud800", "\udfff", "a\ud800b", "\udc00\ud800", "\ud83d\ude00", "\udbff\ud800\udc00",
  "x".repeat(300)]) add(s);
// Dates.
for (const d of [0, 1e12, -1, 8.64e15, 1.5, NaN]) add(new Date(d));
// Bytes of every kind.
add(new Uint8Array([]));
add(new Uint8Array([1, 2, 3]));
add(new Uint8Array([255]));
add(new Uint8Array([0, 0, 0, 0, 255, 254]));
add(new ArrayBuffer(3));
add(new DataView(new Uint8Array([9, 8, 7]).buffer));
add(new Int8Array([-1, 2]));
add(new Uint8ClampedArray([300, 5]));
add(new Int16Array([-2, 3]));
add(new Uint16Array([65535]));
add(new Int32Array([-1]));
add(new Uint32Array([4000000000]));
add(new BigInt64Array([-5n]));
add(new BigUint64Array([2n ** 63n]));
add(new Float32Array([1.5, -0]));
add(new Float64Array([1, NaN]));
// Errors.
add(new Error("plain"));
add(new TypeError("t"));
add(new RangeError("with \"quotes\"\n"));
const withProps = new TypeError("bad thing");
withProps.code = 42;
withProps.detail = { list: [1, [2]], u: undefined };
add(withProps);
add(new Error("outer", { cause: new RangeError("inner") }));
add(new AggregateError([new Error("a"), new TypeError("b")], "many"));
// Containers.
add(undefined);
add(null);
add(true);
add([]);
add([[]]);
add([1, [2, "x"], { a: [null] }]);
add([undefined, , 3]);
add({});
add({ z: 1, a: { b: { c: [[[]]] } }, "k\u0000ey": "v", "😀": ["undefined"] });
add({ u: undefined, n: null, big: -99n, when: new Date(1e12), nested: [{ x: [] }] });
let deep = 1;
for (let i = 0; i < 100; i++) deep = i % 2 ? [deep] : { d: deep };
add(deep);

for (const v of values) console.log(serialize(v));
