//! Runnable Capstan examples; see `src/bin`.
