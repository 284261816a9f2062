//! Delivery: POST with a timeout, retrying 429, 5xx, timeouts and connection errors, honouring
//! `Retry-After`, otherwise exponential backoff with full jitter, capped at 60 s.

use std::time::Duration;

/// How a sink's requests are delivered.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    /// Per request.
    pub timeout: Duration,
    /// Attempts in all.
    pub max_attempts: u32,
    /// First backoff.
    pub retry_base: Duration,
}

const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl Delivery {
    /// Posts `body`; Ok(attempts) on a 2xx, Err((attempts, why)) otherwise.
    pub fn post(&self, url: &str, body: String, content_type: &str, auth: Option<&str>) -> Result<u32, (u32, String)> {
        let client = reqwest::blocking::Client::builder()
            .timeout(self.timeout)
            .user_agent(concat!("driftgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| (0, format!("HTTP client: {e}")))?;
        let mut last = String::new();
        for attempt in 1..=self.max_attempts {
            let mut req = client.post(url).header("Content-Type", content_type).body(body.clone());
            if let Some(a) = auth {
                req = req.header("Authorization", a);
            }
            let wait = match req.send() {
                Ok(resp) if resp.status().is_success() => return Ok(attempt),
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = resp
                        .headers()
                        .get("Retry-After")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s).min(MAX_BACKOFF));
                    last = format!("HTTP {}", status.as_u16());
                    if !(status.as_u16() == 429 || status.is_server_error()) {
                        return Err((attempt, format!("{last}: not retried")));
                    }
                    retry_after.unwrap_or_else(|| self.backoff(attempt))
                }
                Err(e) => {
                    last = if e.is_timeout() {
                        format!("no answer within {:?}", self.timeout)
                    } else {
                        "connection failed".to_string()
                    };
                    self.backoff(attempt)
                }
            };
            if attempt < self.max_attempts {
                std::thread::sleep(wait);
            }
        }
        Err((self.max_attempts, format!("{last} after {} attempt(s)", self.max_attempts)))
    }

    /// Full jitter: a random wait between 0 and base × 2^(attempt-1), capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.retry_base.saturating_mul(1u32 << (attempt - 1).min(16)).min(MAX_BACKOFF);
        let mut b = [0u8; 8];
        let _ = getrandom::fill(&mut b);
        let frac = (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64;
        ceiling.mul_f64(frac)
    }
}

/// `scheme://host[:port]` of a URL: webhook paths and queries often carry secrets (a Slack
/// webhook's path is its credential), so only the host is ever recorded.
pub fn redacted_target(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
            (Some(h), None) => format!("{}://{h}", u.scheme()),
            _ => u.scheme().to_string(),
        },
        Err(_) => "(invalid URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_keep_only_the_host() {
        assert_eq!(redacted_target("https://hooks.slack.com/services/T0/B0/secret?x=1"), "https://hooks.slack.com");
        assert_eq!(redacted_target("http://127.0.0.1:8088/services/collector/event"), "http://127.0.0.1:8088");
    }

    #[test]
    fn backoff_is_bounded_by_the_doubling_ceiling() {
        let d = Delivery { timeout: Duration::from_secs(1), max_attempts: 3, retry_base: Duration::from_millis(100) };
        for attempt in 1..=10 {
            let ceiling = Duration::from_millis(100).saturating_mul(1 << (attempt - 1)).min(MAX_BACKOFF);
            assert!(d.backoff(attempt) <= ceiling);
        }
    }
}
