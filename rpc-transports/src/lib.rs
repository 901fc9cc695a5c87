//! Framed transports for Capstan.
