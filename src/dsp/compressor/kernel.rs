//! The compressor kernel: detector, gain computer, ballistics and gain for B bands of a stereo
//! signal (B = 1 single-band, B = 3 multiband). Signal flow and definitions: see `envelope`.
//!
//! Work goes stage by stage over a whole chunk rather than sample by sample: the stages with no
//! feedback (log, gain computer, exp, gain) then vectorise over samples, and the two recursive
//! stages (mean square, ballistics) advance all channel-bands in one loop, so their independent
//! dependency chains overlap instead of each waiting on its own latency.

use crate::dsp::compressor::band::{BandRamps, BandSmoothers, CompressorBandSettings, DetectorControl, Sidechain};
use crate::dsp::compressor::envelope::{
    exp2_nonpositive, gain_reduction_db, larger, one_pole_coef, Ballistics, DB_PER_LOG2_POWER, LOG2_GAIN_PER_DB,
    POWER_FLOOR, RMS_TIME_CONSTANT_MS,
};
use crate::dsp::filter::svf_lanes::{highpass, LaneSvf};
use crate::dsp::util::math::fast_log2;
use crate::dsp::MAX_CHUNK;

/// Band signals of one chunk: `[band][channel][frame]`, band 0 = low.
pub type BandBuffers<const B: usize> = [[[f32; MAX_CHUNK]; 2]; B];

pub struct BandBank<const B: usize> {
    sample_rate: f32,
    params: [BandSmoothers; B],
    sidechain: Sidechain,
    sidechain_state: [LaneSvf<2>; B],
    rms_coef: f32,
    mean_square: [[f32; 2]; B],
    /// Per band, lanes = channels.
    ballistics: [Ballistics<2>; B],
    /// Per channel-band: power, then level, then target reduction, then reduction (dB).
    work: BandBuffers<B>,
}

impl<const B: usize> BandBank<B> {
    /// Band `b` takes `bands[b]` (so a single-band bank takes band 0).
    pub fn new(sample_rate: f32, bands: &[CompressorBandSettings; 3]) -> Self {
        Self {
            sample_rate,
            params: std::array::from_fn(|b| BandSmoothers::new(sample_rate, &bands[b])),
            sidechain: Sidechain::new(sample_rate),
            sidechain_state: [LaneSvf::default(); B],
            rms_coef: one_pole_coef(RMS_TIME_CONSTANT_MS, sample_rate) as f32,
            mean_square: [[0.0; 2]; B],
            ballistics: [Ballistics::default(); B],
            work: [[[0.0; MAX_CHUNK]; 2]; B],
        }
    }

    pub fn set(&mut self, bands: &[CompressorBandSettings; 3], sidechain_on: bool, sidechain_hz: f32) {
        for (p, s) in self.params.iter_mut().zip(bands) {
            p.set(self.sample_rate, s);
        }
        if self.sidechain.set(sidechain_on, sidechain_hz) {
            self.sidechain_state = [LaneSvf::default(); B];
        }
    }

    /// Clears every state and jumps all parameters to their targets.
    pub fn reset(&mut self) {
        self.params.iter_mut().for_each(BandSmoothers::snap);
        self.sidechain.reset();
        self.sidechain_state = [LaneSvf::default(); B];
        self.mean_square = [[0.0; 2]; B];
        self.ballistics = [Ballistics::default(); B];
    }

    /// For the meter, per band: the larger channel's reduction in dB (>= 0), scaled down while
    /// the band is bypassed.
    pub fn gain_reduction_db(&self) -> [f32; B] {
        std::array::from_fn(|b| {
            let [l, r] = self.ballistics[b].gain_reduction_db();
            l.max(r) * (1.0 - self.params[b].bypass_mix())
        })
    }

    /// Per channel, the largest reduction over the bands.
    pub fn channel_gain_reduction_db(&self) -> [f32; 2] {
        let mut gr = [0.0f32; 2];
        for band in &self.ballistics {
            let g = band.gain_reduction_db();
            gr = [gr[0].max(g[0]), gr[1].max(g[1])];
        }
        gr
    }

    /// Starts every band from a steady reduction of `gr_db` per channel.
    pub fn seed_gain_reduction(&mut self, gr_db: [f32; 2]) {
        self.ballistics = [Ballistics::settled_at(gr_db); B];
    }

    /// Compresses `sig[band][channel][..n]` in place (n <= [`MAX_CHUNK`]).
    pub fn process(&mut self, sig: &mut BandBuffers<B>, n: usize, ctl: &DetectorControl) {
        let n = n.min(MAX_CHUNK);
        if n == 0 {
            return;
        }
        let ramps: [BandRamps; B] = std::array::from_fn(|b| self.params[b].ramps(n));
        // Fully linked with identical channel states: one level, curve and gain per band serve
        // both channels (max of the powers = max of the levels = max of the reductions, as all
        // three maps are monotonic). Bit for bit what the general path computes then, at half
        // the cost; the general path runs while the states differ (after a link change).
        let linked = ctl.link.is_constant(1.0) && self.ballistics.iter().all(Ballistics::lanes_equal);
        self.detect_power(sig, n, ctl, linked);
        let lanes = if linked { 1 } else { 2 };
        for band in &mut self.work {
            for lane in &mut band[..lanes] {
                for w in &mut lane[..n] {
                    *w = DB_PER_LOG2_POWER * fast_log2(larger(*w, POWER_FLOOR));
                }
            }
        }
        for (work, r) in self.work.iter_mut().zip(&ramps) {
            let threshold = |i: usize| r.threshold_db.at(i) + ctl.threshold_offset_db.at(i);
            let [l, rt] = work;
            if linked {
                for (i, l) in l[..n].iter_mut().enumerate() {
                    *l = gain_reduction_db(*l - threshold(i), r.half_knee_db.at(i), r.slope.at(i));
                }
                continue;
            }
            for (i, (l, rt)) in l[..n].iter_mut().zip(&mut rt[..n]).enumerate() {
                let (half_knee, slope) = (r.half_knee_db.at(i), r.slope.at(i));
                let gl = gain_reduction_db(*l - threshold(i), half_knee, slope);
                let gr = gain_reduction_db(*rt - threshold(i), half_knee, slope);
                let (most, unlink) = (larger(gl, gr), 1.0 - ctl.link.at(i));
                // Written so that link = 1 gives exactly `most` on both channels.
                (*l, *rt) = (most - unlink * (most - gl), most - unlink * (most - gr));
            }
        }
        self.run_ballistics(n, linked);
        for ((band, work), r) in sig.iter_mut().zip(&self.work).zip(&ramps) {
            let gain = |i: usize, gr: f32| {
                let g = exp2_nonpositive(-LOG2_GAIN_PER_DB * gr) * r.makeup_gain.at(i);
                g + r.bypass.at(i) * (1.0 - g)
            };
            let [l, rt] = band;
            if linked {
                for (i, ((l, rt), &gr)) in l[..n].iter_mut().zip(&mut rt[..n]).zip(&work[0][..n]).enumerate() {
                    let g = gain(i, gr);
                    (*l, *rt) = (*l * g, *rt * g);
                }
            } else {
                for (x, gr) in [l, rt].into_iter().zip(work) {
                    for (i, (x, &gr)) in x[..n].iter_mut().zip(&gr[..n]).enumerate() {
                        *x *= gain(i, gr);
                    }
                }
            }
        }
    }

    /// Detector power per channel-band into `work` (lane 0 holds the louder channel's when
    /// `linked`): optional sidechain high-pass, then the crossfade between instantaneous power
    /// (Peak) and the AES17-scaled mean square (RMS), which always runs so that a detector
    /// switch finds it settled.
    #[allow(clippy::needless_range_loop)] // one frame index walks 2·B arrays in lockstep
    fn detect_power(&mut self, sig: &BandBuffers<B>, n: usize, ctl: &DetectorControl, linked: bool) {
        let sidechain = self.sidechain.chunk(n);
        let (a, mut ms, mut hp_state) = (self.rms_coef, self.mean_square, self.sidechain_state);
        for i in 0..n {
            let rms = ctl.rms_mix.at(i);
            for b in 0..B {
                let mut x = [sig[b][0][i], sig[b][1][i]];
                if let Some((coefs, mix)) = &sidechain {
                    let (band, low) = hp_state[b].tick(coefs, x);
                    let hp = highpass(coefs, x, band, low);
                    let m = mix.at(i);
                    x = [x[0] + m * (hp[0] - x[0]), x[1] + m * (hp[1] - x[1])];
                }
                let mut p = [0.0f32; 2];
                for c in 0..2 {
                    let peak = x[c] * x[c];
                    ms[b][c] += a * (peak - ms[b][c]);
                    p[c] = peak + rms * (2.0 * ms[b][c] - peak);
                }
                if linked {
                    self.work[b][0][i] = larger(p[0], p[1]);
                } else {
                    (self.work[b][0][i], self.work[b][1][i]) = (p[0], p[1]);
                }
            }
        }
        for (b, ms_band) in ms.iter_mut().enumerate() {
            hp_state[b].flush_denormals();
            ms_band.iter_mut().filter(|v| **v < POWER_FLOOR).for_each(|v| *v = 0.0);
        }
        (self.mean_square, self.sidechain_state) = (ms, hp_state);
    }

    /// In the linked case lane 0 holds the shared target; both lanes tick on it (one f64x2
    /// operation), which keeps the channel states identical.
    fn run_ballistics(&mut self, n: usize, linked: bool) {
        let attack: [[f64; 2]; B] = std::array::from_fn(|b| [self.params[b].attack; 2]);
        let release: [[f64; 2]; B] = std::array::from_fn(|b| [self.params[b].release; 2]);
        let mut state = self.ballistics;
        for i in 0..n {
            for b in 0..B {
                let w = &mut self.work[b];
                let target = if linked { [w[0][i]; 2] } else { [w[0][i], w[1][i]] };
                [w[0][i], w[1][i]] = state[b].tick(target, &attack[b], &release[b]);
            }
        }
        state.iter_mut().for_each(Ballistics::flush_denormals);
        self.ballistics = state;
    }
}
