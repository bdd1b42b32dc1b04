//! STS's clock as its answers tell it: the `Date` header, truncated to the second and stamped
//! during the round trip, read by an interceptor as a range of skews ([`ServerTime`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};

/// What one answer of STS says of its clock: the `Date` it was stamped with, and when, by this
/// machine's clock, the request that got it was sent and the answer received.
///
/// `Date` has a resolution of one second and is truncated, not rounded, and STS stamps it at
/// some moment between the two local readings. So STS's clock minus this machine's was, at
/// that moment, somewhere in `[date - received, date + 1 s - sent]`: a range, never a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ServerTime {
    /// The answer's `Date`.
    pub(crate) date: SystemTime,
    /// When the request was sent, by this machine's clock.
    pub(crate) sent: SystemTime,
    /// When the answer arrived, by this machine's clock.
    pub(crate) received: SystemTime,
}

/// `a - b` in nanoseconds, signed, saturating.
fn signed_nanos(a: SystemTime, b: SystemTime) -> i128 {
    match a.duration_since(b) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
    }
}

impl ServerTime {
    /// The smallest and largest values of STS's clock minus this machine's that agree with
    /// what was observed, in nanoseconds.
    pub(crate) fn skew_range(&self) -> (i128, i128) {
        let resolution = Duration::from_secs(1).as_nanos() as i128;
        (
            signed_nanos(self.date, self.received),
            signed_nanos(self.date, self.sent) + resolution,
        )
    }

    /// The skew to judge expiries with: the largest the observation allows, in whole
    /// milliseconds rounded up. STS's clock ahead of this machine's means credentials die
    /// earlier by this machine's clock, so the largest skew is the careful one: an expiry judged
    /// with it is never later than the true one, whatever moment of the range STS's clock was
    /// really at. When the clocks agree, that is up to a second and the round trip early.
    pub(crate) fn careful_skew_ms(&self) -> i64 {
        let (_, most) = self.skew_range();
        let ms = most.div_euclid(1_000_000) + i128::from(most.rem_euclid(1_000_000) != 0);
        i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
    }

    /// The skew that is surely there: zero when the range holds zero (a difference smaller
    /// than the measurement's uncertainty is no skew), else the end of the range nearest to
    /// zero. For what is said to a person, never for judging expiries.
    pub(crate) fn sure_skew(&self) -> Duration {
        let (least, most) = self.skew_range();
        let nearest = if least > 0 {
            least
        } else if most < 0 {
            -most
        } else {
            0
        };
        Duration::from_nanos(u64::try_from(nearest).unwrap_or(u64::MAX))
    }
}

/// Records what STS's answers say of its clock ([`ServerTime`]), read on the provider's clock.
#[derive(Clone, Debug)]
pub(crate) struct ServerDate {
    clock: SharedTimeSource,
    state: Arc<Mutex<Observed>>,
}

#[derive(Debug, Default)]
struct Observed {
    /// When the last attempt was sent.
    sent: Option<SystemTime>,
    /// The last answer's time, if it had a readable `Date`.
    time: Option<ServerTime>,
}

impl ServerDate {
    /// Readings on `clock`: the provider's, which judges the expiries.
    pub(crate) fn new(clock: SharedTimeSource) -> Self {
        Self {
            clock,
            state: Arc::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Observed> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the last answer's time, before a call.
    pub(crate) fn clear(&self) {
        *self.state() = Observed::default();
    }

    /// What the last answer said of STS's clock, if it had a readable `Date`.
    pub(crate) fn take(&self) -> Option<ServerTime> {
        self.state().time.take()
    }

    /// `client`, recording the `Date` of its answers here.
    pub(crate) fn on(&self, client: aws_sdk_sts::Client) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::from_conf(
            client
                .config()
                .to_builder()
                .interceptor(self.clone())
                .build(),
        )
    }
}

impl Intercept for ServerDate {
    fn name(&self) -> &'static str {
        "sts_assume_role::ServerDate"
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.state().sent = Some(self.clock.now());
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let received = self.clock.now();
        let date = context
            .response()
            .headers()
            .get("date")
            .and_then(|d| DateTime::from_str(d.trim(), Format::HttpDate).ok())
            .and_then(|d| SystemTime::try_from(d).ok());
        let mut state = self.state();
        if let (Some(date), Some(sent)) = (date, state.sent) {
            state.time = Some(ServerTime {
                date,
                sent,
                received: received.max(sent),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: SystemTime = SystemTime::UNIX_EPOCH;

    fn at(ms: u64) -> SystemTime {
        T + Duration::from_millis(ms)
    }

    fn observed(date_s: u64, sent_ms: u64, received_ms: u64) -> ServerTime {
        ServerTime {
            date: T + Duration::from_secs(date_s),
            sent: at(sent_ms),
            received: at(received_ms),
        }
    }

    #[test]
    fn clocks_that_agree_are_judged_carefully_not_as_sts_behind() {
        // Sent at 100.900 s, answered at 101.100 s, stamped `Date: 101 s` (truncated): STS's
        // clock may be anywhere from 101.0 s to 101.999 s at some moment of that round trip.
        let t = observed(101, 100_900, 101_100);
        assert_eq!(t.skew_range(), (-100_000_000, 1_100_000_000));
        assert_eq!(t.careful_skew_ms(), 1_100);
        assert_eq!(t.sure_skew(), Duration::ZERO, "less than the uncertainty");
    }

    #[test]
    fn the_careful_skew_rounds_up_to_the_millisecond() {
        let t = ServerTime {
            date: T + Duration::from_secs(10),
            sent: T + Duration::from_nanos(10_999_000_001),
            received: T + Duration::from_secs(11),
        };
        // 11 s - 10.999000001 s = 0.000999999 s: rounded up, 1 ms.
        assert_eq!(t.careful_skew_ms(), 1);
        let behind = ServerTime {
            date: T + Duration::from_secs(10),
            sent: T + Duration::from_nanos(7_200_500_000_000),
            received: T + Duration::from_nanos(7_200_600_000_000),
        };
        // STS's clock is surely behind, by at least 7,189.5 s: the careful skew is the least
        // it can be behind, so nothing lives longer by this clock than it may.
        assert_eq!(behind.careful_skew_ms(), -7_189_500);
        assert_eq!(behind.sure_skew(), Duration::from_millis(7_189_500));
    }

    #[test]
    fn a_clock_surely_behind_sts_is_said_by_the_least_it_can_be() {
        let t = observed(7_300, 100_000, 100_200);
        assert_eq!(t.sure_skew(), Duration::from_millis(7_199_800));
        assert_eq!(t.careful_skew_ms(), 7_201_000);
    }
}
