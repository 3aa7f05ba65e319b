//! Long-term analysis of a programme for the mastering assistant: the power-averaged spectrum
//! in 1/3-octave bands over the loudness-gated parts (BS.1770 gating, so silence and fades do
//! not pull the average down), integrated loudness, peak-to-loudness ratio, crest factor, and
//! the stereo picture per band (side/mid energy). Offline only: it allocates freely.

use realfft::RealFftPlanner;

use crate::dsp::meter::k_weighting::KWeighting;

/// FFT length of the spectrum frames; at 44.1 kHz one bin is 10.8 Hz, four bins inside the
/// 50 Hz 1/3-octave band, which is where the goal's range starts.
const FFT_LEN: usize = 16_384;
/// Hann frames at 50 % overlap sum to a constant, so every sample weighs the same.
const HOP: usize = FFT_LEN / 2;
/// BS.1770-4 §2.8: 400 ms blocks, 75 % overlap, −70 LKFS absolute and −10 LU relative gates.
const BLOCK_S: f64 = 0.4;
const ABSOLUTE_GATE_LUFS: f64 = -70.0;
const RELATIVE_GATE_LU: f64 = -10.0;
/// Bands at and below this frequency describe the low-frequency mono-ness.
pub const LOW_MONO_HZ: f64 = 125.0;

/// Nominal 1/3-octave centres (IEC 61260 base-10: 1 kHz·10^(k/10)) from 20 Hz to 20 kHz.
pub fn third_octave_centres() -> Vec<f64> {
    (-17..=13).map(|k| 1000.0 * 10f64.powf(k as f64 / 10.0)).collect()
}

/// Lower and upper edge of the 1/3-octave band around `centre_hz`.
pub fn band_edges(centre_hz: f64) -> (f64, f64) {
    let half = 10f64.powf(1.0 / 20.0);
    (centre_hz / half, centre_hz * half)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub sample_rate: f32,
    pub centres_hz: Vec<f64>,
    /// Per band: mean power of (L²+R²)/2 over the gated frames, in dB (full-scale sine ≈ −3 dB).
    pub band_db: Vec<f64>,
    /// Per band: side energy over mid energy in dB (−∞ clamped to −120 for mono).
    pub side_mid_db: Vec<f64>,
    /// BS.1770 integrated loudness; `None` when nothing passes the absolute gate.
    pub integrated_lufs: Option<f64>,
    pub sample_peak_dbfs: f64,
    /// Peak-to-loudness ratio: sample peak minus integrated loudness.
    pub plr_db: Option<f64>,
    /// Sample peak over the RMS of the gated part.
    pub crest_db: Option<f64>,
    /// Side/mid energy (dB) of everything at and below [`LOW_MONO_HZ`]; very negative = mono bass.
    pub low_side_mid_db: f64,
    /// Side/mid energy (dB) over 125 Hz..14 kHz: the broad stereo width the stage can change.
    pub wide_side_mid_db: f64,
}

fn db(power: f64) -> f64 {
    10.0 * power.max(1e-12).log10()
}

/// Gating of 400 ms blocks: integrated loudness and, per block, whether it passed both gates.
/// Mono is measured as one channel (G = 1), stereo as L + R.
fn gate(channels: &[&[f32]], sample_rate: f32) -> (Option<f64>, Vec<bool>, usize, usize) {
    let frames = channels.first().map_or(0, |c| c.len());
    let block = ((BLOCK_S * sample_rate as f64).round() as usize).max(1);
    let step = (block / 4).max(1);
    // Mean square of the K-weighted signal per 100 ms quarter, then blocks of four quarters.
    let quarters = frames / step;
    let mut quarter_power = vec![0.0f64; quarters];
    for ch in channels {
        let mut k = KWeighting::new(sample_rate);
        for (q, power) in quarter_power.iter_mut().enumerate() {
            let sum: f64 = ch[q * step..(q + 1) * step]
                .iter()
                .map(|&x| {
                    let y = k.process(x as f64);
                    y * y
                })
                .sum();
            *power += sum / step as f64;
        }
    }
    let blocks = quarters.saturating_sub(3);
    let block_power: Vec<f64> = (0..blocks).map(|b| quarter_power[b..b + 4].iter().sum::<f64>() / 4.0).collect();
    let lufs = |p: f64| -0.691 + 10.0 * p.max(1e-300).log10();
    let mean_of = |keep: &dyn Fn(f64) -> bool| {
        let kept: Vec<f64> = block_power.iter().copied().filter(|&p| keep(p)).collect();
        (!kept.is_empty()).then(|| kept.iter().sum::<f64>() / kept.len() as f64)
    };
    let Some(absolute_mean) = mean_of(&|p| lufs(p) > ABSOLUTE_GATE_LUFS) else {
        return (None, vec![false; blocks], block, step);
    };
    let relative = lufs(absolute_mean) + RELATIVE_GATE_LU;
    let pass = |p: f64| lufs(p) > ABSOLUTE_GATE_LUFS && lufs(p) > relative;
    let integrated = mean_of(&pass).map(lufs);
    (integrated, block_power.iter().map(|&p| pass(p)).collect(), block, step)
}

/// Analyses a mono or stereo programme (more channels: the first two are used).
pub fn analyse(channels: &[&[f32]], sample_rate: f32) -> Analysis {
    let channels = &channels[..channels.len().min(2)];
    let (left, right) = match channels {
        [l, r] => (*l, *r),
        [m] => (*m, *m),
        _ => (&[][..], &[][..]),
    };
    let (integrated_lufs, passed, block, step) = gate(channels, sample_rate);
    let centres_hz = third_octave_centres();
    let bin_hz = sample_rate as f64 / FFT_LEN as f64;
    let band_bins: Vec<(usize, usize)> = centres_hz
        .iter()
        .map(|&c| {
            let (lo, hi) = band_edges(c);
            ((lo / bin_hz).ceil() as usize, ((hi / bin_hz).ceil() as usize).min(FFT_LEN / 2 + 1))
        })
        .collect();
    let window: Vec<f32> =
        (0..FFT_LEN).map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / FFT_LEN as f64).cos()) as f32).collect();
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT_LEN);
    let mut input = fft.make_input_vec();
    let mut mid_spec = fft.make_output_vec();
    let mut side_spec = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let bins = FFT_LEN / 2 + 1;
    let (mut mid_power, mut side_power) = (vec![0.0f64; bins], vec![0.0f64; bins]);
    let mut counted = 0usize;
    let (mut gated_energy, mut gated_samples) = (0.0f64, 0usize);
    let frames = left.len().min(right.len());
    let mut start = 0;
    while start + FFT_LEN <= frames {
        // The frame counts when every 400 ms block overlapping it passed the gates, so a frame
        // that runs into silence or a fade is left out whole.
        let first = (start + 1).saturating_sub(block).div_ceil(step);
        let last = ((start + FFT_LEN - 1) / step).min(passed.len().saturating_sub(1));
        if first <= last && (first..=last).all(|b| passed.get(b).copied().unwrap_or(false)) {
            for (spec, sign) in [(&mut mid_spec, 1.0f32), (&mut side_spec, -1.0)] {
                for i in 0..FFT_LEN {
                    input[i] = 0.5 * (left[start + i] + sign * right[start + i]) * window[i];
                }
                let _ = fft.process_with_scratch(&mut input, spec, &mut scratch);
            }
            for k in 0..bins {
                mid_power[k] += mid_spec[k].norm_sqr() as f64;
                side_power[k] += side_spec[k].norm_sqr() as f64;
            }
            counted += 1;
            for i in start..start + HOP {
                gated_energy += 0.5 * (left[i] as f64 * left[i] as f64 + right[i] as f64 * right[i] as f64);
            }
            gated_samples += HOP;
        }
        start += HOP;
    }
    // Scale so a full-scale sine reads −3 dB: Hann's power sum is 3/8·N, one-sided doubling.
    let scale = 2.0 / (counted.max(1) as f64 * FFT_LEN as f64 * FFT_LEN as f64 * 0.375);
    let sum_bins = |p: &[f64], (lo, hi): (usize, usize)| p[lo.min(hi)..hi].iter().sum::<f64>() * scale;
    let (mut band_db, mut side_mid_db) = (Vec::new(), Vec::new());
    let (mut low, mut wide) = ((0.0, 0.0), (0.0, 0.0));
    for (&c, &range) in centres_hz.iter().zip(&band_bins) {
        let (m, s) = (sum_bins(&mid_power, range), sum_bins(&side_power, range));
        // (L² + R²)/2 = M² + S² with M = (L+R)/2, S = (L−R)/2.
        band_db.push(db(m + s));
        side_mid_db.push((db(s) - db(m)).max(-120.0));
        if c <= LOW_MONO_HZ {
            low = (low.0 + m, low.1 + s);
        } else if c <= 14_000.0 {
            wide = (wide.0 + m, wide.1 + s);
        }
    }
    let peak = left.iter().chain(right).fold(0.0f32, |a, &x| a.max(x.abs())) as f64;
    let sample_peak_dbfs = 20.0 * peak.max(1e-9).log10();
    let crest_db = (gated_samples > 0).then(|| sample_peak_dbfs - db(gated_energy / gated_samples as f64));
    Analysis {
        sample_rate,
        centres_hz,
        band_db,
        side_mid_db,
        integrated_lufs,
        sample_peak_dbfs,
        plr_db: integrated_lufs.map(|l| sample_peak_dbfs - l),
        crest_db,
        low_side_mid_db: (db(low.1) - db(low.0)).max(-120.0),
        wide_side_mid_db: (db(wide.1) - db(wide.0)).max(-120.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, amp: f64, secs: f64, fs: f64) -> Vec<f32> {
        (0..(secs * fs) as usize).map(|i| (amp * (std::f64::consts::TAU * freq * i as f64 / fs).sin()) as f32).collect()
    }

    fn band_of(a: &Analysis, hz: f64) -> usize {
        a.centres_hz.iter().position(|&c| (c / hz).log2().abs() < 1.0 / 6.0).expect("band")
    }

    #[test]
    fn sine_lands_in_its_band_at_its_power() {
        let fs = 48_000.0;
        let x = sine(1000.0, 0.5, 5.0, fs);
        let a = analyse(&[&x, &x], fs as f32);
        let b = band_of(&a, 1000.0);
        // 0.5 amplitude: power 0.125 = −9.03 dB.
        assert!((a.band_db[b] - (-9.03)).abs() < 0.1, "{}", a.band_db[b]);
        assert!(a.band_db[b - 2] < -60.0 && a.band_db[b + 2] < -60.0);
        // In phase on both channels: no side; BS.1770 reads a −6 dBFS 1 kHz stereo sine at −6.0+..
        assert!(a.side_mid_db[b] < -100.0);
        let lufs = a.integrated_lufs.expect("loud enough");
        assert!((lufs - (-6.02 + 0.0)).abs() < 0.2, "{lufs}");
        assert!((a.plr_db.unwrap() - (-6.02 - lufs)).abs() < 0.01);
        assert!((a.crest_db.unwrap() - 3.01).abs() < 0.05, "{:?}", a.crest_db);
    }

    #[test]
    fn silence_and_quiet_fades_do_not_count() {
        let fs = 48_000.0;
        let mut x = vec![0.0f32; 48_000 * 4];
        x.extend(sine(500.0, 0.5, 6.0, fs));
        x.extend(sine(4000.0, 0.5e-3, 6.0, fs)); // −60 dB: far under the relative gate
        let loud = sine(500.0, 0.5, 6.0, fs);
        let with_silence = analyse(&[&x, &x], fs as f32);
        let alone = analyse(&[&loud, &loud], fs as f32);
        let b = band_of(&alone, 500.0);
        assert!(
            (with_silence.band_db[b] - alone.band_db[b]).abs() < 0.2,
            "{} {}",
            with_silence.band_db[b],
            alone.band_db[b]
        );
        assert!(with_silence.band_db[band_of(&alone, 4000.0)] < -100.0);
    }

    #[test]
    fn side_mid_follows_channel_difference() {
        let fs = 44_100.0;
        let l = sine(2000.0, 0.5, 4.0, fs);
        let r: Vec<f32> = l.iter().map(|v| v * 0.5).collect();
        let a = analyse(&[&l, &r], fs as f32);
        let b = band_of(&a, 2000.0);
        // M = 0.75 l, S = 0.25 l: −9.54 dB.
        assert!((a.side_mid_db[b] - (-9.54)).abs() < 0.05, "{}", a.side_mid_db[b]);
        let anti: Vec<f32> = l.iter().map(|v| -v).collect();
        assert!(analyse(&[&l, &anti], fs as f32).side_mid_db[b] > 100.0);
    }

    #[test]
    fn silence_has_no_loudness() {
        let z = vec![0.0f32; 96_000];
        let a = analyse(&[&z, &z], 48_000.0);
        assert!(a.integrated_lufs.is_none() && a.plr_db.is_none());
    }
}
