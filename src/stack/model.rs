//! The typed stack-file language: what a stack file may say, with its defaults and limits.
//!
//! These types are the single source of truth for three things: the parser (serde), the JSON
//! Schema that editors use (`ivstack schema`, via schemars), and the limits that validation
//! enforces. Field docs become the schema's descriptions, so they are written for the person
//! typing the file.
//!
//! [`StackFile`]'s top-level fields are written here; its resource sections come from the
//! kind registry (`kinds::registry`), one per kind, each holding the kind's own stack-file
//! type (defined in the kind's module, re-exported here).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::kinds::alarm::model::{Alarm, Comparison, Metric, Statistic, TreatMissingData};
pub use crate::kinds::budget::model::{Budget, BudgetPeriod, BudgetScope, IVS_SERVICE_NAME};
pub use crate::kinds::policy::model::{Effect, Policy, Statement, StringOrList};
pub use crate::kinds::stage::model::{
    MediaType, Recording, Stage, ThumbnailMode, ThumbnailStorage, Thumbnails,
};

/// Generates [`StackFile`] from the kind registry: the top-level fields below, then one
/// section per kind.
macro_rules! stack_file {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal in $section:ident : $ty:ty; )*) => {
        /// One stack file: one stack, in one AWS account and region.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        #[schemars(title = "ivstack stack file")]
        pub struct StackFile {
            /// Stack name: the value of the `ivstack:stack` ownership tag on every resource, and the
            /// default prefix of physical names. Lowercase letters, digits and hyphens.
            #[schemars(
                length(min = 1, max = 64),
                pattern(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"),
                extend("patternErrorMessage" = "may only contain lowercase letters, digits and `-`, and must start and end with a letter or digit")
            )]
            pub stack: String,

            /// AWS region of the stages and alarms, e.g. `us-west-2`. IAM and Budgets are global.
            #[schemars(
                pattern(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"),
                extend("patternErrorMessage" = "is not an AWS region code such as `us-west-2`")
            )]
            pub region: String,

            /// Optional guard: the 12-digit account id this stack belongs to. ivstack refuses to
            /// change anything when the credentials belong to another account.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[schemars(
                pattern(r"^[0-9]{12}$"),
                extend("patternErrorMessage" = "must be exactly 12 digits (quote it so YAML keeps leading zeros: `account: \"012345678901\"`)")
            )]
            pub account: Option<String>,

            /// Tags put on every resource of the stack (resource tags win on the same key).
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub tags: BTreeMap<String, String>,

            /// Where `apply` and `destroy` take this stack's lock, so that two runs never change
            /// it at once: `s3://BUCKET/PREFIX` (the lock object is `PREFIX/<stack>.lock`, written
            /// with an S3 conditional write). `--lock` overrides it. The credentials need
            /// s3:PutObject, s3:GetObject and s3:DeleteObject on the prefix. Plans do not lock.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[schemars(
                pattern(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$"),
                extend("patternErrorMessage" = "must be an S3 location `s3://BUCKET/PREFIX` with a bucket name of lowercase letters, digits, `.` and `-`, e.g. `s3://my-locks/ivstack`")
            )]
            pub lock: Option<String>,

            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
                pub $section: BTreeMap<String, $ty>,
            )*
        }
    };
}

crate::kinds::registry::registry!(stack_file);
