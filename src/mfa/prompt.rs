//! A token source that asks a person on the terminal.

use std::fmt;
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

use super::{MfaContext, MfaError, TokenFuture, TokenSource};
use crate::request::TokenCode;

type Io = (Box<dyn BufRead + Send>, Box<dyn Write + Send>);

/// Asks for a code on the terminal: the question goes to stderr (never stdout, so `$(...)`
/// capture of a program's output keeps working) and the answer is read from stdin, which may
/// be a pipe. End of input cancels.
#[derive(Clone)]
pub struct TerminalPrompt {
    io: Option<Arc<Mutex<Io>>>,
}

impl fmt::Debug for TerminalPrompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.io.is_some() {
            "TerminalPrompt(custom io)"
        } else {
            "TerminalPrompt(stdin/stderr)"
        })
    }
}

impl Default for TerminalPrompt {
    fn default() -> Self {
        Self::new()
    }
}

impl TerminalPrompt {
    /// Asks on stderr, reads stdin.
    pub fn new() -> Self {
        Self { io: None }
    }

    /// Asks on `output`, reads `input`: for tests, or a terminal of your own.
    pub fn with_io(
        input: impl BufRead + Send + 'static,
        output: impl Write + Send + 'static,
    ) -> Self {
        Self {
            io: Some(Arc::new(Mutex::new((Box::new(input), Box::new(output))))),
        }
    }
}

fn ask(
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    question: &str,
) -> Result<TokenCode, MfaError> {
    output
        .write_all(question.as_bytes())
        .map_err(MfaError::failed)?;
    output.flush().map_err(MfaError::failed)?;
    let mut line = String::new();
    let read = input.read_line(&mut line).map_err(MfaError::failed)?;
    if read == 0 {
        return Err(MfaError::Cancelled);
    }
    TokenCode::new(line).map_err(MfaError::failed)
}

impl TokenSource for TerminalPrompt {
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a> {
        let question = ctx.question();
        let io = self.io.clone();
        Box::pin(async move {
            let blocking = move || match io {
                Some(io) => {
                    let mut io = io.lock().unwrap_or_else(|p| p.into_inner());
                    let (input, output) = &mut *io;
                    ask(input.as_mut(), output.as_mut(), &question)
                }
                None => ask(
                    &mut std::io::stdin().lock(),
                    &mut std::io::stderr(),
                    &question,
                ),
            };
            tokio::task::spawn_blocking(blocking)
                .await
                .map_err(MfaError::failed)?
        })
    }
}
