//! Wire protocols shared by the service emulators: parsing requests and shaping responses
//! and errors for restJson1, awsQuery, awsJson 1.0/1.1 and Smithy RPC v2 CBOR.
pub mod aws_json;
pub mod query;
pub mod rest_json;
