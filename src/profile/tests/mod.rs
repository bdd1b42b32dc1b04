//! The profile module's tests: they read the resolved chain itself (crate-private), and run
//! chains against the mock STS.

mod sources;

mod corpus;
mod resolution;
mod sources_sdk;
