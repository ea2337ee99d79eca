"""Benchmark of fdmlearn.filters: throughput of the filter CNN, and whether it can be learned.

1. Throughput: images per second for sepia + 5x5 Gaussian blur ("valid") on one
   batch of 1,000 real-photo crops of 128x128x3, by the CNN (full Conv2D layer 2,
   and DepthwiseConv2D layer 2), by the NumPy reference and by scipy.ndimage, in
   one run, interleaved, each repeated. All four outputs are checked to agree.
2. Learnability: `fit_filter_cnn` from random weights, on clean photo crops and on
   noisy, centred photo crops, for both forms of layer 2.

Run from benchmarks/:  ../.venv/bin/python filters.py   (--quick for a smoke run
that writes nothing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from _record import Recorder

from fdmlearn import filters


def scipy_filter(images: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    sep = images @ filters.SEPIA.T.astype(images.dtype)
    r = kernel.shape[0] // 2
    # One call over the whole batch: the kernel is 1 along the batch and channel axes.
    blurred = ndimage.correlate(sep, kernel[None, :, :, None].astype(images.dtype), mode="constant")
    return blurred[:, r:-r, r:-r]


def throughput(n_images: int, repeats: int, batch_size: int) -> dict:
    images = filters.photo_patches(n_images, 128, seed=0)
    kernel = filters.gaussian_kernel(5, 1.0)
    full = filters.build_filter_cnn()
    depthwise = filters.build_filter_cnn(depthwise=True)
    methods = {
        "CNN, Conv2D layer 2 (Keras predict)": lambda: full.predict(
            images, batch_size=batch_size, verbose=0
        ),
        "CNN, DepthwiseConv2D layer 2 (Keras predict)": lambda: depthwise.predict(
            images, batch_size=batch_size, verbose=0
        ),
        "NumPy reference (matmul + shift-and-add)": lambda: filters.gaussian_blur(
            filters.sepia(images), 5, 1.0
        ),
        "scipy.ndimage.correlate": lambda: scipy_filter(images, kernel),
    }
    outputs = {name: np.asarray(fn()) for name, fn in methods.items()}  # also warms up
    reference = filters.gaussian_blur(filters.sepia(images.astype(np.float64)), 5, 1.0)
    max_error = {name: float(np.abs(out - reference).max()) for name, out in outputs.items()}
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeats):
        # Interleaved, so that a burst of load on the shared machine hits every method.
        for name, fn in methods.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    rows = {}
    for name, ts in times.items():
        median = statistics.median(ts)
        rows[name] = {
            "seconds_median": median,
            "seconds_best": min(ts),
            "seconds_all": ts,
            "images_per_second": n_images / median,
            "max_abs_error_vs_float64_reference": max_error[name],
        }
    return {
        "n_images": n_images,
        "image_shape": [128, 128, 3],
        "output_shape": list(outputs["scipy.ndimage.correlate"].shape[1:]),
        "repeats": repeats,
        "keras_batch_size": batch_size,
        "methods": rows,
    }


def learnability(n: int, size: int, epochs: int, batch_size: int) -> list[dict]:
    runs = []
    for data, noise, center in (("clean photo crops", 0.0, False), ("noisy, centred", 0.2, True)):
        images = filters.photo_patches(n, size, noise=noise, center=center, seed=1)
        targets = filters.gaussian_blur(filters.sepia(images), 5, 1.0)
        for depthwise in (False, True):
            t0 = time.perf_counter()
            result = filters.fit_filter_cnn(
                images,
                targets,
                depthwise=depthwise,
                epochs=epochs,
                batch_size=batch_size,
                seed=0,
                verbose=0,
            )
            runs.append(
                {
                    "data": data,
                    "noise": noise,
                    "center": center,
                    "layer2": "DepthwiseConv2D" if depthwise else "Conv2D",
                    "n_patches": n,
                    "patch_size": size,
                    "epochs": epochs,
                    "batch_size": batch_size,
                    "final_loss": result.losses[-1],
                    "effective_kernel_error": result.effective_kernel_error,
                    "sepia_error": result.sepia_error,
                    "gaussian_error": result.gaussian_error,
                    "raw_weight_error": result.raw_weight_error,
                    "seconds": time.perf_counter() - t0,
                }
            )
            print(runs[-1], flush=True)
    return runs


def tables(speed: dict, learn: list[dict]) -> dict[str, str]:
    n = speed["n_images"]
    fastest = max(row["images_per_second"] for row in speed["methods"].values())
    lines = [
        "| method | images / s | median s per batch | vs fastest | max abs error |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in sorted(speed["methods"].items(), key=lambda kv: -kv[1]["images_per_second"]):
        lines.append(
            f"| {name} | {row['images_per_second']:,.0f} | {row['seconds_median']:.2f} | "
            f"{row['images_per_second'] / fastest:.2f}x | "
            f"{row['max_abs_error_vs_float64_reference']:.1e} |"
        )
    title = f"Throughput: sepia + 5x5 Gaussian blur on {n:,} images of 128x128x3"
    learn_lines = [
        "| training data | layer 2 | final MSE | composed kernel error | sepia error "
        "| Gaussian error | raw weight error |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for run in learn:
        learn_lines.append(
            f"| {run['data']} | {run['layer2']} | {run['final_loss']:.1e} | "
            f"{run['effective_kernel_error']:.1e} | {run['sepia_error']:.1e} | "
            f"{run['gaussian_error']:.1e} | {run['raw_weight_error']:.2f} |"
        )
    first = learn[0]
    learn_title = (
        f"Learnability: max abs error of learned vs true weights ({first['n_patches']} patches "
        f"of {first['patch_size']}x{first['patch_size']}, {first['epochs']} epochs)"
    )
    return {title: "\n".join(lines), learn_title: "\n".join(learn_lines)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small smoke run, writes nothing")
    args = parser.parse_args()
    rec = Recorder("filters")
    if args.quick:
        speed = throughput(n_images=50, repeats=2, batch_size=32)
        learn = learnability(n=16, size=12, epochs=3, batch_size=8)
    else:
        speed = throughput(n_images=1000, repeats=5, batch_size=32)
        learn = learnability(n=256, size=32, epochs=100, batch_size=32)
    results = {
        "throughput": speed,
        "learnability": learn,
        "threads": {
            "note": "TensorFlow uses all cores by default; NumPy elementwise ops and "
            "scipy.ndimage.correlate use one",
            "cpu_count": os.cpu_count(),
        },
        "tables": tables(speed, learn),
    }
    for title, table in results["tables"].items():
        print(f"\n{title}\n{table}")
    if args.quick:
        print("\n--quick: nothing written")
    else:
        rec.write(results)


if __name__ == "__main__":
    main()
