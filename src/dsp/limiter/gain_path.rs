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

use crate::dsp::filter::ring::Ring;
use crate::dsp::limiter::sliding_min::SlidingMin;
use crate::dsp::limiter::style::LimiterStyle;
use crate::dsp::simd::{truncate_i32, LaneKernel, LaneWidth, Lanes, F4};
use crate::dsp::util::math::fast_exp2;

/// Fixed-point scale of the log2 gains inside the moving averages.
const FIXED_ONE: f64 = (1u64 << 24) as f64;
/// Lowest log2 gain carried (-756 dB); anything that needs more is silence anyway.
const MIN_LOG2_GAIN: f32 = -125.0;
/// A requirement within this much (log2, about 0.06 dB) of the envelope counts as a touch:
/// successive peaks of a steady tone differ by far less after detection, transients by more.
const TOUCH_TOLERANCE_LOG2: f32 = 0.01;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReleaseSettings {
    pub release_ms: f32,
    /// Program-dependent release: short peaks recover faster than sustained limiting, shaped
    /// by `style`.
    pub auto: bool,
    /// How the program-dependent release behaves (see `style.rs`); no effect with `auto` off.
    pub style: LimiterStyle,
}

/// Two cascaded exact moving sums of integers (the average is taken once, after both boxes):
/// sum_a(t) = sum of q over the last `len_a` samples, sum_b(t) = sum of sum_a over the last
/// `len_b`. Each is updated by what enters and what leaves, read from power-of-two rings.
#[derive(Debug, Clone)]
struct DoubleBox {
    q: Vec<i32>,
    sum_a: Vec<i64>,
    t: usize,
    len_a: usize,
    len_b: usize,
    a: i64,
    b: i64,
}

impl DoubleBox {
    /// Room for the longest boxes (`max_len`) plus `rewind` older values, so the last `rewind`
    /// values can be revised and the sums rebuilt from there (`GainPath::lower_recent`).
    fn new(max_len: usize, rewind: usize) -> Self {
        let len = (max_len + rewind + 1).next_power_of_two();
        Self { q: vec![0; len], sum_a: vec![0; len], t: 0, len_a: 1, len_b: 1, a: 0, b: 0 }
    }

    /// Sets both lengths (each at most the `max_len` given to `new`) and forgets the past.
    fn reset(&mut self, len_a: usize, len_b: usize) {
        self.q.fill(0);
        self.sum_a.fill(0);
        self.t = 0;
        self.len_a = len_a.clamp(1, self.q.len() - 1);
        self.len_b = len_b.clamp(1, self.q.len() - 1);
        self.a = 0;
        self.b = 0;
    }

    fn copy_state_from(&mut self, other: &DoubleBox) {
        self.q.copy_from_slice(&other.q);
        self.sum_a.copy_from_slice(&other.sum_a);
        self.t = other.t;
        self.len_a = other.len_a;
        self.len_b = other.len_b;
        self.a = other.a;
        self.b = other.b;
    }
}

/// A ring with a write cursor, for block reads and writes at a fixed delay (the pad and the
/// history).
#[derive(Debug, Clone)]
struct BlockRing {
    ring: Ring,
    pos: usize,
}

impl BlockRing {
    /// Holds at least `max_delay + max_block` values, so a block written first can then be read
    /// back `max_delay` samples late without reading its own overwritten part.
    fn new(max_delay: usize, max_block: usize, fill: f32) -> Self {
        Self { ring: Ring::new(max_delay + max_block, fill), pos: 0 }
    }

    fn reset(&mut self, fill: f32) {
        self.ring.fill(fill);
        self.pos = 0;
    }

    fn copy_state_from(&mut self, other: &BlockRing) {
        self.ring.copy_from(&other.ring);
        self.pos = other.pos;
    }

    /// Appends `values` (at most the ring's length).
    fn write(&mut self, values: &[f32]) {
        self.ring.write_block(self.pos, values);
        self.pos = self.pos.wrapping_add(values.len());
    }

    /// `out[i]` = the value written `delay` samples before the i-th of the last `out.len()`
    /// values written.
    fn read(&self, delay: usize, out: &mut [f32]) {
        self.ring.read_block(self.pos.wrapping_sub(out.len() + delay), out);
    }

    /// The value written `age` writes ago (0 = the last one).
    fn get(&self, age: usize) -> f32 {
        self.ring.get(self.pos.wrapping_sub(age + 1))
    }

    /// Replaces the value written `age` writes ago (at most the ring's length minus one).
    fn set(&mut self, age: usize, value: f32) {
        self.ring.set(self.pos.wrapping_sub(age + 1), value);
    }
}

/// Largest block [`GainPath::process`] handles in one pass (longer ones are split).
const MAX_BLOCK: usize = 256;

#[derive(Debug, Clone)]
pub struct GainPath {
    sample_rate: f32,
    max_lookahead: usize,
    guard: usize,
    lookahead: usize,
    hold: SlidingMin,
    boxes: DoubleBox,
    /// Instant-attack envelope with the (fast, in auto mode) release.
    fast: f32,
    /// Auto mode only: slow envelope whose depth tells sustained limiting from short peaks.
    slow: f32,
    fast_coeff: f32,
    slow_attack_coeff: f32,
    slow_release_coeff: f32,
    /// The slow envelope's attack is at least as fast as its release (every style but those
    /// that keep transients apart from the sustained reduction).
    sustain_falls_faster: bool,
    /// Auto mode: samples left before the fast envelope may release again. Reset on every
    /// touch (the requirement reaching the envelope), so a sustained low tone whose peaks recur
    /// within the hold sees a flat gain instead of one that breathes at twice its frequency.
    hold_left: u32,
    /// Auto mode: the hold applied after a touch, learnt from the gap between the last two
    /// touches (a quarter longer), or 0 when that gap exceeds `max_hold`.
    hold_len: u32,
    /// Auto mode: samples since the requirement last touched the envelope.
    since_touch: u32,
    /// Longest gap between touches that is learnt as a hold (the style's
    /// `max_learnt_hold_ms`; 31.25 ms by default, half a period of 16 Hz).
    max_hold: u32,
    /// Shortest hold after any touch (the style's `min_hold_ms`; 0 by default).
    min_hold: u32,
    auto: bool,
    release: ReleaseSettings,
    /// 1 / (len_a * len_b * FIXED_ONE): turns the sum of sums into the average log2 gain.
    average_scale: f64,
    /// Gains waiting `max_lookahead - lookahead` samples so the total delay never changes.
    pad: BlockRing,
    /// Recent requirements, replayed when the lookahead changes so the new hold and averages
    /// start from the real recent past instead of from silence (no over on a change).
    history: BlockRing,
    /// Lanes of the log2-to-linear conversion (the widest this CPU runs).
    width: LaneWidth,
}

impl GainPath {
    pub fn new(sample_rate: f32, max_lookahead: usize, guard: usize) -> Self {
        let max_lookahead = max_lookahead.max(1);
        let release = ReleaseSettings { release_ms: 100.0, auto: false, style: LimiterStyle::Transparent };
        let mut path = Self {
            sample_rate,
            max_lookahead,
            guard,
            lookahead: max_lookahead,
            hold: SlidingMin::new(max_lookahead + 2 * guard),
            boxes: DoubleBox::new(max_lookahead, max_lookahead + guard),
            fast: 0.0,
            slow: 0.0,
            fast_coeff: 0.0,
            slow_attack_coeff: 0.0,
            slow_release_coeff: 0.0,
            sustain_falls_faster: true,
            hold_left: 0,
            hold_len: 0,
            since_touch: u32::MAX,
            max_hold: 0,
            min_hold: 0,
            auto: false,
            release,
            average_scale: 1.0 / FIXED_ONE,
            pad: BlockRing::new(max_lookahead, MAX_BLOCK, 1.0),
            history: BlockRing::new(2 * max_lookahead + 2 * guard, MAX_BLOCK, 0.0),
            width: LaneWidth::detect(),
        };
        path.set_release(&release);
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
        self.reset_hold();
        self.history.reset(0.0);
        self.configure_windows();
    }

    fn reset_hold(&mut self) {
        self.hold_left = 0;
        self.hold_len = 0;
        self.since_touch = u32::MAX;
    }

    pub fn set_release(&mut self, release: &ReleaseSettings) {
        if *release == self.release && self.fast_coeff != 0.0 {
            return;
        }
        self.release = *release;
        let coeff = |ms: f32| (-1000.0 / (ms.max(0.01) * self.sample_rate)).exp();
        let samples = |ms: f32| (ms / 1000.0 * self.sample_rate).round() as u32;
        self.auto = release.auto;
        if release.auto {
            // Only coefficients and hold lengths change: the envelopes carry on from where they
            // are, so a style switch mid-stream is as smooth as any release.
            let shape = release.style.shape();
            self.fast_coeff = coeff((release.release_ms / shape.fast_release_divisor).max(1.0));
            self.slow_attack_coeff = coeff(release.release_ms * shape.sustain_attack_scale);
            self.slow_release_coeff = coeff(release.release_ms * shape.sustain_release_scale);
            self.sustain_falls_faster = self.slow_attack_coeff <= self.slow_release_coeff;
            self.max_hold = samples(shape.max_learnt_hold_ms);
            self.min_hold = samples(shape.min_hold_ms);
        } else {
            self.fast_coeff = coeff(release.release_ms);
        }
    }

    /// Makes this path continue exactly where `other` is (same sample rate and maximum
    /// lookahead), without allocating: used when the stereo link drops below 100 %.
    pub fn copy_state_from(&mut self, other: &GainPath) {
        self.lookahead = other.lookahead;
        self.hold.copy_state_from(&other.hold);
        self.boxes.copy_state_from(&other.boxes);
        self.fast = other.fast;
        self.slow = other.slow;
        self.fast_coeff = other.fast_coeff;
        self.slow_attack_coeff = other.slow_attack_coeff;
        self.slow_release_coeff = other.slow_release_coeff;
        self.sustain_falls_faster = other.sustain_falls_faster;
        self.hold_left = other.hold_left;
        self.hold_len = other.hold_len;
        self.since_touch = other.since_touch;
        self.max_hold = other.max_hold;
        self.min_hold = other.min_hold;
        self.auto = other.auto;
        self.release = other.release;
        self.average_scale = other.average_scale;
        self.pad.copy_state_from(&other.pad);
        self.history.copy_state_from(&other.history);
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
        let replay = 2 * self.max_lookahead + 2 * self.guard;
        let mut chunk = [0.0f32; 64];
        let mut age = replay;
        while age > 0 {
            let len = age.min(chunk.len());
            for (k, v) in chunk[..len].iter_mut().enumerate() {
                *v = self.history.get(age - 1 - k);
            }
            self.advance(&mut chunk[..len]);
            age -= len;
        }
    }

    /// Lowers the requirements of the last `requirements.len()` values pushed (oldest first; at
    /// most [`delay_samples`](Self::delay_samples) of them, the ones whose gains have not left
    /// yet) to the smaller of what they were and what is given, and revises everything computed
    /// from them: the hold, the envelope values inside the moving sums, the sums and the gains
    /// waiting in the pad. The gains still to leave are then what they would have been had the
    /// lower requirements been pushed in the first place, except that the release after a dip
    /// the old envelope did not have is the averaging ramp rather than the release envelope.
    /// Used when the ceiling falls (the limiter applies a lower ceiling to the samples already
    /// inside it). No allocation; the work is bounded by the delay plus the hold window.
    pub fn lower_recent(&mut self, requirements: &[f32]) {
        let k = requirements.len().min(self.delay_samples());
        if k == 0 {
            return;
        }
        let requirements = &requirements[requirements.len() - k..];
        for (i, &r) in requirements.iter().enumerate() {
            let age = k - 1 - i;
            let old = self.history.get(age);
            self.history.set(age, min(old, r));
        }
        // The hold restarts with the values before the revised ones (its window less one), so
        // its minima over the revised values are exact and it ends holding the revised stream.
        let warm = self.lookahead + 2 * self.guard - 1;
        self.hold.reset();
        let boxes = &mut self.boxes;
        let mask = boxes.q.len() - 1;
        let (len_a, len_b) = (boxes.len_a, boxes.len_b);
        // The sums as they stood before the first revised value (older values are unchanged).
        let t0 = boxes.t.wrapping_sub(k);
        let mut a = boxes.sum_a[t0.wrapping_sub(1) & mask];
        let mut b: i64 = (1..=len_b).map(|i| boxes.sum_a[t0.wrapping_sub(i) & mask]).sum();
        let scale = self.average_scale;
        let first_read = k.saturating_sub(self.max_lookahead - self.lookahead);
        let total = warm + k;
        let mut chunk = [0.0f32; 64];
        let mut done = 0;
        let mut last_held = 0.0f32;
        while done < total {
            let len = (total - done).min(chunk.len());
            for (j, v) in chunk[..len].iter_mut().enumerate() {
                *v = self.history.get(total - 1 - (done + j)).clamp(MIN_LOG2_GAIN, 0.0);
            }
            self.hold.process(&mut chunk[..len]);
            for (j, &held) in chunk[..len].iter().enumerate() {
                let Some(i) = (done + j).checked_sub(warm) else { continue };
                let t = t0.wrapping_add(i);
                // The envelope never exceeds the held requirement: floor(min) = min(floors).
                let scaled = held * FIXED_ONE as f32;
                let truncated = truncate_i32(scaled);
                let floor = truncated - i32::from(truncated as f32 > scaled);
                let q = boxes.q[t & mask].min(floor);
                a += i64::from(q) - i64::from(boxes.q[t.wrapping_sub(len_a) & mask]);
                boxes.q[t & mask] = q;
                b += a - boxes.sum_a[t.wrapping_sub(len_b) & mask];
                boxes.sum_a[t & mask] = a;
                // Only the gains still to be read from the pad are needed (the last
                // `max_lookahead - lookahead` of them).
                if i >= first_read {
                    self.pad.set(k - 1 - i, fast_exp2((b as f64 * scale) as f32));
                }
                last_held = held;
            }
            done += len;
        }
        (boxes.a, boxes.b) = (a, b);
        self.fast = min(self.fast, last_held);
    }

    fn configure_windows(&mut self) {
        let l = self.lookahead;
        self.hold.set_window(l + 2 * self.guard);
        let a = l.div_ceil(2);
        self.boxes.reset(a, l + 1 - a);
        self.average_scale = 1.0 / (a as f64 * (l + 1 - a) as f64 * FIXED_ONE);
        self.pad.reset(1.0);
    }

    /// Feeds the log2 gain requirement (<= 0) of one sample; returns the linear gain for the
    /// sample `delay_samples()` earlier.
    pub fn push(&mut self, requirement_log2: f32) -> f32 {
        let mut v = [requirement_log2];
        self.process(&mut v);
        v[0]
    }

    /// Block form of [`push`](Self::push): each log2 requirement is replaced by the linear gain
    /// for the sample `delay_samples()` earlier.
    pub fn process(&mut self, values: &mut [f32]) {
        for block in values.chunks_mut(MAX_BLOCK) {
            self.history.write(block);
            self.advance(block);
        }
    }

    /// One pass per step over the block (at most `MAX_BLOCK` values), each a tight loop.
    fn advance(&mut self, values: &mut [f32]) {
        for v in values.iter_mut() {
            *v = v.clamp(MIN_LOG2_GAIN, 0.0);
        }
        self.hold.process(values);
        match (self.auto, self.sustain_falls_faster) {
            (true, true) => self.envelope_and_average::<true, true>(values),
            (true, false) => self.envelope_and_average::<true, false>(values),
            (false, _) => self.envelope_and_average::<false, true>(values),
        }
        self.width.run(Exp2InPlace(values));
        // Pad: gains wait (max_lookahead - lookahead) samples.
        self.pad.write(values);
        self.pad.read(self.max_lookahead - self.lookahead, values);
    }

    /// Held requirement -> release envelope -> fixed point -> both moving sums -> average log2
    /// gain, in place. One loop, so the envelope's recursion (a few cycles of latency per
    /// sample) overlaps with the sums.
    #[inline(always)]
    fn envelope_and_average<const AUTO: bool, const FALLS_FASTER: bool>(&mut self, values: &mut [f32]) {
        let (mut fast, mut slow) = (self.fast, self.slow);
        let (fast_keep, fast_take) = (self.fast_coeff, 1.0 - self.fast_coeff);
        let (attack_keep, attack_take) = (self.slow_attack_coeff, 1.0 - self.slow_attack_coeff);
        let (release_keep, release_take) = (self.slow_release_coeff, 1.0 - self.slow_release_coeff);
        let boxes = &mut self.boxes;
        let mask = boxes.q.len() - 1;
        let (ring_q, ring_a) = (&mut boxes.q[..=mask], &mut boxes.sum_a[..=mask]);
        let (len_a, len_b) = (boxes.len_a, boxes.len_b);
        let (mut t, mut a, mut b) = (boxes.t, boxes.a, boxes.b);
        let scale = self.average_scale;
        let (mut hold_left, mut hold_len, mut since_touch) = (self.hold_left, self.hold_len, self.since_touch);
        let (max_hold, min_hold) = (self.max_hold, self.min_hold);
        for v in values.iter_mut() {
            let held = *v;
            if AUTO {
                // Release hold: learn the gap between touches; while peaks keep recurring
                // within the hold, the envelope stays where it is (a flat gain, no ripple).
                if held <= fast + TOUCH_TOLERANCE_LOG2 {
                    if since_touch > 0 {
                        let learnt = if since_touch <= max_hold { since_touch + since_touch / 16 } else { 0 };
                        hold_len = learnt.max(min_hold);
                    }
                    since_touch = 0;
                    hold_left = hold_len;
                } else {
                    since_touch = since_touch.saturating_add(1);
                    hold_left = hold_left.saturating_sub(1);
                }
            }
            // Instant attack, exponential release towards the held requirement: the release
            // step is a weighted mean, so it stays at or below `held` when it starts below,
            // and the minimum takes `held` at once when it starts above. Either way the
            // envelope never exceeds `held`, which is what the ceiling guarantee rests on.
            let released = if AUTO && hold_left > 0 { fast } else { fast * fast_keep + held * fast_take };
            fast = min(held, released);
            let envelope = if AUTO {
                // The slow envelope falls with the attack and rises with the release
                // coefficient. When the attack is the faster one, that is the lower of the two
                // weighted means in both directions; when it is the slower one (styles that keep
                // transients apart from the sustained reduction), the higher.
                let attack = slow * attack_keep + held * attack_take;
                let release = slow * release_keep + held * release_take;
                slow = if FALLS_FASTER { min(attack, release) } else { max(attack, release) };
                min(fast, slow)
            } else {
                fast
            };
            // Floor into fixed point (never above the envelope), exact integer sums, one
            // scaling. The scaling by 2^24 is exact in f32 and |envelope| <= 125 keeps it
            // within i32. The final f64 -> f32 rounding (at most half an f32 ulp, 6e-8) is
            // covered by the limiter's numeric margin.
            let scaled = envelope * FIXED_ONE as f32;
            let truncated = truncate_i32(scaled); // floor by conversion (no library call), exact here
            let q = i64::from(truncated - i32::from(truncated as f32 > scaled));
            a += q - i64::from(ring_q[t.wrapping_sub(len_a) & mask]);
            ring_q[t & mask] = q as i32;
            b += a - ring_a[t.wrapping_sub(len_b) & mask];
            ring_a[t & mask] = a;
            t = t.wrapping_add(1);
            *v = (b as f64 * scale) as f32;
        }
        (boxes.t, boxes.a, boxes.b) = (t, a, b);
        (self.hold_left, self.hold_len, self.since_touch) = (hold_left, hold_len, since_touch);
        self.fast = fast;
        self.slow = slow;
    }
}

/// The smaller of two (non-NaN) values as one instruction (`f32::min`'s NaN rules cost more).
#[inline(always)]
fn min(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

/// The larger of two (non-NaN) values as one instruction.
#[inline(always)]
fn max(a: f32, b: f32) -> f32 {
    if b > a {
        b
    } else {
        a
    }
}

/// [`fast_exp2`] on lanes, the same operations in the same order (identical results).
#[inline(always)]
fn exp2<V: Lanes>(x: V) -> V {
    let x = x.max(V::splat(-126.0)).min(V::splat(0.0));
    let floor = x.floor();
    let y = (x - floor) * V::splat(std::f32::consts::LN_2);
    let mut p = V::splat(1.0 / 5040.0);
    for c in [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = V::splat(c) + y * p;
    }
    p * floor.pow2_of_integer()
}

/// Log2 gains to linear gains in place: [`exp2`] on the lanes of the width, then on four, then
/// [`fast_exp2`] for the last few (all identical per value).
struct Exp2InPlace<'a>(&'a mut [f32]);

impl LaneKernel for Exp2InPlace<'_> {
    type Output = ();
    #[inline(always)]
    fn run<V: Lanes>(self) {
        let values = self.0;
        let wide = values.len() - values.len() % V::N;
        let groups = values.len() - values.len() % 4;
        for i in (0..wide).step_by(V::N) {
            exp2(V::load(values, i)).store(values, i);
        }
        for i in (wide..groups).step_by(4) {
            exp2(F4::load(values, i)).store(values, i);
        }
        for v in &mut values[groups..] {
            *v = fast_exp2(*v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The core invariant, checked by brute force: every sample within the guard of a
    /// requirement gets a gain no higher than that requirement, for random requirements.
    #[test]
    fn gain_never_exceeds_requirement_around_each_sample() {
        let mut rng = crate::dsp::util::rng::XorShift32::new(11);
        for (lookahead, auto) in [(1usize, false), (7, false), (48, true), (240, false)] {
            let guard = 3;
            let max = 240;
            let mut path = GainPath::new(48_000.0, max, guard);
            path.set_release(&ReleaseSettings { release_ms: 5.0, auto, style: LimiterStyle::Transparent });
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
    fn four_lane_exp2_is_fast_exp2() {
        let mut x = -130.0f32;
        while x <= 0.5 {
            let lanes = exp2(F4::splat(x)).to_array();
            assert_eq!(lanes[0].to_bits(), fast_exp2(x).to_bits(), "x={x}");
            x += 0.00731;
        }
    }

    /// The conversion at every width this CPU runs (four, eight, sixteen lanes, with the
    /// remainders) is `fast_exp2` bit for bit, on a sweep including integers, tiny fractions
    /// and values past both clamps.
    #[test]
    fn exp2_in_place_is_fast_exp2_at_every_width() {
        let mut input: Vec<f32> = (0..40_000).map(|i| -130.0 + i as f32 * 0.003_31).collect();
        input.extend((-127..=1).map(|i| i as f32));
        input.extend([-1e-7, -0.0, 0.0, 1e-7, -126.000_01, -125.999_99, 3.0, -1e9]);
        let expected: Vec<u32> = input.iter().map(|&x| fast_exp2(x).to_bits()).collect();
        for width in LaneWidth::supported() {
            // Odd lengths exercise the four-lane and scalar remainders too.
            for len in [input.len(), 29, 13, 3] {
                let mut values = input[..len].to_vec();
                width.run(Exp2InPlace(&mut values));
                let got: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
                assert_eq!(got, expected[..len], "{} lanes, length {len}", width.lanes());
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
        path.set_release(&ReleaseSettings { release_ms, auto: false, style: LimiterStyle::Transparent });
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

    /// The sustained envelope falls with `release_ms * sustain_attack_scale` and rises with
    /// `release_ms * sustain_release_scale` whichever of the two is faster. After 50 ms at a
    /// requirement of -2 (log2) it has fallen to -2 (1 - e^(-50/attack)); 100 ms after the
    /// requirement ends (the fast envelope long recovered) the gain is that depth times
    /// e^(-100/release). Transparent: attack 100 ms, release 200 ms; Punchy: attack 400 ms
    /// (slower than its release), release 200 ms.
    #[test]
    fn sustained_envelope_falls_and_rises_with_its_own_times() {
        let fs = 48_000.0;
        for (style, attack_ms) in [(LimiterStyle::Transparent, 100.0f64), (LimiterStyle::Punchy, 400.0)] {
            let mut path = GainPath::new(fs, 48, 2);
            path.set_release(&ReleaseSettings { release_ms: 200.0, auto: true, style });
            path.set_lookahead(48);
            let delay = path.delay_samples();
            // The running minimum holds the requirement for lookahead + 2 guards samples more.
            let held = 2400 + 48 + 4; // 50 ms of requirement, plus that hold
            let fall_ms = held as f64 / fs as f64 * 1000.0;
            let read = held + 4800; // 100 ms after the held requirement ends
            let gains: Vec<f32> = (0..read + delay + 1).map(|i| path.push(if i < 2400 { -2.0 } else { 0.0 })).collect();
            let depth = -2.0 * (1.0 - (-fall_ms / attack_ms).exp());
            let expected = depth * (-100.0f64 / 200.0).exp();
            let got = (gains[read + delay] as f64).log2();
            // The lookahead average spans 1 ms, 0.5 % of the release time.
            assert!((got - expected).abs() <= 0.02 * expected.abs(), "{style:?}: {got} vs {expected}");
        }
    }

    /// `lower_recent` with the requirements it already has changes nothing (bit for bit), and
    /// lowering the ones still in the path puts every gain still to leave under the lowered
    /// requirement within the guard, as if it had been pushed that way: random requirements,
    /// several lookaheads, auto and manual release, lowered at random points.
    #[test]
    fn lowering_recent_requirements_keeps_the_guarantee() {
        let mut rng = crate::dsp::util::rng::XorShift32::new(17);
        for (lookahead, auto) in [(1usize, false), (9, true), (48, true), (240, false)] {
            let (guard, max) = (3, 240);
            let make = || {
                let mut path = GainPath::new(48_000.0, max, guard);
                path.set_release(&ReleaseSettings { release_ms: 5.0, auto, style: LimiterStyle::Transparent });
                path.set_lookahead(lookahead);
                path
            };
            let (mut path, mut revised_same, mut untouched) = (make(), make(), make());
            let delay = path.delay_samples();
            let original: Vec<f32> = (0..20_000)
                .map(|_| if rng.next_u32().is_multiple_of(40) { -8.0 * (rng.next_centered() + 0.5) } else { -0.1 })
                .collect();
            let mut reqs = original.clone();
            let mut gains = Vec::new();
            for t in 0..reqs.len() {
                if t % 1_000 == 500 {
                    // The same requirements again: nothing may change.
                    revised_same.lower_recent(&original[t - delay..t]);
                    // A lower threshold for everything still inside (log2 -1.5); half the time
                    // only for part of it.
                    let from = if t % 2_000 == 500 { t - delay } else { t - delay / 2 };
                    for r in &mut reqs[from..t] {
                        *r = (*r).min(-1.5);
                    }
                    path.lower_recent(&reqs[t - delay..t]);
                }
                gains.push(path.push(reqs[t]));
                let (a, b) = (untouched.push(original[t]), revised_same.push(original[t]));
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "L={lookahead} t={t}: a revision to the same values changed the gain"
                );
            }
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
