//! Helpers of the tests of chains over sources the SDK resolves (`profile_sources.rs`,
//! `profile_sso.rs`, `profile_login.rs`).

use std::error::Error as StdError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sts_assume_role::mfa::TokenCode;
use sts_assume_role::mfa::{self, MfaContext, MfaError};
use sts_assume_role::profile::SourceError;

/// A token source answering `123456`, counting in `prompts` how often it is asked.
pub fn counting_code(prompts: &Arc<AtomicUsize>) -> impl mfa::TokenSource + use<> {
    let prompts = Arc::clone(prompts);
    mfa::from_fn(move |_: &MfaContext| {
        prompts.fetch_add(1, Ordering::SeqCst);
        TokenCode::new("123456").map_err(MfaError::failed)
    })
}

/// The [`SourceError`] somewhere in `err`'s source chain.
pub fn source_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a SourceError> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<SourceError>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}
