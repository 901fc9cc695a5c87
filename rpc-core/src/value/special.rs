//! How values serde cannot express (stubs, promises, dates, typed bytes…) cross a serde boundary.
//!
//! Serde has no way to hand a `Stub` to a serializer. So a special value parks itself in a
//! thread-local slot and serializes as a newtype struct with a reserved name; Capstan's own
//! serializer recognises the name and takes the value from the slot. Deserialization mirrors it.
//! Both sides take the slot immediately, before any nested (de)serialization, so nesting is safe.
//! Foreign serializers (serde_json, …) see an ordinary newtype and get a best-effort rendering.

use std::cell::RefCell;

use super::Value;

/// The reserved newtype name. Never used by user types.
pub(crate) const TOKEN: &str = "$capstan::private::Value";

thread_local! {
    static SLOT: RefCell<Option<Value>> = const { RefCell::new(None) };
}

pub(crate) fn park(value: Value) {
    SLOT.with(|s| *s.borrow_mut() = Some(value));
}

pub(crate) fn take() -> Option<Value> {
    SLOT.with(|s| s.borrow_mut().take())
}

/// Serializes a special value: Capstan's serializer takes it whole; others see `fallback`.
pub(crate) fn serialize<S: serde::Serializer, F: serde::Serialize + ?Sized>(
    value: Value,
    fallback: &F,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    park(value);
    let result = serializer.serialize_newtype_struct(TOKEN, fallback);
    // A foreign serializer never took it.
    take();
    result
}
