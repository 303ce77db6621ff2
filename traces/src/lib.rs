//! Editing traces for benchmarks and tests: the gzipped JSON traces of
//! `../shared/traces` (`trace`), and a seeded typing session when there is
//! none (`synth`). Kept out of the `mergedb` library so that an app that
//! embeds it does not pull in a gzip decoder.
#![deny(unsafe_code)]

pub mod concurrent;
pub mod synth;
pub mod trace;
