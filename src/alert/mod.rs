//! Alerts: after a run, one message per sink when it found drift, violations or quarantined
//! items. Sinks sit behind [`Sink`], one file each (`webhook`, `slack`, `splunk`). Delivery
//! retries 429 and 5xx answers and timeouts with backoff and never fails the evidence write:
//! each sink's outcome is recorded in the report instead.

mod http;
mod slack;
mod splunk;
mod webhook;

use crate::error::{Error, Result};
use crate::report::{AlertOutcome, Report};
use serde::Deserialize;
use std::time::Duration;

pub use http::{redacted_target, Delivery};

/// One alert sink, from `[[alerts]]` or `--alert KIND=URL`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// `webhook`, `slack` or `splunk`.
    pub kind: SinkKind,
    /// Where to send (for Splunk, the HEC event endpoint `.../services/collector/event`).
    pub url: String,
    /// Name of the environment variable holding the token (Splunk HEC token; a bearer token
    /// for a webhook). Never the token itself.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Splunk `sourcetype` (default `driftgate`).
    #[serde(default)]
    pub sourcetype: Option<String>,
    /// Splunk `index` (default: the token's).
    #[serde(default)]
    pub index: Option<String>,
    /// What triggers the alert: any of `violation`, `warn`, `drift`, `quarantine`
    /// (default: violation, drift, quarantine).
    #[serde(default)]
    pub on: Vec<String>,
    /// Seconds to wait for one answer (default 10).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Attempts in all (default 4).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// First backoff in milliseconds, doubled per attempt up to 60 s (default 1000).
    #[serde(default)]
    pub retry_base_ms: Option<u64>,
}

impl AlertConfig {
    /// Parses `--alert KIND=URL`.
    pub fn parse_flag(s: &str) -> Result<AlertConfig> {
        let (kind, url) = s.split_once('=').ok_or_else(|| Error::Usage {
            message: format!("--alert {s:?} is not KIND=URL"),
            help: Some(
                "for example --alert slack=https://hooks.slack.com/services/... (tokens come from the environment)"
                    .into(),
            ),
        })?;
        let kind = SinkKind::from_name(kind).ok_or_else(|| Error::Usage {
            message: format!("alert kind {kind:?} is not webhook, slack or splunk"),
            help: None,
        })?;
        let token_env = match kind {
            SinkKind::Splunk => Some("DRIFTGATE_SPLUNK_TOKEN".to_string()),
            SinkKind::Webhook if std::env::var_os("DRIFTGATE_WEBHOOK_TOKEN").is_some() => {
                Some("DRIFTGATE_WEBHOOK_TOKEN".to_string())
            }
            _ => None,
        };
        let c = AlertConfig {
            kind,
            url: url.to_string(),
            token_env,
            sourcetype: None,
            index: None,
            on: Vec::new(),
            timeout_secs: None,
            max_attempts: None,
            retry_base_ms: None,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks the kind, the URL and the triggers.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| Error::Usage { message, help: None };
        let url = reqwest::Url::parse(&self.url).map_err(|e| bad(format!("alert URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(bad(format!("alert URL scheme {} is not http(s)", url.scheme())));
        }
        if let Some(t) = self.on.iter().find(|t| !matches!(t.as_str(), "violation" | "warn" | "drift" | "quarantine")) {
            return Err(bad(format!("alert trigger {t:?} is not violation, warn, drift or quarantine")));
        }
        Ok(())
    }

    pub(crate) fn delivery(&self) -> Delivery {
        Delivery {
            timeout: Duration::from_secs(self.timeout_secs.unwrap_or(10).max(1)),
            max_attempts: self.max_attempts.unwrap_or(4).max(1),
            retry_base: Duration::from_millis(self.retry_base_ms.unwrap_or(1000)),
        }
    }

    fn triggered(&self, r: &Report) -> bool {
        let on: Vec<&str> = if self.on.is_empty() {
            vec!["violation", "drift", "quarantine"]
        } else {
            self.on.iter().map(String::as_str).collect()
        };
        on.iter().any(|t| match *t {
            "violation" => r.summary.violations > 0,
            "warn" => r.summary.warnings > 0,
            "drift" => r.summary.changes > 0,
            "quarantine" => r.summary.quarantined > 0,
            _ => false,
        })
    }
}

/// Events per request to a batching sink (Splunk HEC, audit events to a webhook).
pub(crate) const BATCH: usize = 500;

/// What goes out to a sink. Every message anything sends leaves through [`deliver`].
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// A check's report (the run's alert).
    Report(&'a Report),
    /// A one-off notice (a retention warning, a witnessed chain head): `kind` names it,
    /// `message` says it, `fields` add detail.
    Notice {
        /// What it is (`audit_retention`, `witness_head`).
        kind: &'a str,
        /// One line for people.
        message: &'a str,
        /// The detail.
        fields: &'a serde_json::Value,
    },
    /// A stored batch of a tenant's audit events: (eventDate, id, the event's JSON line).
    AuditEvents {
        /// Tenant.
        tenant: &'a str,
        /// The events.
        events: &'a [(String, String, Vec<u8>)],
    },
}

/// A destination: how a [`Message`] becomes request bodies (more than one when the sink
/// batches), each with its content type.
pub trait Sink {
    /// The request bodies for `message`.
    fn bodies(&self, message: &Message<'_>) -> Vec<(String, &'static str)>;
}

/// The kinds of sink; one file each, registered in [`sink_for`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SinkKind {
    /// A generic JSON webhook.
    Webhook,
    /// A Slack-compatible incoming webhook.
    Slack,
    /// Splunk HTTP Event Collector.
    Splunk,
}

impl SinkKind {
    /// Every kind.
    pub const ALL: [SinkKind; 3] = [SinkKind::Webhook, SinkKind::Slack, SinkKind::Splunk];

    /// Its name in configs and flags.
    pub fn name(self) -> &'static str {
        match self {
            SinkKind::Webhook => "webhook",
            SinkKind::Slack => "slack",
            SinkKind::Splunk => "splunk",
        }
    }

    /// The kind of a name.
    pub fn from_name(name: &str) -> Option<SinkKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The variable a token comes from when the config names none.
    fn default_token_env(self) -> Option<&'static str> {
        match self {
            SinkKind::Splunk => Some("DRIFTGATE_SPLUNK_TOKEN"),
            _ => None,
        }
    }

    /// The `Authorization` header for `token`: Splunk's own scheme, a bearer token otherwise.
    fn authorization(self, token: &str) -> String {
        match self {
            SinkKind::Splunk => format!("Splunk {token}"),
            _ => format!("Bearer {token}"),
        }
    }
}

impl std::fmt::Display for SinkKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn sink_for(c: &AlertConfig) -> Box<dyn Sink> {
    match c.kind {
        SinkKind::Webhook => Box::new(webhook::Webhook),
        SinkKind::Slack => Box::new(slack::Slack),
        SinkKind::Splunk => Box::new(splunk::Splunk { sourcetype: c.sourcetype.clone(), index: c.index.clone() }),
    }
}

/// Delivers `message` to the sink `c` describes and says what happened. Never fails: errors
/// are outcomes (only the scheme and host of the URL are recorded).
pub fn deliver(c: &AlertConfig, message: &Message<'_>) -> AlertOutcome {
    let outcome = |status: &str, attempts: u32, error: Option<String>| AlertOutcome {
        sink: c.kind.name().to_string(),
        target: http::redacted_target(&c.url),
        status: status.into(),
        attempts,
        error,
    };
    let var = c.token_env.as_deref().or(c.kind.default_token_env());
    let token = var.and_then(|v| std::env::var(v).ok());
    if c.kind == SinkKind::Splunk && token.is_none() {
        return outcome("failed", 0, Some(format!("no Splunk HEC token: set {}", var.unwrap_or_default())));
    }
    let auth = token.map(|t| c.kind.authorization(&t));
    let delivery = c.delivery();
    let mut attempts = 0;
    for (body, content_type) in sink_for(c).bodies(message) {
        match delivery.post(&c.url, body, content_type, auth.as_deref()) {
            Ok(n) => attempts += n,
            Err((n, error)) => return outcome("failed", attempts + n, Some(error)),
        }
    }
    outcome("sent", attempts, None)
}

/// Sends one alert per configured sink whose triggers the report meets, and returns what
/// each did.
pub fn send_alerts(report: &Report, configs: &[AlertConfig]) -> Vec<AlertOutcome> {
    configs
        .iter()
        .map(|c| {
            if c.triggered(report) {
                deliver(c, &Message::Report(report))
            } else {
                AlertOutcome {
                    sink: c.kind.name().to_string(),
                    target: http::redacted_target(&c.url),
                    status: "skipped".into(),
                    attempts: 0,
                    error: None,
                }
            }
        })
        .collect()
}

/// Sends a one-off notice (not a check report) to every sink.
pub fn send_notice(
    configs: &[AlertConfig],
    kind: &str,
    message: &str,
    fields: &serde_json::Value,
) -> Vec<AlertOutcome> {
    configs.iter().map(|c| deliver(c, &Message::Notice { kind, message, fields })).collect()
}

/// The few most important findings, for messages with room for a handful.
pub(crate) fn top_findings(r: &Report, n: usize) -> Vec<&crate::report::Finding> {
    r.findings
        .iter()
        .filter(|f| f.waiver.as_ref().is_none_or(|w| w.status != crate::policy::WaiverStatus::Active))
        .take(n)
        .collect()
}
