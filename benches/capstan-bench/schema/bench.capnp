# The benchmark interfaces for the capnp-rpc subject (written for this bench).
@0xc4b1d2e3f4a50617;

interface Bench {
  add @0 (a :Int64, b :Int64) -> (sum :Int64);
  echo @1 (data :Data) -> (data :Data);
  # Pushes 0 .. n-1 into `sink`, one streaming call per item, then calls `done`.
  count @2 (n :UInt64, sink :Sink) -> ();
  # Returns a sink; every item pushed into it is pushed back into `back`.
  echoStream @3 (back :Sink) -> (input :Sink);
  number @4 (start :Int64) -> (number :Number);
  # Calls `cb` n times, one at a time; returns each call's latency in nanoseconds.
  callMe @5 (cb :Callback, n :UInt64) -> (nanos :List(UInt64));
}

interface Number {
  plus @0 (b :Int64) -> (number :Number);
  get @1 () -> (value :Int64);
}

interface Sink {
  push @0 (value :UInt64) -> stream;
  done @1 () -> ();
}

interface Callback {
  call @0 (x :Int64) -> (y :Int64);
}
