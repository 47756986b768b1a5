//! How an operator names the bucket: one URL in the configuration, the credentials in two
//! environment variables (secrets stay out of files that get copied, diffed and logged).

use std::time::Duration;

/// The environment variable that holds the access key id.
pub const ACCESS_KEY_ID_ENV: &str = "MAGPIE_S3_ACCESS_KEY_ID";
/// The environment variable that holds the secret access key.
pub const SECRET_ACCESS_KEY_ENV: &str = "MAGPIE_S3_SECRET_ACCESS_KEY";

/// The region when the URL names none: AWS's default, which S3-compatible servers that ignore
/// regions also accept.
pub const REGION_DEFAULT: &str = "us-east-1";
/// The largest chunk object an append writes at once, unless configured otherwise: what an
/// append holds in memory before it sends it.
pub const CHUNK_BYTES_MAX_DEFAULT: usize = 8 * 1024 * 1024;
/// The largest chunk a node may be configured to write, and so the most that cutting or
/// overwriting one chunk reads into memory, whichever node wrote it.
pub const CHUNK_BYTES_LIMIT: usize = 64 * 1024 * 1024;
/// How long one request to the object store is retried (on connection failures, timeouts and
/// server errors) before the call fails, unless configured otherwise. An upload's request
/// waits that long at most, so it is far below object_store's own default of three minutes.
pub const RETRY_TIMEOUT_SECS_DEFAULT: u64 = 30;

/// Where the blobs live and how to reach them. [`S3Config::from_url`] makes one from the URL
/// an operator writes; the fields are public for callers that build it otherwise.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// The bucket's name.
    pub bucket: String,
    /// The key prefix under which everything goes (`""`: the bucket's root), so that several
    /// deployments or tests can share one bucket without meeting.
    pub prefix: String,
    /// The server's base URL for an S3-compatible server (Garage, MinIO, Ceph RGW, …);
    /// `None` for AWS itself, reached at the region's endpoint.
    pub endpoint: Option<String>,
    /// The region, which request signatures include: it must be the one the server expects
    /// (Garage's `s3_region`).
    pub region: String,
    pub credentials: S3Credentials,
    /// Whether a plain `http://` endpoint may be used. Off, an `http://` endpoint is refused.
    pub allow_http: bool,
    /// The largest chunk object an append writes at once (at most [`CHUNK_BYTES_LIMIT`]).
    /// Larger appends are split. Smaller chunks hold less memory per append and cost more
    /// requests per byte.
    pub chunk_bytes_max: usize,
    /// How long one request is retried before the call fails.
    pub retry_timeout: Duration,
}

/// The key pair the server issued. `Debug` shows the key id, never the secret.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// A configuration that cannot work, found before any request is made.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the blob store URL is malformed: {0}")]
    Url(#[from] url::ParseError),
    #[error("the blob store URL must start with s3://, not {0}://")]
    Scheme(String),
    #[error("the blob store URL names no bucket: write s3://BUCKET or s3://BUCKET/PREFIX")]
    NoBucket,
    #[error("the blob store URL must not carry credentials: set {ACCESS_KEY_ID_ENV} and {SECRET_ACCESS_KEY_ENV}")]
    CredentialsInUrl,
    #[error("unknown option {0:?} in the blob store URL (known: endpoint, region)")]
    UnknownOption(String),
    #[error("the blob store URL is invalid: {0}")]
    Invalid(String),
    #[error("{0} is not set")]
    MissingEnv(&'static str),
    #[error("chunk_bytes_max must be between 1 and {CHUNK_BYTES_LIMIT}, not {0}")]
    ChunkBytes(usize),
    #[error("cannot set up the object store client: {0}")]
    Client(#[from] object_store::Error),
}

impl S3Credentials {
    /// The credentials in [`ACCESS_KEY_ID_ENV`] and [`SECRET_ACCESS_KEY_ENV`].
    pub fn from_env() -> Result<S3Credentials, ConfigError> {
        let var = |name: &'static str| {
            std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or(ConfigError::MissingEnv(name))
        };
        Ok(S3Credentials { access_key_id: var(ACCESS_KEY_ID_ENV)?, secret_access_key: var(SECRET_ACCESS_KEY_ENV)? })
    }
}

impl S3Config {
    /// Reads `s3://BUCKET[/PREFIX][?endpoint=URL][&region=NAME]`, for example
    /// `s3://magpie/files?endpoint=http://127.0.0.1:3900&region=garage`.
    ///
    /// `endpoint` is given for S3-compatible servers and left out for AWS; an `http://`
    /// endpoint allows plain HTTP (written by the operator, so meant). `region` defaults to
    /// [`REGION_DEFAULT`]. Anything else in the URL (credentials, a port, an unknown option) is
    /// refused rather than ignored, so that a typo fails at start-up. The other settings take
    /// their defaults.
    pub fn from_url(url: &str, credentials: S3Credentials) -> Result<S3Config, ConfigError> {
        let url = url::Url::parse(url)?;
        if url.scheme() != "s3" {
            return Err(ConfigError::Scheme(url.scheme().to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ConfigError::CredentialsInUrl);
        }
        if url.port().is_some() {
            return Err(ConfigError::Invalid("a bucket has no port: put the server in ?endpoint=".into()));
        }
        if url.fragment().is_some() {
            return Err(ConfigError::Invalid("a fragment (#…) means nothing here".into()));
        }
        let bucket = url.host_str().filter(|b| !b.is_empty()).ok_or(ConfigError::NoBucket)?.to_owned();
        let prefix = url.path().trim_matches('/').to_owned();
        if !prefix.is_empty() && object_store::path::Path::parse(&prefix).is_err() {
            return Err(ConfigError::Invalid(format!("{prefix:?} is not a usable key prefix")));
        }
        let (mut endpoint, mut region) = (None, None);
        for (key, value) in url.query_pairs() {
            let slot = match key.as_ref() {
                "endpoint" => &mut endpoint,
                "region" => &mut region,
                _ => return Err(ConfigError::UnknownOption(key.into_owned())),
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(ConfigError::Invalid(format!("{key} is given twice")));
            }
        }
        let allow_http = match &endpoint {
            None => false,
            Some(e) => {
                let parsed =
                    url::Url::parse(e).map_err(|_| ConfigError::Invalid(format!("endpoint {e:?} is not a URL")))?;
                match parsed.scheme() {
                    "http" => true,
                    "https" => false,
                    _ => return Err(ConfigError::Invalid(format!("endpoint {e:?} is not an http(s) URL"))),
                }
            }
        };
        Ok(S3Config {
            bucket,
            prefix,
            endpoint,
            region: region.unwrap_or_else(|| REGION_DEFAULT.to_owned()),
            credentials,
            allow_http,
            chunk_bytes_max: CHUNK_BYTES_MAX_DEFAULT,
            retry_timeout: Duration::from_secs(RETRY_TIMEOUT_SECS_DEFAULT),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> S3Credentials {
        S3Credentials { access_key_id: "GK1".into(), secret_access_key: "s3cr3t".into() }
    }

    #[test]
    fn a_url_names_bucket_prefix_endpoint_and_region() {
        let c = S3Config::from_url("s3://magpie/files/eu?endpoint=http://127.0.0.1:3900&region=garage", credentials())
            .unwrap();
        assert_eq!((c.bucket.as_str(), c.prefix.as_str()), ("magpie", "files/eu"));
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:3900"));
        assert_eq!(c.region, "garage");
        assert!(c.allow_http, "an http endpoint the operator wrote is meant");
        assert_eq!(c.chunk_bytes_max, CHUNK_BYTES_MAX_DEFAULT);

        let aws = S3Config::from_url("s3://magpie", credentials()).unwrap();
        assert_eq!((aws.prefix.as_str(), aws.endpoint, aws.region.as_str()), ("", None, REGION_DEFAULT));
        assert!(!aws.allow_http);
        let https = S3Config::from_url("s3://b/?endpoint=https://s3.example.com", credentials()).unwrap();
        assert!(!https.allow_http);
        assert_eq!(https.prefix, "");
    }

    #[test]
    fn mistakes_in_a_url_are_refused() {
        let err = |url: &str| S3Config::from_url(url, credentials()).unwrap_err();
        assert!(matches!(err("gs://bucket"), ConfigError::Scheme(s) if s == "gs"));
        assert!(matches!(err("s3://key:secret@bucket"), ConfigError::CredentialsInUrl));
        assert!(matches!(err("s3://key@bucket"), ConfigError::CredentialsInUrl));
        assert!(matches!(err("s3:///prefix"), ConfigError::NoBucket));
        assert!(matches!(err("s3://bucket?endpiont=http://x"), ConfigError::UnknownOption(o) if o == "endpiont"));
        assert!(matches!(err("s3://bucket?region=a&region=b"), ConfigError::Invalid(_)));
        assert!(matches!(err("s3://bucket:9000"), ConfigError::Invalid(_)));
        assert!(matches!(err("s3://bucket?endpoint=ftp://x"), ConfigError::Invalid(_)));
        assert!(matches!(err("s3://bucket?endpoint=nonsense"), ConfigError::Invalid(_)));
        assert!(matches!(err("not a url"), ConfigError::Url(_)));
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let c = S3Config::from_url("s3://magpie", credentials()).unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("GK1") && !shown.contains("s3cr3t"), "{shown}");
    }
}
