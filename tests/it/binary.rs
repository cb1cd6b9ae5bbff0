//! Running the `ivstack` binary from the tests of `token`, `watch` and the CI recipes: a
//! temporary directory with test credentials in the environment and nothing from the
//! user's AWS configuration.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ivstack_local::{LocalConfig, LocalEndpoint};

use crate::common;

pub const BIN: &str = env!("CARGO_BIN_EXE_ivstack");

/// An endpoint and a working directory for one test.
pub struct World {
    pub endpoint: LocalEndpoint,
    pub dir: tempfile::TempDir,
}

impl World {
    pub async fn new() -> World {
        World::with(LocalConfig::default()).await
    }

    pub async fn with(config: LocalConfig) -> World {
        World {
            endpoint: common::start_local_with(config).await,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, body: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, body).expect("write file");
        p
    }

    /// The binary with `--endpoint-url` of this world's endpoint.
    pub fn command(&self) -> Command {
        let mut c = ivstack(self.dir.path());
        c.args(["--endpoint-url", self.endpoint.url()]);
        c
    }

    /// Run the binary against the endpoint and wait for it (blocking this test thread; the
    /// endpoint serves on the runtime's other worker).
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run ivstack")
    }

    pub fn ivs(&self) -> aws_sdk_ivsrealtime::Client {
        aws_sdk_ivsrealtime::Client::new(&common::sdk_config(&self.endpoint))
    }
}

/// The binary in `cwd`, with test credentials and nothing of the user's configuration.
pub fn ivstack(cwd: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(cwd)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_REGION", common::REGION)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_CONFIG_FILE", cwd.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            cwd.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

pub fn assert_code(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
}

/// The ARNs of the live stages carrying `ivstack:id=<id>`.
pub async fn stages_with_id(ivs: &aws_sdk_ivsrealtime::Client, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pages = ivs.list_stages().max_results(100).into_paginator().send();
    while let Some(page) = pages.next().await {
        for s in page.expect("list stages").stages() {
            if s.tags()
                .and_then(|t| t.get("ivstack:id"))
                .map(String::as_str)
                == Some(id)
            {
                out.push(s.arn().to_string());
            }
        }
    }
    out
}
