//! The HTTP client every collector shares: OAuth2 client credentials with a cached token
//! (re-minted once on a 401, then the same request is resumed), retries of 429, 5xx and
//! timeouts (`Retry-After` honoured, else exponential backoff with full jitter from 1 s,
//! capped at 60 s, bounded attempts), pacing by the platform's rate-limit headers, and the
//! correlation id of every call in debug logs. Secrets never reach a log or an error.

use crate::error::{Error, Result};
use serde_json::Value;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Client credentials, from the environment or a file. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <secret>)", self.client_id)
    }
}

impl Credentials {
    /// Reads `id_var` and `secret_var` from the environment.
    pub fn from_env(id_var: &str, secret_var: &str) -> Result<Credentials> {
        let get = |v: &str| {
            std::env::var(v).map_err(|_| Error::Credentials {
                message: format!("environment variable {v} is not set"),
                help: Some(
                    "credentials come from the environment (or --credentials-file), never from the command line".into(),
                ),
            })
        };
        Ok(Credentials { client_id: get(id_var)?, client_secret: get(secret_var)? })
    }

    /// Reads `{"client_id": ..., "client_secret": ...}` from a file.
    pub fn from_file(path: &std::path::Path) -> Result<Credentials> {
        #[derive(serde::Deserialize)]
        struct F {
            client_id: String,
            client_secret: String,
        }
        let f: F = crate::input::read_secret_json(path, "a credentials file ({client_id, client_secret})")?;
        Ok(Credentials { client_id: f.client_id, client_secret: f.client_secret })
    }
}

/// How the client gets its bearer token.
#[derive(Debug, Clone)]
pub enum Auth {
    /// OAuth2 client credentials with Basic auth (Genesys Cloud).
    ClientCredentials(Credentials),
    /// CXone through a registered application: Basic auth with the application's client id
    /// and secret, `grant_type=password` with the access key id and secret.
    AccessKeyPassword {
        /// The registered application.
        client: Credentials,
        /// The access key (id as `client_id`, secret as `client_secret`).
        access_key: Credentials,
    },
    /// CXone without a registered application: the access key as JSON to
    /// `/authentication/v1/token/access-key`.
    AccessKey(Credentials),
}

impl Auth {
    /// The identity the tokens are minted for (recorded as the snapshot's service account).
    pub fn principal(&self) -> &str {
        match self {
            Auth::ClientCredentials(c) | Auth::AccessKey(c) => &c.client_id,
            Auth::AccessKeyPassword { access_key, .. } => &access_key.client_id,
        }
    }
}

/// How patient the client is.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request in all.
    pub max_attempts: u32,
    /// First backoff (doubled per attempt, full jitter).
    pub base: Duration,
    /// Backoff ceiling.
    pub cap: Duration,
    /// Per request.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        let base = std::env::var("DRIFTGATE_RETRY_BASE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(1), Duration::from_millis);
        let timeout = std::env::var("DRIFTGATE_HTTP_TIMEOUT_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(60), Duration::from_millis);
        RetryPolicy { max_attempts: 6, base, cap: Duration::from_secs(60), timeout }
    }
}

struct Token {
    value: String,
    renew_at: Instant,
}

/// An authenticated API client for one tenant.
pub struct ApiClient {
    http: reqwest::blocking::Client,
    base_url: String,
    auth_url: String,
    auth: Auth,
    token: Mutex<Option<Token>>,
    retry: RetryPolicy,
    pace_until: Mutex<Option<Instant>>,
    debug: bool,
    /// Requests sent (for the summary and tests).
    pub requests: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient").field("base_url", &self.base_url).field("auth_url", &self.auth_url).finish()
    }
}

/// A failed call, with what the caller needs to decide.
#[derive(Debug)]
pub struct CallError {
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// What happened (never a secret).
    pub message: String,
}

impl ApiClient {
    /// A client for `base_url` (API calls) and `auth_url` (the token endpoint).
    pub fn new(base_url: &str, auth_url: &str, credentials: Credentials, retry: RetryPolicy) -> Result<ApiClient> {
        Self::with_auth(base_url, auth_url, Auth::ClientCredentials(credentials), retry)
    }

    /// A client for `base_url` that mints its tokens at `auth_url` the way `auth` says.
    pub fn with_auth(base_url: &str, auth_url: &str, auth: Auth, retry: RetryPolicy) -> Result<ApiClient> {
        let http = reqwest::blocking::Client::builder()
            .timeout(retry.timeout)
            .user_agent(concat!("driftgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Api { message: format!("HTTP client: {e}"), help: None })?;
        Ok(ApiClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            auth_url: auth_url.to_string(),
            auth,
            token: Mutex::new(None),
            retry,
            pace_until: Mutex::new(None),
            debug: std::env::var("DRIFTGATE_LOG").is_ok_and(|v| v.eq_ignore_ascii_case("debug")),
            requests: Default::default(),
        })
    }

    /// The API base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn log(&self, msg: impl FnOnce() -> String) {
        if self.debug {
            eprintln!("driftgate debug: {}", msg());
        }
    }

    /// A valid token: the cached one, or a new one when it is missing or expiring, or when
    /// `refused` (a token the API just answered 401 to) is still the cached one. Threads that
    /// were refused the same token concurrently mint it once between them.
    fn token(&self, refused: Option<&str>) -> std::result::Result<String, CallError> {
        let mut slot = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = slot.as_ref() {
            if refused != Some(t.value.as_str()) && Instant::now() < t.renew_at {
                return Ok(t.value.clone());
            }
        }
        let req = self.http.post(&self.auth_url).header("Accept", "application/json");
        let req = match &self.auth {
            Auth::ClientCredentials(c) => {
                req.basic_auth(&c.client_id, Some(&c.client_secret)).form(&[("grant_type", "client_credentials")])
            }
            Auth::AccessKeyPassword { client, access_key } => {
                req.basic_auth(form_encode(&client.client_id), Some(form_encode(&client.client_secret))).form(&[
                    ("grant_type", "password"),
                    ("username", access_key.client_id.as_str()),
                    ("password", access_key.client_secret.as_str()),
                ])
            }
            Auth::AccessKey(k) => req.json(&serde_json::json!({
                "accessKeyId": k.client_id,
                "accessKeySecret": k.client_secret,
            })),
        };
        let resp = req
            .send()
            .map_err(|e| CallError { status: None, message: format!("token request failed: {}", without_url(&e)) })?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(CallError {
                status: Some(status),
                message: format!("token request refused (HTTP {status}): check the credentials"),
            });
        }
        let body: Value = resp
            .json()
            .map_err(|_| CallError { status: Some(status), message: "token response is not JSON".into() })?;
        // CXone's access-key endpoint is not documented to answer in the OAuth shape: accept
        // its camel-case spelling too.
        let value = body["access_token"]
            .as_str()
            .or_else(|| body["accessToken"].as_str())
            .ok_or(CallError { status: Some(status), message: "token response has no access_token".into() })?;
        let token_type = body["token_type"].as_str().or_else(|| body["tokenType"].as_str());
        if !token_type.unwrap_or("bearer").eq_ignore_ascii_case("bearer") {
            return Err(CallError { status: Some(status), message: "token type is not bearer".into() });
        }
        let expires = body["expires_in"].as_u64().or_else(|| body["expiresIn"].as_u64()).unwrap_or(3600);
        // Renew a little before expiry: a tenth of the lifetime, at least 5 s, at most 5 min.
        let margin = (expires / 10).clamp(5, 300).min(expires);
        *slot =
            Some(Token { value: value.to_string(), renew_at: Instant::now() + Duration::from_secs(expires - margin) });
        self.log(|| format!("minted a token valid for {expires} s"));
        Ok(value.to_string())
    }

    fn pace(&self) {
        let until = *self.pace_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = until {
            let now = Instant::now();
            if t > now {
                std::thread::sleep(t - now);
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.retry.base.saturating_mul(1u32 << (attempt - 1).min(16)).min(self.retry.cap);
        let mut b = [0u8; 8];
        let _ = getrandom::fill(&mut b);
        ceiling.mul_f64((u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// Sends `method path` (a path with its query, relative to the base URL) with `body`,
    /// retrying as the policy says; the parsed JSON answer.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> std::result::Result<Value, CallError> {
        self.send(method, path, body, true)
    }

    /// [`ApiClient::call`] without a token, for endpoints that take none (host discovery):
    /// the same retries, pacing and logging.
    pub fn call_public(&self, method: &str, path: &str, body: Option<&Value>) -> std::result::Result<Value, CallError> {
        self.send(method, path, body, false)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        authenticated: bool,
    ) -> std::result::Result<Value, CallError> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base_url)
        };
        let mut reminted = false;
        let mut last = String::new();
        for attempt in 1..=self.retry.max_attempts {
            self.pace();
            let token = if authenticated { Some(self.token(None)?) } else { None };
            let mut req = match method {
                "POST" => self.http.post(&url),
                _ => self.http.get(&url),
            }
            .header("Accept", "application/json");
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let wait = match req.send() {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let header = |k: &str| resp.headers().get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
                    let correlation = header("ININ-Correlation-Id").unwrap_or_else(|| "-".into());
                    self.log(|| format!("{method} {path} -> {status} (correlation id {correlation})"));
                    self.note_rate_limit(
                        header("inin-ratelimit-count"),
                        header("inin-ratelimit-allowed"),
                        header("inin-ratelimit-reset"),
                    );
                    if resp.status().is_success() {
                        return resp.json().map_err(|_| CallError {
                            status: Some(status),
                            message: format!("{path}: answer is not JSON"),
                        });
                    }
                    let retry_after =
                        header("Retry-After").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
                    last = format!("HTTP {status} (correlation id {correlation})");
                    match status {
                        401 if !reminted && token.is_some() => {
                            // An expired or revoked token: mint a new one once and resume
                            // with the same request.
                            reminted = true;
                            self.token(token.as_deref())?;
                            continue;
                        }
                        429 | 500..=599 => retry_after.map_or_else(|| self.backoff(attempt), |d| d.min(self.retry.cap)),
                        _ => {
                            return Err(CallError { status: Some(status), message: format!("{method} {path}: {last}") })
                        }
                    }
                }
                Err(e) => {
                    last = if e.is_timeout() {
                        "timed out".into()
                    } else {
                        format!("request failed: {}", without_url(&e))
                    };
                    self.log(|| format!("{method} {path} -> {last}"));
                    self.backoff(attempt)
                }
            };
            if attempt < self.retry.max_attempts {
                std::thread::sleep(wait);
            }
        }
        Err(CallError {
            status: None,
            message: format!("{method} {path}: {last} after {} attempts", self.retry.max_attempts),
        })
    }

    /// When the platform says the window is nearly used up, hold further calls until it resets.
    fn note_rate_limit(&self, count: Option<String>, allowed: Option<String>, reset: Option<String>) {
        let n = |s: Option<String>| s.and_then(|v| v.trim().parse::<u64>().ok());
        if let (Some(count), Some(allowed), Some(reset)) = (n(count), n(allowed), n(reset)) {
            if allowed > 0 && count + 1 >= allowed {
                let until = Instant::now() + Duration::from_secs(reset.min(60));
                *self.pace_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(until);
                self.log(|| format!("rate limit nearly used ({count}/{allowed}): pausing {reset} s"));
            }
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of a Basic-auth part, as CXone's token
/// endpoint expects (`base64(urlenc(client_id):urlenc(client_secret))`).
fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A reqwest error's text without its URL (which could carry a query with secrets).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "<url>");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base_ms: u64) -> ApiClient {
        let retry = RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(base_ms),
            cap: Duration::from_millis(base_ms * 8),
            timeout: Duration::from_secs(1),
        };
        let c = Credentials { client_id: "id".into(), client_secret: "s".into() };
        ApiClient::new("http://127.0.0.1:9", "http://127.0.0.1:9/oauth/token", c, retry).unwrap()
    }

    #[test]
    fn backoff_is_full_jitter_under_a_doubling_ceiling_with_a_cap() {
        let c = client(100);
        for attempt in 1..=10 {
            let ceiling = Duration::from_millis(100 * (1u64 << (attempt - 1))).min(Duration::from_millis(800));
            let waits: Vec<Duration> = (0..200).map(|_| c.backoff(attempt)).collect();
            assert!(waits.iter().all(|w| *w <= ceiling), "attempt {attempt}");
            // Jitter: the waits spread over the range rather than sitting at the ceiling.
            assert!(waits.iter().any(|w| *w < ceiling / 2), "attempt {attempt}");
        }
    }

    #[test]
    fn nearly_used_rate_limit_windows_pause_further_calls() {
        let c = client(1);
        c.note_rate_limit(Some("10".into()), Some("180".into()), Some("30".into()));
        assert!(c.pace_until.lock().unwrap().is_none());
        c.note_rate_limit(Some("179".into()), Some("180".into()), Some("2".into()));
        let until = c.pace_until.lock().unwrap().unwrap();
        assert!(until > Instant::now() + Duration::from_millis(1500));
    }
}
