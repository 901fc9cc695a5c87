//! `Extensions`: values attached to a session, by type.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    fmt,
    sync::Mutex,
};

/// Values attached to a session, one per type: who the peer is once it has authenticated,
/// a tenant, a request budget. Handlers write them through [`Session::current`]; middleware
/// reads them from the request's session.
///
/// [`Session::current`]: crate::Session::current
///
/// ```
/// use rpc_core::{Session, testing::memory_pair};
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct User(String);
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let (a, _b) = memory_pair();
/// let session = Session::builder().start(a);
/// assert_eq!(session.extensions().get::<User>(), None);
/// session.extensions().insert(User("ada".into()));
/// assert_eq!(session.extensions().get::<User>(), Some(User("ada".into())));
/// # });
/// ```
#[derive(Default)]
pub struct Extensions {
    values: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl Extensions {
    /// Stores `value`, returning the value of the same type stored before, if any.
    pub fn insert<T: Any + Send + Sync>(&self, value: T) -> Option<T> {
        self.lock()
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }

    /// A copy of the stored value of type `T`.
    pub fn get<T: Any + Clone>(&self) -> Option<T> {
        self.lock()
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
            .cloned()
    }

    /// Removes and returns the stored value of type `T`.
    pub fn remove<T: Any>(&self) -> Option<T> {
        self.lock()
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast().ok().map(|b| *b))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TypeId, Box<dyn Any + Send + Sync>>> {
        self.values.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.lock().len())
            .finish()
    }
}
