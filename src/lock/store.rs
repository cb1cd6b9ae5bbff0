//! The three S3 calls a lock is made of, on the real SDK client: take
//! (`PutObject` with `If-None-Match: *`), read (`GetObject`), release (`DeleteObject` with
//! `If-Match` of the ETag we wrote). A bucket in another region than the stack's is found
//! from S3's redirect (`x-amz-bucket-region`) and the calls go there.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::location::LockLocation;
use super::record::Holder;
use crate::aws::{Aws, AwsError, aws_error};

/// Outcome of one attempt to take a lock.
#[derive(Debug)]
pub enum Take {
    /// Ours; the ETag of the object we wrote.
    Taken { etag: String },
    /// Someone holds it (412 PreconditionFailed).
    Held,
    /// S3 answered 409 ConditionalRequestConflict (a conflicting write in flight): try
    /// again.
    Conflict,
}

/// Outcome of releasing a lock.
#[derive(Debug, PartialEq, Eq)]
pub enum Release {
    Released,
    /// The object was gone already (someone ran `force-unlock`).
    Gone,
    /// The object is not the one we wrote any more (force-unlocked, then taken by another
    /// run): left alone.
    NotOurs,
}

/// The lock objects of one location.
pub struct LockStore {
    aws: Aws,
    client: aws_sdk_s3::Client,
    region: String,
    pub location: LockLocation,
}

impl LockStore {
    pub fn new(aws: &Aws, location: LockLocation) -> LockStore {
        LockStore {
            aws: aws.clone(),
            client: aws.s3.clone(),
            region: aws.region.clone(),
            location,
        }
    }

    /// The bucket's region when S3 redirected us there, else `None`.
    fn redirect<E>(&self, err: &SdkError<E, HttpResponse>) -> Option<String> {
        let resp = err.raw_response()?;
        let region = resp.headers().get("x-amz-bucket-region")?;
        (region != self.region && matches!(resp.status().as_u16(), 301 | 307 | 400))
            .then(|| region.to_string())
    }

    fn follow(&mut self, region: String) {
        tracing::debug!(
            "lock bucket {} is in {region}, not {}",
            self.location.bucket,
            self.region
        );
        self.client = self.aws.s3_in(&region);
        self.region = region;
    }

    /// Try to take `stack`'s lock, writing `body`.
    pub async fn take(&mut self, stack: &str, body: &[u8]) -> Result<Take, AwsError> {
        let key = self.location.key(stack);
        loop {
            let result = self
                .client
                .put_object()
                .bucket(&self.location.bucket)
                .key(&key)
                .if_none_match("*")
                .content_type("application/json")
                .body(ByteStream::from(body.to_vec()))
                .send()
                .await;
            match result {
                Ok(out) => {
                    return Ok(Take::Taken {
                        etag: out.e_tag().unwrap_or_default().to_string(),
                    });
                }
                Err(e) if status(&e) == Some(412) => return Ok(Take::Held),
                Err(e) if e.code() == Some("ConditionalRequestConflict") => {
                    return Ok(Take::Conflict);
                }
                Err(e) => match self.redirect(&e) {
                    Some(region) => self.follow(region),
                    None => return Err(self.error("s3:PutObject", &key, e)),
                },
            }
        }
    }

    /// Who holds `stack`'s lock and the ETag of its object, or `None` when it is free.
    pub async fn holder(&mut self, stack: &str) -> Result<Option<(Holder, String)>, AwsError> {
        let key = self.location.key(stack);
        loop {
            let result = self
                .client
                .get_object()
                .bucket(&self.location.bucket)
                .key(&key)
                .send()
                .await;
            match result {
                Ok(out) => {
                    let etag = out.e_tag().unwrap_or_default().to_string();
                    let bytes = out.body.collect().await.map_err(|e| {
                        AwsError::failed(
                            "s3:GetObject",
                            format!(
                                "reading the lock object s3://{}/{key} failed: {e}",
                                self.location.bucket
                            ),
                            true,
                        )
                    })?;
                    return Ok(Some((Holder::from_bytes(&bytes.into_bytes()), etag)));
                }
                Err(e) if e.code() == Some("NoSuchKey") => return Ok(None),
                Err(e) => match self.redirect(&e) {
                    Some(region) => self.follow(region),
                    None => return Err(self.error("s3:GetObject", &key, e)),
                },
            }
        }
    }

    /// Delete `stack`'s lock object if it is still the one with `etag`.
    pub async fn release(&mut self, stack: &str, etag: &str) -> Result<Release, AwsError> {
        let key = self.location.key(stack);
        loop {
            let result = self
                .client
                .delete_object()
                .bucket(&self.location.bucket)
                .key(&key)
                .if_match(etag)
                .send()
                .await;
            match result {
                Ok(_) => return Ok(Release::Released),
                Err(e) if status(&e) == Some(412) => return Ok(Release::NotOurs),
                Err(e) if e.code() == Some("NoSuchKey") || status(&e) == Some(404) => {
                    return Ok(Release::Gone);
                }
                Err(e) => match self.redirect(&e) {
                    Some(region) => self.follow(region),
                    None => return Err(self.error("s3:DeleteObject", &key, e)),
                },
            }
        }
    }

    /// An S3 failure, with what to do when the bucket is missing.
    fn error<E>(&self, operation: &str, key: &str, e: SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut err = aws_error(operation, e);
        err.detail = format!("{} (s3://{}/{key})", err.detail, self.location.bucket);
        if err.code_is("NoSuchBucket") {
            err = err.with_hint(&format!(
                "the lock bucket `{}` does not exist: create it, or fix --lock / the stack \
                 file's `lock:`",
                self.location.bucket
            ));
        }
        err
    }
}

fn status<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}
