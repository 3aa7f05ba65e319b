//! The limiter's gain computer for one channel, in the log2-gain domain:
//!
//! requirement → hold (running minimum) → release (instant attack) → two cascaded moving
//! averages → pad to the maximum lookahead → linear gain.
//!
//! Why this shape: a requirement r[t] (the gain sample t needs to sit at the ceiling) is held
//! for `hold = L + 2W` samples and then averaged over a span of `L` samples, so the averaged gain
//! ramps down smoothly over the lookahead `L` before the peak and is no higher than r[t] on the
//! samples t-W..=t+W around it (the guard W keeps the gain flat while the inter-sample peak next
//! to t is reconstructed). The two cascaded boxes give an S-shaped attack with no corner, which is
//! what keeps bass from being distorted by the gain change. The moving sums run on integers
//! (fixed point, floored), so they are exact over any length of stream: no drift, no over.

use super::math::fast_exp2;
use super::sliding_min::SlidingMin;

/// Fixed-point scale of the log2 gains inside the moving averages.
const FIXED_ONE: f64 = (1u64 << 24) as f64;
/// Lowest log2 gain carried (-756 dB); anything that needs more is silence anyway.
const MIN_LOG2_GAIN: f32 = -125.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReleaseSettings {
    pub release_ms: f32,
    /// Program-dependent release: short peaks recover at a tenth of the release time, sustained
    /// limiting at the full release time.
    pub auto: bool,
}

/// Exact moving sum of integers (the average is taken once, after both boxes).
#[derive(Debug, Clone)]
struct BoxSum {
    values: Vec<i64>,
    len: usize,
    pos: usize,
    sum: i64,
}

impl BoxSum {
    fn new(max_len: usize) -> Self {
        Self { values: vec![0; max_len.max(1)], len: 1, pos: 0, sum: 0 }
    }

    fn reset(&mut self, len: usize) {
        self.len = len.clamp(1, self.values.len());
        self.values[..self.len].fill(0);
        self.pos = 0;
        self.sum = 0;
    }

    fn copy_state_from(&mut self, other: &BoxSum) {
        self.values.copy_from_slice(&other.values);
        self.len = other.len;
        self.pos = other.pos;
        self.sum = other.sum;
    }

    #[inline]
    fn push(&mut self, q: i64) -> i64 {
        self.sum += q - self.values[self.pos];
        self.values[self.pos] = q;
        self.pos = if self.pos + 1 == self.len { 0 } else { self.pos + 1 };
        self.sum
    }
}

#[derive(Debug, Clone)]
pub struct GainPath {
    sample_rate: f32,
    max_lookahead: usize,
    guard: usize,
    lookahead: usize,
    hold: SlidingMin,
    box_a: BoxSum,
    box_b: BoxSum,
    /// Instant-attack envelope with the (fast, in auto mode) release.
    fast: f32,
    /// Auto mode only: slow envelope whose depth tells sustained limiting from short peaks.
    slow: f32,
    fast_coeff: f32,
    slow_attack_coeff: f32,
    slow_release_coeff: f32,
    auto: bool,
    release: ReleaseSettings,
    /// 1 / (len_a * len_b * FIXED_ONE): turns the sum of sums into the average log2 gain.
    average_scale: f64,
    /// Gains waiting `max_lookahead - lookahead` samples so the total delay never changes.
    pad: Vec<f32>,
    pad_pos: usize,
    /// Recent requirements, replayed when the lookahead changes so the new hold and averages
    /// start from the real recent past instead of from silence (no over on a change).
    history: Vec<f32>,
    history_pos: usize,
}

impl GainPath {
    pub fn new(sample_rate: f32, max_lookahead: usize, guard: usize) -> Self {
        let max_lookahead = max_lookahead.max(1);
        let release = ReleaseSettings { release_ms: 100.0, auto: false };
        let mut path = Self {
            sample_rate,
            max_lookahead,
            guard,
            lookahead: max_lookahead,
            hold: SlidingMin::new(max_lookahead + 2 * guard),
            box_a: BoxSum::new(max_lookahead),
            box_b: BoxSum::new(max_lookahead),
            fast: 0.0,
            slow: 0.0,
            fast_coeff: 0.0,
            slow_attack_coeff: 0.0,
            slow_release_coeff: 0.0,
            auto: false,
            release,
            average_scale: 1.0 / FIXED_ONE,
            pad: vec![1.0; max_lookahead + 1],
            pad_pos: 0,
            history: vec![0.0; 2 * max_lookahead + 2 * guard + 1],
            history_pos: 0,
        };
        path.set_release(&ReleaseSettings { release_ms: 100.0, auto: false });
        path.configure_windows();
        path
    }

    /// Delay from a requirement entering to its gain leaving, independent of the lookahead.
    pub fn delay_samples(&self) -> usize {
        self.max_lookahead + self.guard - 1
    }

    pub fn lookahead(&self) -> usize {
        self.lookahead
    }

    pub fn reset(&mut self) {
        self.fast = 0.0;
        self.slow = 0.0;
        self.history.fill(0.0);
        self.history_pos = 0;
        self.pad.fill(1.0);
        self.pad_pos = 0;
        self.configure_windows();
    }

    pub fn set_release(&mut self, release: &ReleaseSettings) {
        if *release == self.release && self.fast_coeff != 0.0 {
            return;
        }
        self.release = *release;
        let coeff = |ms: f32| (-1000.0 / (ms.max(0.01) * self.sample_rate)).exp();
        self.auto = release.auto;
        if release.auto {
            self.fast_coeff = coeff((release.release_ms / 10.0).max(1.0));
            self.slow_attack_coeff = coeff(release.release_ms / 2.0);
            self.slow_release_coeff = coeff(release.release_ms);
        } else {
            self.fast_coeff = coeff(release.release_ms);
        }
    }

    /// Makes this path continue exactly where `other` is (same sample rate and maximum
    /// lookahead), without allocating: used when the stereo link drops below 100 %.
    pub fn copy_state_from(&mut self, other: &GainPath) {
        self.lookahead = other.lookahead;
        self.hold.copy_state_from(&other.hold);
        self.box_a.copy_state_from(&other.box_a);
        self.box_b.copy_state_from(&other.box_b);
        self.fast = other.fast;
        self.slow = other.slow;
        self.fast_coeff = other.fast_coeff;
        self.slow_attack_coeff = other.slow_attack_coeff;
        self.slow_release_coeff = other.slow_release_coeff;
        self.auto = other.auto;
        self.release = other.release;
        self.average_scale = other.average_scale;
        self.pad.copy_from_slice(&other.pad);
        self.pad_pos = other.pad_pos;
        self.history.copy_from_slice(&other.history);
        self.history_pos = other.history_pos;
    }

    /// Changes the lookahead (attack ramp length) in samples, replaying recent history.
    pub fn set_lookahead(&mut self, lookahead: usize) {
        let lookahead = lookahead.clamp(1, self.max_lookahead);
        if lookahead == self.lookahead {
            return;
        }
        self.lookahead = lookahead;
        let (fast, slow) = (self.fast, self.slow);
        self.configure_windows();
        self.fast = fast;
        self.slow = slow;
        // Replay enough history to refill the hold, both averages and the pad.
        let replay = (2 * self.max_lookahead + 2 * self.guard).min(self.history.len() - 1);
        let n = self.history.len();
        for k in (0..replay).rev() {
            let idx = (self.history_pos + n - 1 - k) % n;
            let requirement = self.history[idx];
            self.advance(requirement);
        }
    }

    fn configure_windows(&mut self) {
        let l = self.lookahead;
        self.hold.reset();
        self.hold.set_window(l + 2 * self.guard);
        let a = l.div_ceil(2);
        self.box_a.reset(a);
        self.box_b.reset(l + 1 - a);
        self.average_scale = 1.0 / (a as f64 * (l + 1 - a) as f64 * FIXED_ONE);
        self.pad.fill(1.0);
        self.pad_pos = 0;
    }

    /// Feeds the log2 gain requirement (<= 0) of one sample; returns the linear gain for the
    /// sample `delay_samples()` earlier.
    #[inline]
    pub fn push(&mut self, requirement_log2: f32) -> f32 {
        self.history[self.history_pos] = requirement_log2;
        self.history_pos = if self.history_pos + 1 == self.history.len() { 0 } else { self.history_pos + 1 };
        self.advance(requirement_log2)
    }

    #[inline]
    fn advance(&mut self, requirement_log2: f32) -> f32 {
        let held = self.hold.push(requirement_log2.clamp(MIN_LOG2_GAIN, 0.0));
        // Instant attack; exponential release towards the held requirement. Both keep the
        // envelope at or below `held`, which is what the ceiling guarantee rests on.
        self.fast = if held < self.fast { held } else { held + (self.fast - held) * self.fast_coeff };
        let envelope = if self.auto {
            let coeff = if held < self.slow { self.slow_attack_coeff } else { self.slow_release_coeff };
            self.slow = held + (self.slow - held) * coeff;
            self.fast.min(self.slow)
        } else {
            self.fast
        };
        // Floor into fixed point (never above the envelope), exact integer sums, one scaling.
        // The final f64 -> f32 rounding (at most half an f32 ulp, 6e-8) is covered by the
        // limiter's numeric margin.
        let scaled = envelope as f64 * FIXED_ONE;
        let truncated = scaled as i64; // floor by conversion (no library call), exact here
        let q = truncated - i64::from((truncated as f64) > scaled);
        let sum_of_sums = self.box_b.push(self.box_a.push(q));
        let gain = fast_exp2((sum_of_sums as f64 * self.average_scale) as f32);
        // Pad: gains wait (max_lookahead - lookahead) samples.
        let pad_len = self.max_lookahead - self.lookahead;
        let n = self.pad.len();
        self.pad[self.pad_pos] = gain;
        let read = if self.pad_pos >= pad_len { self.pad_pos - pad_len } else { self.pad_pos + n - pad_len };
        self.pad_pos = if self.pad_pos + 1 == n { 0 } else { self.pad_pos + 1 };
        self.pad[read]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The core invariant, checked by brute force: every sample within the guard of a
    /// requirement gets a gain no higher than that requirement, for random requirements.
    #[test]
    fn gain_never_exceeds_requirement_around_each_sample() {
        let mut rng = crate::dsp::rng::XorShift32::new(11);
        for (lookahead, auto) in [(1usize, false), (7, false), (48, true), (240, false)] {
            let guard = 3;
            let max = 240;
            let mut path = GainPath::new(48_000.0, max, guard);
            path.set_release(&ReleaseSettings { release_ms: 5.0, auto });
            path.set_lookahead(lookahead);
            let delay = path.delay_samples();
            let reqs: Vec<f32> = (0..20_000)
                .map(|_| if rng.next_u32().is_multiple_of(50) { -8.0 * (rng.next_centered() + 0.5) } else { 0.0 })
                .collect();
            let gains: Vec<f32> = reqs.iter().map(|&r| path.push(r)).collect();
            for (t, req) in reqs.iter().enumerate() {
                let needed = req.exp2();
                for s in t.saturating_sub(guard)..=(t + guard) {
                    if let Some(&g) = gains.get(s + delay) {
                        assert!(g <= needed * (1.0 + 1e-6), "L={lookahead} t={t} s={s} g={g} needed={needed}");
                    }
                }
            }
        }
    }

    #[test]
    fn attack_ramp_spans_the_lookahead() {
        let mut path = GainPath::new(48_000.0, 100, 2);
        path.set_lookahead(40);
        let delay = path.delay_samples();
        let mut gains = Vec::new();
        for i in 0..400 {
            gains.push(path.push(if i == 200 { -1.0 } else { 0.0 }));
        }
        let peak_out = 200 + delay;
        assert!(gains[peak_out] <= 0.5 + 1e-6);
        // Gain is still at unity just before the ramp window, and ramps monotonically into the peak.
        assert!(gains[peak_out - 2 - 40] > 0.999_999);
        for i in peak_out - 42..peak_out {
            assert!(gains[i + 1] <= gains[i] + 1e-7);
        }
    }

    #[test]
    fn manual_release_time_constant() {
        let fs = 48_000.0;
        let release_ms = 100.0;
        let mut path = GainPath::new(fs, 48, 2);
        path.set_release(&ReleaseSettings { release_ms, auto: false });
        path.set_lookahead(48);
        let mut gains = Vec::new();
        for i in 0..48_000 {
            gains.push(path.push(if i < 1000 { -2.0 } else { 0.0 }));
        }
        // Log gain recovers by 63 % (1 - 1/e) one time constant after the recovery starts.
        let start = gains.iter().rposition(|&g| g <= 0.25 + 1e-6).unwrap();
        let target = -2.0 * (-1.0f32).exp();
        let t63 = gains[start..].iter().position(|&g| g.log2() >= target).unwrap();
        let ms = t63 as f32 / fs * 1000.0;
        assert!((ms - release_ms).abs() < 0.1 * release_ms, "{ms} ms");
    }

    #[test]
    fn lookahead_change_keeps_the_guarantee() {
        let mut path = GainPath::new(48_000.0, 200, 3);
        path.set_lookahead(200);
        let delay = path.delay_samples();
        let mut reqs = vec![0.0f32; 3000];
        for t in (100..3000).step_by(37) {
            reqs[t] = -3.0;
        }
        let mut gains = Vec::new();
        for (i, &r) in reqs.iter().enumerate() {
            if i == 1500 {
                path.set_lookahead(20);
            }
            gains.push(path.push(r));
        }
        for t in 0..reqs.len() {
            if reqs[t] < 0.0 && t + delay < gains.len() {
                assert!(gains[t + delay] <= 0.125 * (1.0 + 1e-6), "t={t} g={}", gains[t + delay]);
            }
        }
    }
}
