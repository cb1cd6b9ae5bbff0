//! The stack-file form of a public key (`public_keys.<id>`): what a file may say. Field
//! docs become the JSON Schema's descriptions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::is_false;

/// An IVS Real-Time public key: the public half of the ECDSA P-384 key pair whose private
/// half signs participant tokens yourself (ES384). IVS has no update for it: changing
/// `name` or the key replaces it. Give the key inline (`public_key_pem`) or as a file
/// (`public_key_file`), exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicKey {
    /// Name. Default: `<stack>-<id>`. Changing it replaces the public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 128),
        pattern(r"^[a-zA-Z0-9-_]*$"),
        extend("patternErrorMessage" = "may only contain letters, digits, `-` and `_`")
    )]
    pub name: Option<String>,

    /// The P-384 public key in PEM (`-----BEGIN PUBLIC KEY-----`), e.g. from
    /// `openssl ec -in signer.pem -pubout`. Never the private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_pem: Option<String>,

    /// A file holding the PEM public key, relative to the stack file's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub public_key_file: Option<String>,

    /// Tags of this public key, merged over the stack's default tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,

    /// Never delete this public key (stored as the `ivstack:protect` tag).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,

    /// `public_key_file` as read when the stack file was loaded.
    #[serde(skip)]
    #[schemars(skip)]
    pub file: Option<KeyFile>,
}

/// A key file, read relative to the stack file.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyFile {
    /// The path it was read from (resolved against the stack file's directory).
    pub path: PathBuf,
    /// Its text, or why it could not be read.
    pub contents: Result<String, String>,
}
