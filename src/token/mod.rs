//! Participant tokens (`ivstack token`): the guide's token step by logical id. A request
//! and its limits (`request`), the `--users` list for bulk minting (`users`), finding the
//! stage and the imported public key a stack owns (`target`), self-signed ES384 tokens
//! (`jwt`), and minting either way (`mint`). The command itself is `cli::token`.
//!
//! Tokens are secrets: they go to standard output and nowhere else (the log writer and
//! error messages redact JWT-shaped text, see `cli::redact`).

pub mod jwt;
pub mod mint;
pub mod request;
pub mod target;
pub mod users;
