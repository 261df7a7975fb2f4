//! Rate limits, in one place: sign-in attempts per client address and per user name
//! ([`Limits::check_login`]), state-changing requests per signed-in user (the [`Submitter`]
//! extractor, which every handler that changes something takes instead of `CurrentUser`), and
//! Open311 requests filed per API key ([`Limits::check_open311`]).
//!
//! Each limit is a keyed GCRA limiter (governor) in memory: at most N requests at once, refilled
//! at N per period. A refused request answers 429 `rate_limited` with `Retry-After` before
//! anything is written to the database (and, but for the lookup of an Open311 key, read), so it
//! changes nothing stored (no failed sign-in counted, no audit entry). Limits are per process;
//! they start empty at each start.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use crate::auth::extract::CurrentUser;

/// A rate: at most `count` requests at once, refilled at `count` per `period` (so after a burst,
/// one more every `period / count`). Written `N/PERIOD`: `10/min`, `120/min`, `3/6s`, `1000/h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub period: Duration,
}

impl Rate {
    pub fn per_minute(count: NonZeroU32) -> Rate {
        Rate { count, period: Duration::from_secs(60) }
    }

    fn quota(self) -> Quota {
        let interval = (self.period / self.count.get()).max(Duration::from_nanos(1));
        Quota::with_period(interval).map_or_else(|| Quota::per_second(self.count), |q| q.allow_burst(self.count))
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("rate «{s}» must be N/PERIOD with N ≥ 1 and PERIOD like s, min, h, 10s or 2min");
        let (count, period) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        let split = period.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (amount, unit) = period.split_at(split);
        let amount: u64 = if amount.is_empty() { 1 } else { amount.parse().map_err(|_| bad())? };
        let unit_seconds = match unit {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            _ => return Err(bad()),
        };
        let seconds = amount.checked_mul(unit_seconds).filter(|s| (1..=7 * 86_400).contains(s)).ok_or_else(bad)?;
        Ok(Rate { count, period: Duration::from_secs(seconds) })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.period.as_secs();
        let (amount, unit) = match seconds {
            s if s % 3600 == 0 => (s / 3600, "h"),
            s if s % 60 == 0 => (s / 60, "min"),
            s => (s, "s"),
        };
        if amount == 1 { write!(f, "{}/{unit}", self.count) } else { write!(f, "{}/{amount}{unit}", self.count) }
    }
}

/// The configured rates (`wangge serve --login-rate … --login-rate-user … --submit-rate …
/// --open311-rate …`).
#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    /// Sign-in attempts per client address.
    pub login_per_client: Rate,
    /// Sign-in attempts per user name (whoever sends them).
    pub login_per_username: Rate,
    /// State-changing API requests per signed-in user.
    pub submissions: Rate,
    /// Open311 service requests filed per API key.
    pub open311: Rate,
}

impl Default for LimitSettings {
    fn default() -> Self {
        let per_minute = |n: u32| Rate::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        LimitSettings {
            login_per_client: per_minute(10),
            login_per_username: per_minute(10),
            submissions: per_minute(120),
            open311: per_minute(60),
        }
    }
}

/// The service's limiters, shared by every request (in [`AppState`]).
pub struct Limits {
    settings: LimitSettings,
    /// Keyed by the peer address; requests without one (in-process tests) share one key.
    login_clients: DefaultKeyedRateLimiter<Option<IpAddr>>,
    login_usernames: DefaultKeyedRateLimiter<String>,
    submissions: DefaultKeyedRateLimiter<i64>,
    /// Keyed by the Open311 key's id.
    open311: DefaultKeyedRateLimiter<i64>,
}

impl fmt::Debug for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limits").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// How many characters of a user name key its limit (user names have at most 64).
const USERNAME_KEY_CHARS: usize = 64;

impl Limits {
    pub fn new(settings: LimitSettings) -> Limits {
        Limits {
            settings,
            login_clients: DefaultKeyedRateLimiter::keyed(settings.login_per_client.quota()),
            login_usernames: DefaultKeyedRateLimiter::keyed(settings.login_per_username.quota()),
            submissions: DefaultKeyedRateLimiter::keyed(settings.submissions.quota()),
            open311: DefaultKeyedRateLimiter::keyed(settings.open311.quota()),
        }
    }

    pub fn settings(&self) -> LimitSettings {
        self.settings
    }

    /// Counts a sign-in attempt against its client address, then against its user name (the
    /// same name in any case); refuses it when either limit is reached.
    pub fn check_login(&self, client: Option<IpAddr>, username: &str) -> Result<(), ApiError> {
        if let Err(not_until) = self.login_clients.check_key(&client) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::warn!(?client, "sign-in refused: too many attempts from this address");
            return Err(refusal("too many sign-in attempts from this address", wait, self.settings.login_per_client));
        }
        if let Err(not_until) = self.login_usernames.check_key(&username_key(username)) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::warn!(?client, "sign-in refused: too many attempts for one user name");
            return Err(refusal(
                "too many sign-in attempts for this user name",
                wait,
                self.settings.login_per_username,
            ));
        }
        Ok(())
    }

    /// Counts a state-changing request of a signed-in user; refuses it over the limit.
    pub fn check_submission(&self, user_id: i64) -> Result<(), ApiError> {
        check_id(&self.submissions, user_id, "too many changes in a short time", self.settings.submissions)
    }

    /// Counts a service request filed with an Open311 key; refuses it over the limit.
    pub fn check_open311(&self, key_id: i64) -> Result<(), ApiError> {
        check_id(&self.open311, key_id, "too many requests with this API key", self.settings.open311)
    }

    /// Forgets the keys whose limits have refilled completely (as if never seen), so that memory
    /// follows the clients of the last period, not every client ever seen.
    pub fn forget_idle(&self) {
        for limiter in [&self.login_clients as &dyn Forget, &self.login_usernames, &self.submissions, &self.open311] {
            limiter.forget_idle();
        }
    }

    /// Runs [`Limits::forget_idle`] every minute until the task is aborted.
    pub fn spawn_upkeep(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                self.forget_idle();
            }
        })
    }
}

trait Forget {
    fn forget_idle(&self);
}

impl<K: std::hash::Hash + Eq + Clone> Forget for DefaultKeyedRateLimiter<K> {
    fn forget_idle(&self) {
        self.retain_recent();
        self.shrink_to_fit();
    }
}

/// Counts a request against the limit of an id (a user's, an Open311 key's).
fn check_id(limiter: &DefaultKeyedRateLimiter<i64>, id: i64, what: &str, rate: Rate) -> Result<(), ApiError> {
    limiter.check_key(&id).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        tracing::warn!(id, "refused: {what}");
        refusal(what, wait, rate)
    })
}

/// The key of a user name's sign-in limit: case-folded and bounded, like the lookup.
fn username_key(username: &str) -> String {
    username.chars().take(USERNAME_KEY_CHARS).flat_map(char::to_lowercase).collect()
}

/// 429 `rate_limited`: when to retry in the message, in `details.retry_after` (seconds) and in
/// the `Retry-After` header.
fn refusal(what: &str, wait: Duration, rate: Rate) -> ApiError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("{what}; try again in {seconds} s"),
    )
    .with_details(json!({ "retry_after": seconds, "limit": rate.to_string() }))
    .with_retry_after(seconds)
}

/// A signed-in user making a change: [`CurrentUser`] within the per-user limit of state-changing
/// requests. Handlers that change anything take this instead of `CurrentUser`; over the limit the
/// request answers 429 before its body is read.
#[derive(Debug, Clone)]
pub struct Submitter(pub CurrentUser);

impl FromRequestParts<AppState> for Submitter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        state.limits.check_submission(user.id)?;
        Ok(Submitter(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> Rate {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn rates_parse_from_count_and_period_and_print_back() {
        assert_eq!(
            rate("10/min"),
            Rate { count: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN), period: Duration::from_secs(60) }
        );
        assert_eq!(rate("3/6s").period, Duration::from_secs(6));
        assert_eq!(rate(" 1000 / h ").period, Duration::from_secs(3600));
        for text in ["10/min", "3/6s", "120/2min", "5/s", "1000/h"] {
            assert_eq!(rate(text).to_string(), text);
        }
        assert_eq!(rate("7/60s").to_string(), "7/min");
        for bad in ["", "10", "0/min", "-1/min", "10/", "10/week", "10/0s", "x/min", "10/min/s", "10/99999h"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_burst_passes_then_the_next_waits_its_share_of_the_period() {
        let limits = Limits::new(LimitSettings { submissions: rate("3/30s"), ..LimitSettings::default() });
        for _ in 0..3 {
            assert!(limits.check_submission(7).is_ok());
        }
        let refused = limits.check_submission(7).expect_err("the fourth is refused");
        assert_eq!((refused.status.as_u16(), refused.code), (429, "rate_limited"));
        let seconds = refused.retry_after.unwrap_or_default();
        assert!((9..=10).contains(&seconds), "one more every 10 s: {seconds}");
        assert!(refused.message.contains(&format!("try again in {seconds} s")), "{}", refused.message);
        assert!(limits.check_submission(8).is_ok(), "another user has their own limit");
    }

    #[test]
    fn sign_ins_count_per_address_and_per_user_name_in_any_case() {
        let limits = Limits::new(LimitSettings {
            login_per_client: rate("2/min"),
            login_per_username: rate("3/min"),
            ..LimitSettings::default()
        });
        let ip = |n: u8| Some(IpAddr::from([10, 0, 0, n]));
        assert!(limits.check_login(ip(1), "wang").is_ok());
        assert!(limits.check_login(ip(1), "Li").is_ok());
        let refused = limits.check_login(ip(1), "zhao").expect_err("a third from one address");
        assert!(refused.message.contains("from this address"), "{}", refused.message);
        assert!(limits.check_login(ip(2), "WANG").is_ok());
        assert!(limits.check_login(ip(3), "wang").is_ok());
        let refused = limits.check_login(ip(4), "Wang").expect_err("a fourth for one user name");
        assert!(refused.message.contains("for this user name"), "{}", refused.message);
        limits.forget_idle();
        assert!(limits.check_login(ip(5), "wAnG").is_err(), "forgetting keeps what has not refilled");
    }
}
