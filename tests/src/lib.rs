//! Shared helpers for Capstan's black-box integration tests.
