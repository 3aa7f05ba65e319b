"""Side-by-side throughput of Lacquer's default chain and JUCE's bare Limiter in one host.

pedalboard (Spotify's Python wrapper around JUCE) hosts the Lacquer VST3 bundle and runs its
own built-in `pedalboard.Limiter` (JUCE's dsp::Limiter: two compressors and a hard clip) on the
same stereo programme, block for block, alternating the two so load changes on a shared machine
hit both alike. Prints the median seconds per pass, the real-time multiples and the ratio
Lacquer / JUCE (>= 1.0 means Lacquer is at least as fast), plus each output's sample peak.

Run through `cargo xtask bench-juce` (builds the release bundle, makes a virtualenv with
pedalboard and numpy from PyPI, runs this), or by hand:
    python benches/juce/compare.py target/bundled/Lacquer.vst3
"""

import argparse
import statistics
import time

import numpy as np
import pedalboard

RATE = 48_000
BLOCK = 512


def programme(seconds: float) -> np.ndarray:
    """Sines plus noise, stereo, about -12 dBFS RMS: the criterion bench's kind of signal."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * RATE)) / RATE
    tones = 0.3 * np.sin(2 * np.pi * 55 * t) + 0.2 * np.sin(2 * np.pi * 440 * t)
    noise = rng.normal(0.0, 0.15, size=(2, t.size))
    x = tones[None, :] + noise
    x[1] *= 0.9
    return x.astype(np.float32)


CLOCKS = {"wall": time.perf_counter, "thread": time.thread_time}
clock = time.perf_counter


def run(plugin, audio: np.ndarray) -> float:
    plugin.reset()
    start = clock()
    out = plugin.process(audio, RATE, buffer_size=BLOCK, reset=False)
    elapsed = clock() - start
    run.last_peak = float(np.max(np.abs(out)))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vst3", help="path to Lacquer.vst3")
    parser.add_argument("--seconds", type=float, default=30.0, help="programme length")
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds (median)")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall clock, or the CPU time of this thread (both plugins process on it), which a "
        "busy machine disturbs less",
    )
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]

    audio = programme(args.seconds)
    lacquer = pedalboard.load_plugin(args.vst3)
    # Same job for both: a programme 6 dB hot into a -1 dB ceiling (Lacquer's ceiling is dBTP,
    # JUCE's threshold a sample-peak one). Lacquer runs at its defaults otherwise, so its input
    # and output loudness / true-peak meters run too; JUCE's Limiter is alone in its board.
    audio *= 2.0
    lacquer.ceiling_dbtp = -1.0
    gain = pedalboard.Pedalboard([pedalboard.Limiter(threshold_db=-1.0, release_ms=100.0)])

    times = {"lacquer": [], "juce": []}
    peaks = {}
    for name, plugin in (("lacquer", lacquer), ("juce", gain)):
        run(plugin, audio)  # warm-up
    for _ in range(args.rounds):
        for name, plugin in (("lacquer", lacquer), ("juce", gain)):
            times[name].append(run(plugin, audio))
            peaks[name] = run.last_peak

    for name in ("lacquer", "juce"):
        median = statistics.median(times[name])
        print(
            f"{name:8} median {median * 1000:8.1f} ms per {args.seconds:.0f} s pass "
            f"({args.seconds / median:7.0f}x real time), sample peak "
            f"{20 * np.log10(max(peaks[name], 1e-12)):6.2f} dBFS"
        )
    ratio = statistics.median(times["juce"]) / statistics.median(times["lacquer"])
    print(f"throughput ratio Lacquer / JUCE Limiter: {ratio:.2f}")


if __name__ == "__main__":
    main()
