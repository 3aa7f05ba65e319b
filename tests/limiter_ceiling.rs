//! Ceiling compliance of the true-peak limiter (issue: "the output never exceeds the ceiling that
//! applies at that sample"), checked with an independent 16x reconstruction.

mod common;

use common::{db, drums, sine, true_peak_16x, true_peak_4x, TestRng};
use lacquer::dsp::limiter::{Limiter, LimiterSettings, LimiterStyle, Oversampling};

const RATES: [f64; 5] = [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0];

struct Run {
    left: Vec<f32>,
    right: Vec<f32>,
    /// Linear ceiling in force for each output sample.
    ceiling: Vec<f64>,
    clips: u64,
}

/// Runs the limiter with random block sizes (1..=8192), setting the ceiling sample-accurately
/// from `ceiling_db(input_index)` by splitting blocks where it changes, as a host would.
fn run(
    fs: f64,
    settings: LimiterSettings,
    left: &[f32],
    right: &[f32],
    ceiling_db: &dyn Fn(usize) -> f32,
    seed: u64,
) -> Run {
    let mut lim = Limiter::new(fs as f32);
    let mut s = settings;
    s.ceiling_db = ceiling_db(0);
    lim.set(&s);
    lim.reset();
    let latency = lim.latency_samples();
    let n = left.len();
    // Pad with silence so the delayed tail comes out.
    let total = n + latency;
    let mut l: Vec<f32> = left.iter().cloned().chain(std::iter::repeat_n(0.0, latency)).collect();
    let mut r: Vec<f32> = right.iter().cloned().chain(std::iter::repeat_n(0.0, latency)).collect();
    let mut rng = TestRng(seed);
    let mut pos = 0;
    while pos < total {
        let mut len = 1 + rng.below(8192);
        len = len.min(total - pos);
        // Split at ceiling changes (sample-accurate automation).
        let c0 = ceiling_db(pos);
        if let Some(k) = (1..len).find(|&k| ceiling_db(pos + k) != c0) {
            len = k;
        }
        s.ceiling_db = c0;
        lim.set(&s);
        lim.process(&mut l[pos..pos + len], &mut r[pos..pos + len]);
        pos += len;
    }
    let ceiling = (0..total).map(|i| 10f64.powf(ceiling_db(i.saturating_sub(latency)) as f64 / 20.0)).collect();
    Run { left: l, right: r, ceiling, clips: lim.safety_clip_count() }
}

/// True peak as read by libebur128's BS.1770 4x meter (the `ebur128` crate, a port of it), the
/// reading ffmpeg's `ebur128=peak=true` gives; linear, max over both channels.
fn bs1770_meter_true_peak(fs: f64, run: &Run) -> f64 {
    let mut meter = ebur128::EbuR128::new(2, fs as u32, ebur128::Mode::TRUE_PEAK).unwrap();
    let interleaved: Vec<f32> = run.left.iter().zip(&run.right).flat_map(|(&l, &r)| [l, r]).collect();
    meter.add_frames_f32(&interleaved).unwrap();
    meter.true_peak(0).unwrap().max(meter.true_peak(1).unwrap())
}

/// Asserts the sample-peak bound (exact) and the 16x true-peak bound (+0.1 dB) at every sample.
fn check(run: &Run, label: &str) -> f64 {
    let mut worst_tp_over_db = f64::NEG_INFINITY;
    for (ch, out) in [&run.left, &run.right].into_iter().enumerate() {
        for (i, &y) in out.iter().enumerate() {
            assert!(y.is_finite(), "{label} ch{ch}: non-finite at {i}");
            // f32 rounding of the ceiling itself is the only slack allowed.
            assert!(
                (y.abs() as f64) <= run.ceiling[i] * (1.0 + 1e-6),
                "{label} ch{ch}: sample {i} = {y} over ceiling {}",
                run.ceiling[i]
            );
        }
        let tp = true_peak_16x(out);
        for (i, &p) in tp.iter().enumerate() {
            let lo = i.saturating_sub(16);
            let hi = (i + 16).min(tp.len() - 1);
            let allowed = run.ceiling[lo..=hi].iter().cloned().fold(0.0, f64::max);
            let over = db(p as f64) - db(allowed);
            worst_tp_over_db = worst_tp_over_db.max(over);
            if std::env::var("LACQUER_SURVEY").is_err() {
                assert!(over <= 0.1, "{label} ch{ch}: true peak {:.3} dB over the ceiling at {i}", over);
            }
        }
    }
    worst_tp_over_db
}

fn square(freq: f64, fs: f64, n: usize) -> Vec<f32> {
    (0..n).map(|i| if ((i as f64 * freq / fs).fract()) < 0.5 { 1.0 } else { -1.0 }).collect()
}

fn signals(fs: f64) -> Vec<(&'static str, Vec<f32>, Vec<f32>, f32)> {
    let n = (fs * 0.4) as usize;
    let mut rng = TestRng(42);
    let noise: Vec<f32> = (0..n).map(|_| rng.uniform() as f32).collect();
    let noise_r: Vec<f32> = (0..n).map(|_| rng.uniform() as f32).collect();
    let mut spikes = sine(55.0, fs, 0.5, 0.0, n);
    for i in (n / 7..n).step_by(n / 5) {
        spikes[i] = 1.0;
    }
    let dc: Vec<f32> = (0..n).map(|i| if i > n / 4 && i < 3 * n / 4 { 1.0 } else { 0.0 }).collect();
    let hot = drums(fs, 0.4, 7);
    vec![
        ("square", square(997.0, fs, n), square(997.0, fs, n), 6.0),
        (
            "fs/4 at 45 deg",
            sine(fs / 4.0, fs, 1.0, std::f64::consts::FRAC_PI_4, n),
            sine(fs / 4.0, fs, 1.0, 0.0, n),
            0.0,
        ),
        ("0.45 fs sine", sine(0.45 * fs, fs, 1.0, 0.3, n), sine(0.45 * fs, fs, 1.0, 1.1, n), 3.0),
        ("19 kHz sine", sine(19_000.0, fs, 1.0, 0.7, n), sine(19_000.0, fs, 0.7, 0.2, n), 6.0),
        ("bass with spikes", spikes.clone(), spikes, 6.0),
        ("dc step", dc.clone(), dc, 3.0),
        ("hot drums +24 dB", hot.clone(), hot, 24.0),
        ("noise", noise, noise_r, 12.0),
    ]
}

/// Every signal at every rate, in every limiter style (the styles differ in their release, and
/// the ceiling must not depend on it).
#[test]
fn ceiling_holds_for_hard_signals_at_every_rate() {
    for style in LimiterStyle::ALL {
        for &fs in &RATES {
            for (name, l, r, drive) in signals(fs) {
                if std::env::var("LACQUER_ONLY").is_ok_and(|o| !name.contains(&o)) {
                    continue;
                }
                let settings = LimiterSettings { drive_db: drive, style, ..LimiterSettings::default() };
                let out = run(fs, settings, &l, &r, &|_| -1.0, fs as u64 + drive as u64);
                let label = format!("{name} @ {fs} {style:?}");
                let worst = check(&out, &label);
                // libebur128 switches to sample peak at >= 192 kHz, where this says nothing new.
                if fs < 192_000.0 {
                    let meter = db(bs1770_meter_true_peak(fs, &out));
                    assert!(meter <= -1.0, "{label}: BS.1770 4x meter reads {meter:.3} dBTP over -1.0");
                }
                println!("{label:>32}: worst 16x true peak vs ceiling {worst:+.3} dB, safety clips {}", out.clips);
            }
        }
    }
}

/// Switching the style mid-stream (every block, random block sizes, while limiting drums and
/// noise 18 dB into the ceiling) keeps the ceiling, and leaves the last-resort clip idle on
/// the drums.
#[test]
fn style_switches_while_limiting_keep_the_ceiling() {
    for &fs in &[44_100.0, 48_000.0] {
        let mut rng = TestRng(fs as u64);
        let drums_l = drums(fs, 1.5, 41);
        let drums_r: Vec<f32> = drums(fs, 1.5, 42).iter().map(|v| 0.7 * v).collect();
        let noise: Vec<f32> = (0..drums_l.len()).map(|_| rng.uniform() as f32).collect();
        for (name, l_in, r_in) in [("drums", &drums_l, &drums_r), ("noise", &noise, &noise)] {
            let mut lim = Limiter::new(fs as f32);
            let mut s = LimiterSettings { drive_db: 18.0, ..LimiterSettings::default() };
            lim.set(&s);
            lim.reset();
            let latency = lim.latency_samples();
            let pad = |x: &[f32]| x.iter().cloned().chain(std::iter::repeat_n(0.0, latency)).collect::<Vec<f32>>();
            let (mut l, mut r) = (pad(l_in), pad(r_in));
            let mut pos = 0;
            let mut k = 0;
            while pos < l.len() {
                let len = (1 + rng.below(700)).min(l.len() - pos);
                s.style = LimiterStyle::ALL[k % 4];
                lim.set(&s);
                lim.process(&mut l[pos..pos + len], &mut r[pos..pos + len]);
                pos += len;
                k += 1;
            }
            let n = l.len();
            let out =
                Run { left: l, right: r, ceiling: vec![10f64.powf(-1.0 / 20.0); n], clips: lim.safety_clip_count() };
            let worst = check(&out, &format!("style switches, {name} @ {fs}"));
            let meter = db(bs1770_meter_true_peak(fs, &out));
            println!("style switches, {name} @ {fs}: worst 16x {worst:+.3} dB, BS.1770 {meter:.3} dBTP");
            assert!(meter <= -1.0, "style switches, {name} @ {fs}: BS.1770 4x meter reads {meter:.3} dBTP");
            if name == "drums" {
                assert_eq!(out.clips, 0, "the last-resort clip acted on drums while the style switched");
            }
        }
    }
}

/// A style switch changes only the release envelopes' coefficients, never the gain itself, so
/// it cannot click. Drive: a 1 kHz tone in 8 ms bursts 12 dB over the ceiling, alternating with
/// 40 ms at 3 dB over, the style switching every 500 samples (about every 10 ms, so switches
/// land during attacks, holds and releases alike). Bound: the tone's own slope plus the driven
/// peak times twice the average gain slope of the S-shaped attack (the whole gain change, at
/// most 1, spread over the 1.5 ms lookahead), as in `ceiling_steps_are_click_free`; a gain
/// discontinuity of 1 dB would alone step by about 0.2 at these levels.
#[test]
fn style_switches_are_click_free() {
    let fs = 48_000.0;
    let freq = 1000.0;
    let n = 96_000;
    let (loud, soft) = (2.0f64, 10f64.powf(2.0 / 20.0));
    let tone: Vec<f32> = (0..n)
        .map(|i| {
            let a = if (i % 2304) < 384 { loud } else { soft };
            (a * (2.0 * std::f64::consts::PI * freq * i as f64 / fs).sin()) as f32
        })
        .collect();
    let mut lim = Limiter::new(fs as f32);
    let mut s = LimiterSettings::default();
    lim.set(&s);
    lim.reset();
    let (mut l, mut r) = (tone.clone(), tone.clone());
    for (k, (cl, cr)) in l.chunks_mut(500).zip(r.chunks_mut(500)).enumerate() {
        s.style = LimiterStyle::ALL[k % 4];
        lim.set(&s);
        lim.process(cl, cr);
    }
    let attack = (1.5e-3 * fs).round();
    let bound = 2.0 * std::f64::consts::PI * freq / fs + loud * 2.0 / attack;
    let worst = l.windows(2).map(|w| (w[1] - w[0]).abs() as f64).fold(0.0, f64::max);
    println!("style switches: worst sample step {worst:.4} (bound {bound:.4})");
    assert!(worst <= bound, "click: step {worst} > {bound}");
}

#[test]
fn ceiling_holds_with_every_oversampling_ratio() {
    let fs = 44_100.0;
    for os in [Oversampling::X1, Oversampling::X2, Oversampling::X4, Oversampling::X8] {
        for (name, l, r, drive) in signals(fs) {
            let settings = LimiterSettings { drive_db: drive, oversampling: os, ..LimiterSettings::default() };
            let out = run(fs, settings, &l, &r, &|_| -0.3, 99);
            check(&out, &format!("{name} {os:?}"));
        }
    }
}

/// A full-scale ±1 alternation switched on abruptly is a Nyquist tone with a hard onset: its
/// ideal reconstruction grows without bound with the length of the reconstruction kernel (the
/// sum of 1/(k + 1/2)), so "true peak" depends on the meter. The sample-peak bound still holds
/// exactly and the output stays finite.
#[test]
fn nyquist_alternation_respects_the_sample_peak_bound() {
    for &fs in &RATES {
        let n = (fs * 0.2) as usize;
        let alt: Vec<f32> = (0..n).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let out = run(fs, LimiterSettings { drive_db: 6.0, ..LimiterSettings::default() }, &alt, &alt, &|_| -1.0, 3);
        let ceiling = 10f64.powf(-1.0 / 20.0);
        for &y in out.left.iter().chain(&out.right) {
            assert!(y.is_finite() && (y.abs() as f64) <= ceiling * (1.0 + 1e-6));
        }
    }
}

#[test]
fn ceiling_steps_and_ramps_are_honoured_sample_accurately() {
    let fs = 48_000.0;
    let music = drums(fs, 1.0, 3);
    // Steps 0 -> -12 -> -2 dB at sample-exact section boundaries, then a ramp, then a fast zigzag.
    let schedule = move |i: usize| -> f32 {
        match i {
            _ if i < 10_000 => 0.0,
            _ if i < 20_001 => -12.0,
            _ if i < 30_000 => -2.0,
            _ if i < 40_000 => -2.0 - 10.0 * (i - 30_000) as f32 / 10_000.0,
            _ => {
                if (i / 97).is_multiple_of(2) {
                    -1.0
                } else {
                    -9.5
                }
            }
        }
    };
    for (drive, seed) in [(12.0, 1u64), (24.0, 2)] {
        let settings = LimiterSettings { drive_db: drive, ..LimiterSettings::default() };
        let out = run(fs, settings, &music, &music, &schedule, seed);
        let worst = check(&out, &format!("ceiling automation, drive {drive}"));
        println!("ceiling automation drive {drive}: worst {worst:+.3} dB, clips {}", out.clips);
    }
}

/// Ceiling steps on a steady tone 12 dB into the limiter. A rise (-12 -> -2 dB) travels with
/// the audio and is a ramp, not a click: every sample-to-sample change stays within what the
/// tone itself moves plus the gain ramp the lookahead allows (the whole gain change spread over
/// the 1.5 ms attack, at most twice its average slope for the S-shaped double box). A fall
/// (0 -> -12 dB) applies at once to the samples already inside the limiter, so the output
/// steps where the automation point arrives (input index 10 000, here delivered with the
/// input): the samples before it sit at the old ceiling, every sample from it on is under the
/// new one, and the one step there is the user's own step (at most the ceiling difference plus
/// the bound above). Everywhere else the bound above holds.
#[test]
fn ceiling_steps_are_click_free() {
    let fs = 48_000.0;
    let n = 40_000;
    let freq = 1000.0;
    let tone = sine(freq, fs, 0.5, 0.0, n);
    let drive_db = 12.0f32;
    let fall_at = 10_000;
    let schedule = |i: usize| -> f32 {
        match i {
            _ if i < fall_at => 0.0,
            _ if i < 20_001 => -12.0,
            _ => -2.0,
        }
    };
    let settings = LimiterSettings { drive_db, ..LimiterSettings::default() };
    let out = run(fs, settings, &tone, &tone, &schedule, 8);
    let driven_peak = 0.5 * 10f64.powf(drive_db as f64 / 20.0);
    let attack = (1.5e-3 * fs).round();
    let max_gain_slope = 2.0 * 1.0 / attack; // the gain moves by at most 1 in total
    let tone_slope = 1.0 * 2.0 * std::f64::consts::PI * freq / fs; // ceiling <= 0 dBFS
    let bound = tone_slope + driven_peak * max_gain_slope;
    let (old, new) = (1.0f64, 10f64.powf(-12.0 / 20.0));
    let mut worst = 0.0f64;
    for (i, w) in out.left.windows(2).enumerate() {
        let step = (w[1] - w[0]).abs() as f64;
        if i + 1 == fall_at {
            assert!(step <= bound + (old - new), "fall: step {step} > {}", bound + (old - new));
        } else {
            worst = worst.max(step);
        }
    }
    println!("ceiling steps: worst sample step {worst:.4} (bound {bound:.4}) away from the fall");
    assert!(worst <= bound, "click: step {worst} > {bound}");
    // The fall lands at the point it arrived: the last tone cycle before it at the old ceiling
    // (true-peak limited, within 0.3 dB), everything from it on under the new one.
    let cycle = (fs / freq) as usize;
    let before = out.left[fall_at - cycle..fall_at].iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
    assert!(db(before) >= db(old) - 0.3, "before the fall the tone peaks at {:.2} dBFS", db(before));
    let after = out.left[fall_at..20_001].iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
    assert!(after <= new * (1.0 + 1e-6), "after the fall the tone peaks at {:.2} dBFS", db(after));
}

/// A falling ramp of the ceiling (0 -> -12 dB over 10 000 samples, then a rising one) on the
/// same tone stays click-free: each catch-up of the samples inside moves the gain by what the
/// ramp moved since the last one (at most 128 frames, 0.15 dB here), far inside the bound.
#[test]
fn ceiling_ramps_are_click_free() {
    let fs = 48_000.0;
    let n = 40_000;
    let freq = 1000.0;
    let tone = sine(freq, fs, 0.5, 0.0, n);
    let drive_db = 12.0f32;
    let schedule = |i: usize| -> f32 {
        match i {
            _ if i < 5_000 => 0.0,
            _ if i < 15_000 => -12.0 * (i - 5_000) as f32 / 10_000.0,
            _ if i < 25_000 => -12.0,
            _ if i < 35_000 => -12.0 + 12.0 * (i - 25_000) as f32 / 10_000.0,
            _ => 0.0,
        }
    };
    let settings = LimiterSettings { drive_db, ..LimiterSettings::default() };
    let out = run(fs, settings, &tone, &tone, &schedule, 12);
    check(&out, "ceiling ramps");
    let driven_peak = 0.5 * 10f64.powf(drive_db as f64 / 20.0);
    let attack = (1.5e-3 * fs).round();
    let bound = 2.0 * std::f64::consts::PI * freq / fs + driven_peak * 2.0 / attack;
    let worst = out.left.windows(2).map(|w| (w[1] - w[0]).abs() as f64).fold(0.0, f64::max);
    println!("ceiling ramps: worst sample step {worst:.4} (bound {bound:.4})");
    assert!(worst <= bound, "click: step {worst} > {bound}");
}

/// Which side of the plugin's latency a host delivers the ceiling automation on.
#[derive(Debug, Clone, Copy)]
enum Convention {
    /// With the input: the automation point enters with the audio at it (the CLI, most hosts).
    AtInput,
    /// At the plugin's output time (Ardour): the point arrives when the audio at it is about to
    /// leave, one latency after that audio entered.
    AtOutput,
}

/// Loud programme: a 1 kHz tone at -6 dBFS with noise bursts (sharp attacks, 25 ms) every
/// 100 ms and one straddling each section boundary in `boundaries`.
fn tone_and_bursts(fs: f64, n: usize, boundaries: &[usize], seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = TestRng(seed);
    let burst = (0.025 * fs) as usize;
    let (period, onset) = ((0.1 * fs) as usize, (0.06 * fs) as usize);
    let in_burst = |i: usize| {
        (onset..onset + burst).contains(&(i % period))
            || boundaries.iter().any(|&b| i + burst / 4 >= b && i < b + burst)
    };
    let tone = sine(1000.0, fs, 0.5, 0.0, n);
    let mut ch = |k: f32| -> Vec<f32> {
        (0..n).map(|i| k * tone[i] + if in_burst(i) { (rng.uniform() * 0.9) as f32 } else { 0.0 }).collect()
    };
    (ch(1.0), ch(0.8))
}

/// A ceiling schedule on the host's timeline, delivered by either convention, on loud
/// material 12 dB into the limiter: on the timeline-aligned output (latency trimmed), every
/// section is under its own ceiling from its first sample (sample peak exactly, at every
/// sample; the independent 4x meter per interval within two latencies of each boundary, where
/// the automation handling acts; the 16x reference within the 0.1 dB the rest of this file
/// allows, everywhere) and each section reaches within 0.3 dB of its ceiling. The 4x reading
/// away from the boundaries is the limiter's steady-state compliance (`limiter_meters.rs`);
/// it is printed here, not asserted. A fall
/// at output time is met at the automation point; at input time up to one latency early; a
/// rise either travels with the audio (input time) or starts up to one latency late.
#[test]
fn ceiling_falls_reach_the_samples_already_inside() {
    for &fs in &[44_100.0, 48_000.0, 96_000.0] {
        let sec = (0.4 * fs) as usize;
        // -1 -> -9 (fall) -> -3 (rise) -> -3.5 (small fall) -> -12 (fall) dBTP.
        let ceilings = [-1.0f32, -9.0, -3.0, -3.5, -12.0];
        let n = sec * ceilings.len();
        let boundaries: Vec<usize> = (1..ceilings.len()).map(|k| k * sec).collect();
        let timeline = |t: usize| ceilings[(t / sec).min(ceilings.len() - 1)];
        let (l, r) = tone_and_bursts(fs, n, &boundaries, fs as u64);
        let latency = Limiter::new(fs as f32).latency_samples();
        for convention in [Convention::AtInput, Convention::AtOutput] {
            let delivered = |p: usize| match convention {
                Convention::AtInput => timeline(p),
                Convention::AtOutput => timeline(p.saturating_sub(latency)),
            };
            let settings = LimiterSettings { drive_db: 12.0, ..LimiterSettings::default() };
            let out = run(fs, settings, &l, &r, &delivered, 77);
            let label = format!("{fs} Hz {convention:?}");
            let (mut worst_sample, mut worst_16x) = (f64::MIN, f64::MIN);
            let (mut worst_4x, mut worst_4x_elsewhere) = (f64::MIN, f64::MIN);
            let mut section_peak = vec![0.0f64; ceilings.len()];
            for ch in [&out.left, &out.right] {
                let y = &ch[latency..latency + n];
                let (tp4, tp16) = (true_peak_4x(y), true_peak_16x(y));
                for t in 0..n {
                    let c = timeline(t) as f64;
                    let s = db(y[t].abs() as f64) - c;
                    assert!(
                        y[t].abs() as f64 <= 10f64.powf(c / 20.0) * (1.0 + 1e-6),
                        "{label}: sample at timeline {t} is {s:+.3} dB over its section's ceiling {c}"
                    );
                    worst_sample = worst_sample.max(s);
                    let near_boundary = boundaries.iter().any(|&b| t + 2 * latency >= b && t < b + 2 * latency);
                    let over_4x = db(tp4[t] as f64) - c;
                    if near_boundary {
                        worst_4x = worst_4x.max(over_4x);
                    } else {
                        worst_4x_elsewhere = worst_4x_elsewhere.max(over_4x);
                    }
                    worst_16x = worst_16x.max(db(tp16[t] as f64) - c);
                    let k = t / sec;
                    section_peak[k] = section_peak[k].max(tp4[t] as f64);
                }
            }
            let sits: Vec<String> =
                section_peak.iter().zip(ceilings).map(|(&p, c)| format!("{:+.2}", db(p) - c as f64)).collect();
            println!(
                "{label}: worst vs section ceiling: sample {worst_sample:+.3} dB, 4x {worst_4x:+.3} dB within \
                 two latencies of a boundary ({worst_4x_elsewhere:+.4} dB elsewhere), 16x {worst_16x:+.3} dB; \
                 section 4x peaks vs ceiling {}",
                sits.join(" ")
            );
            assert!(worst_4x <= 0.0, "{label}: the 4x meter reads {worst_4x:+.3} dB over a section's ceiling");
            assert!(
                worst_4x_elsewhere <= 0.0,
                "{label}: away from the boundaries the 4x meter reads {worst_4x_elsewhere:+.4} dB over the ceiling"
            );
            assert!(worst_16x <= 0.1, "{label}: the 16x reference reads {worst_16x:+.3} dB over a section's ceiling");
            for (k, (&p, c)) in section_peak.iter().zip(ceilings).enumerate() {
                assert!(db(p) >= c as f64 - 0.3, "{label}: section {k} peaks at {:.2}, ceiling {c}", db(p));
            }
        }
    }
}

#[test]
fn safety_clip_stays_idle_on_music_like_material() {
    for &fs in &[44_100.0, 48_000.0, 96_000.0] {
        let hot = drums(fs, 2.0, 11);
        let settings = LimiterSettings { drive_db: 18.0, ..LimiterSettings::default() };
        let out = run(fs, settings, &hot, &hot, &|_| -1.0, 5);
        check(&out, "drums");
        assert_eq!(out.clips, 0, "the last-resort clip acted on drums at {fs}");
    }
}

#[test]
fn impulse_comes_out_exactly_latency_samples_later() {
    for &fs in &RATES {
        for lookahead_ms in [0.5, 1.5, 5.0] {
            for os in [Oversampling::X1, Oversampling::X2, Oversampling::X4, Oversampling::X8] {
                let mut lim = Limiter::new(fs as f32);
                let settings = LimiterSettings { lookahead_ms, oversampling: os, ..LimiterSettings::default() };
                lim.set(&settings);
                lim.reset();
                let latency = lim.latency_samples();
                let n = latency + 100;
                let mut l = vec![0.0f32; n];
                l[10] = 0.5; // below the ceiling: passes untouched
                let mut r = l.clone();
                lim.process(&mut l, &mut r);
                let at = l.iter().position(|&v| v != 0.0).expect("impulse came out");
                assert_eq!(at, 10 + latency, "fs {fs} lookahead {lookahead_ms} {os:?}");
                assert_eq!(l[at], 0.5);
            }
        }
    }
}

#[test]
fn latency_is_the_same_for_every_setting() {
    let reference = Limiter::new(48_000.0).latency_samples();
    for lookahead_ms in [0.5, 2.0, 5.0] {
        for os in [Oversampling::X1, Oversampling::X8] {
            let mut lim = Limiter::new(48_000.0);
            lim.set(&LimiterSettings { lookahead_ms, oversampling: os, ..LimiterSettings::default() });
            assert_eq!(lim.latency_samples(), reference);
        }
    }
}

#[test]
fn below_threshold_is_a_pure_delay() {
    for os in [Oversampling::X1, Oversampling::X4] {
        let fs = 44_100.0;
        let mut lim = Limiter::new(fs as f32);
        lim.set(&LimiterSettings { oversampling: os, ..LimiterSettings::default() });
        lim.reset();
        let latency = lim.latency_samples();
        let n = 20_000;
        let mut rng = TestRng(9);
        // Band-limited-ish programme well below the ceiling (peaks under -8 dBFS, true peak too).
        let input: Vec<f32> = (0..n)
            .map(|i| (0.2 * (i as f64 * 0.05).sin() + 0.1 * (i as f64 * 0.31).sin() + 0.05 * rng.uniform()) as f32)
            .collect();
        let mut l = input.clone();
        let mut r = input.clone();
        lim.process(&mut l, &mut r);
        for i in latency..n {
            assert!((l[i] - input[i - latency]).abs() <= 1e-6, "{os:?} at {i}");
        }
    }
}

#[test]
fn manual_release_recovers_63_percent_within_ten_percent_of_the_setting() {
    let fs = 48_000.0;
    for release_ms in [50.0f32, 200.0, 800.0] {
        let mut lim = Limiter::new(fs as f32);
        lim.set(&LimiterSettings { release_ms, auto_release: false, ceiling_db: -6.0, ..LimiterSettings::default() });
        lim.reset();
        let latency = lim.latency_samples();
        // 0.5 s of a tone 6 dB over the ceiling, then a quiet probe tone to read the gain by.
        let n = (fs * 4.0) as usize;
        let loud_end = (fs * 0.5) as usize;
        let input: Vec<f32> = (0..n)
            .map(|i| {
                let a = if i < loud_end { 1.0 } else { 0.01 };
                (a * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / fs).sin()) as f32
            })
            .collect();
        let mut l = input.clone();
        let mut r = input.clone();
        lim.process(&mut l, &mut r);
        // Gain per sample from output/input at the probe tone's crests.
        let gain_db_at = |i: usize| -> Option<f64> {
            let x = input[i - latency] as f64;
            (x.abs() > 0.009).then(|| db(l[i] as f64 / x))
        };
        let steady = gain_db_at(latency + loud_end - 200).unwrap();
        assert!(steady < -5.0, "limiting depth {steady}");
        // Recovery starts once the hold after the last loud sample has passed.
        let start = latency + loud_end;
        let target = steady * (-1.0f64).exp();
        let t63 = (start..n).find(|&i| gain_db_at(i).is_some_and(|g| g >= target)).unwrap() - start;
        let ms = t63 as f64 / fs * 1000.0;
        let lookahead_ms = 1.5 + 0.1; // hold + smoothing delay the start by about the lookahead
        assert!(
            (ms - lookahead_ms - release_ms as f64).abs() <= 0.1 * release_ms as f64,
            "release {release_ms}: {ms:.1} ms"
        );
    }
}

#[test]
fn auto_release_is_faster_after_short_peaks_than_after_sustained_limiting() {
    let fs = 48_000.0;
    let recovery_ms = |loud_ms: f64| -> f64 {
        let mut lim = Limiter::new(fs as f32);
        lim.set(&LimiterSettings {
            release_ms: 300.0,
            auto_release: true,
            ceiling_db: -6.0,
            ..LimiterSettings::default()
        });
        lim.reset();
        let latency = lim.latency_samples();
        let n = (fs * 3.0) as usize;
        let loud_end = (fs * loud_ms / 1000.0) as usize + 1000;
        let input: Vec<f32> = (0..n)
            .map(|i| {
                let a = if i >= 1000 && i < loud_end { 1.0 } else { 0.01 };
                (a * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / fs).sin()) as f32
            })
            .collect();
        let mut l = input.clone();
        let mut r = input.clone();
        lim.process(&mut l, &mut r);
        let gain = |i: usize| {
            let x = input[i - latency] as f64;
            (x.abs() > 0.009).then(|| db(l[i] as f64 / x))
        };
        let start = latency + loud_end;
        // Time to come back within 1 dB of unity.
        let back = (start..n).find(|&i| gain(i).is_some_and(|g| g > -1.0)).unwrap_or(n);
        (back - start) as f64 / fs * 1000.0
    };
    let short = recovery_ms(5.0);
    let sustained = recovery_ms(1500.0);
    println!("auto release: after 5 ms peak {short:.0} ms, after 1.5 s {sustained:.0} ms");
    assert!(short < 0.5 * sustained, "short {short} sustained {sustained}");
}

#[test]
fn lookahead_change_while_limiting_produces_no_over() {
    let fs = 48_000.0;
    let music = drums(fs, 1.0, 21);
    let mut lim = Limiter::new(fs as f32);
    let mut s = LimiterSettings { drive_db: 18.0, ..LimiterSettings::default() };
    lim.set(&s);
    lim.reset();
    let ceiling = 10f32.powf(-1.0 / 20.0);
    let mut l = music.clone();
    let mut r = music.clone();
    for (k, (cl, cr)) in l.chunks_mut(512).zip(r.chunks_mut(512)).enumerate() {
        s.lookahead_ms = [0.5, 5.0, 1.5, 3.0][k % 4];
        s.oversampling = [Oversampling::X4, Oversampling::X8, Oversampling::X2][k % 3];
        lim.set(&s);
        lim.process(cl, cr);
    }
    for &y in l.iter().chain(&r) {
        assert!(y.abs() <= ceiling * (1.0 + 1e-6));
    }
}

#[test]
fn stereo_link_changes_while_limiting_keep_the_ceiling() {
    let fs = 48_000.0;
    let l_in = drums(fs, 1.0, 31);
    let r_in: Vec<f32> = drums(fs, 1.0, 32).iter().map(|v| v * 0.5).collect();
    let mut lim = Limiter::new(fs as f32);
    let mut s = LimiterSettings { drive_db: 18.0, ..LimiterSettings::default() };
    lim.set(&s);
    lim.reset();
    let (mut l, mut r) = (l_in.clone(), r_in.clone());
    for (k, (cl, cr)) in l.chunks_mut(777).zip(r.chunks_mut(777)).enumerate() {
        s.link_pct = [100.0, 0.0, 50.0, 100.0, 100.0, 30.0][k % 6];
        lim.set(&s);
        lim.process(cl, cr);
    }
    let out = Run { left: l, right: r, ceiling: vec![10f64.powf(-0.05); l_in.len()], clips: lim.safety_clip_count() };
    check(&out, "link changes");
    assert_eq!(out.clips, 0);
}

/// libebur128's 4x points of interval n (phases 1/4, 2/4, 3/4), from the meter's definition: a
/// 48-tap Hann-windowed sinc with zeros at multiples of 4, tap j weighing x[n + 6 - k] for
/// j = 4k + p + 1 (for the diagnosis only).
fn libebur128_points(x: &[f32], n: usize) -> [f64; 3] {
    std::array::from_fn(|p| {
        (0..12)
            .map(|k| {
                let j = 4 * k + p + 1;
                let w = 0.5 * (1.0 - (2.0 * std::f64::consts::PI * j as f64 / 48.0).cos());
                let m = j as f64 - 24.0;
                let c = if m == 0.0 {
                    w
                } else {
                    w * (m * std::f64::consts::PI / 4.0).sin() / (m * std::f64::consts::PI / 4.0)
                };
                let idx = n as isize + 6 - k as isize;
                if idx >= 0 && (idx as usize) < x.len() {
                    c * x[idx as usize] as f64
                } else {
                    0.0
                }
            })
            .sum::<f64>()
            .abs()
    })
}

/// Diagnosis (`--ignored --nocapture`): at the worst points of the independent 4x meter on the
/// tone-and-bursts programme, that meter's reading against the 16x reference, libebur128's
/// points and an ideal reconstruction (the 4x points and the 64x peak of the interval).
#[test]
#[ignore]
fn diagnose_the_4x_meter_on_tone_and_bursts() {
    for &fs in &[44_100.0, 48_000.0] {
        let sec = (0.4 * fs) as usize;
        let n = sec * 5;
        let (l, r) = tone_and_bursts(fs, n, &[sec, 2 * sec, 3 * sec, 4 * sec], fs as u64);
        let settings = LimiterSettings { drive_db: 12.0, ..LimiterSettings::default() };
        let out = run(fs, settings, &l, &r, &|_| -1.0, 77);
        for (ch, y) in [&out.left, &out.right].into_iter().enumerate() {
            let (tp4, tp16) = (true_peak_4x(y), true_peak_16x(y));
            let mut order: Vec<usize> = (0..y.len()).collect();
            order.sort_by(|&a, &b| tp4[b].total_cmp(&tp4[a]));
            for &i in order.iter().take(4) {
                let ideal4 = [0.25, 0.5, 0.75].map(|f| common::ideal_at(y, i, f).abs());
                let ideal64 = (0..64).map(|k| common::ideal_at(y, i, k as f64 / 64.0).abs()).fold(0.0, f64::max);
                let eb = libebur128_points(y, i);
                let eb = eb
                    .iter()
                    .cloned()
                    .fold((y[i].abs() as f64).max(y[(i + 1).min(y.len() - 1)].abs() as f64), f64::max);
                println!(
                    "{fs} ch{ch} at {i}: kaiser 4x {:+.4}  16x {:+.4}  libebur128 {:+.4}  ideal 4x points {:+.4}  ideal 64x {:+.4} dB re -1",
                    db(tp4[i] as f64) + 1.0,
                    db(tp16[i] as f64) + 1.0,
                    db(eb) + 1.0,
                    db(ideal4.iter().cloned().fold(0.0, f64::max)) + 1.0,
                    db(ideal64) + 1.0
                );
            }
        }
    }
}
