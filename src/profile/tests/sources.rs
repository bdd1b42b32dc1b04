//! Helpers of the tests of chains over sources the SDK resolves: a copy of
//! `tests/common/sources.rs` on this crate's own types (unit tests see the crate itself).

use std::error::Error as StdError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::mfa::TokenCode;
use crate::mfa::{self, MfaContext, MfaError};
use crate::profile::SourceError;

/// A token source answering `123456`, counting in `prompts` how often it is asked.
pub(super) fn counting_code(prompts: &Arc<AtomicUsize>) -> impl mfa::TokenSource + use<> {
    let prompts = Arc::clone(prompts);
    mfa::from_fn(move |_: &MfaContext| {
        prompts.fetch_add(1, Ordering::SeqCst);
        TokenCode::new("123456").map_err(MfaError::failed)
    })
}

/// The [`SourceError`] somewhere in `err`'s source chain.
pub(super) fn source_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a SourceError> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<SourceError>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}
