//! How long a failing stack waits before it is tried again: exponential from one second,
//! at most five minutes, with "equal jitter" (half the delay fixed, half random) so that
//! many controllers failing together do not retry together.

use std::time::Duration;

/// The first retry's delay (before jitter).
pub const BASE: Duration = Duration::from_secs(1);
/// The longest delay.
pub const MAX: Duration = Duration::from_secs(300);

/// The wait after `failures` consecutive failures (1 for the first): `BASE · 2^(failures-1)`,
/// at most [`MAX`], of which the upper half is scaled by `unit` (a random number in
/// `[0, 1)`).
pub fn delay(failures: u32, unit: f64) -> Duration {
    let exp = failures.saturating_sub(1).min(30);
    let full = BASE.saturating_mul(1u32 << exp).min(MAX);
    let half = full / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_one_second_up_to_five_minutes_with_equal_jitter() {
        let secs = |f, u| delay(f, u).as_secs_f64();
        // No jitter drawn: the lower half.
        assert_eq!(
            (1..=10).map(|f| secs(f, 0.0)).collect::<Vec<_>>(),
            [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 150.0]
        );
        // The most jitter: the full delay.
        assert_eq!(secs(1, 1.0), 1.0);
        assert_eq!(secs(4, 1.0), 8.0);
        assert_eq!(secs(9, 1.0), 256.0);
        assert_eq!(secs(10, 1.0), 300.0);
        assert_eq!(secs(1_000, 0.5), 225.0, "capped, never overflowing");
        assert_eq!(secs(3, 0.5), 3.0);
    }
}
