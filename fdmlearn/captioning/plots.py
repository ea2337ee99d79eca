"""Figures: clips as strips of frames, and the caption model drawn as boxes and arrows.

Both return a figure made by `fdmlearn.plotting.new_figure`: no pyplot
state, shown once in Jupyter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fdmlearn._checks import check_images, check_int
from fdmlearn.captioning.data import Clips, _check_captions
from fdmlearn.captioning.model import Captioner
from fdmlearn.captioning.vocabulary import words_of
from fdmlearn.plotting import new_figure

__all__ = ["draw_architecture", "show_clips"]


def show_clips(
    videos: Clips | np.ndarray,
    captions: Sequence[str] | None = None,
    predicted: Sequence[str] | None = None,
    max_frames: int = 10,
) -> Any:
    """Draw clips as strips of frames, with true (and predicted) captions.

    Args:
        videos: A `Clips`, or a float array (N, n_frames, height, width,
            channels) in [0, 1].
        captions: N true captions; by default those of `videos` when it is
            a `Clips` (required with an array).
        predicted: Optional N predicted captions; right ones are shown in
            green, wrong ones in red.
        max_frames: Show at most this many frames per clip (evenly spaced).

    Returns:
        A matplotlib Figure with one row per clip.

    Raises:
        TypeError: If the captions are not a list of strings.
        ValueError: If the shapes or counts do not match.

    Examples:
        >>> from fdmlearn.captioning import moving_digits, show_clips
        >>> clips = moving_digits(2, n_frames=4, size=32)
        >>> fig = show_clips(clips)  # the same as show_clips(clips.videos, clips.captions)
        >>> len(fig.axes)
        8
    """
    if isinstance(videos, Clips):
        videos, captions = videos.videos, videos.captions if captions is None else captions
    if captions is None:
        raise TypeError("captions must be given (a list of strings) when videos is an array")
    videos = check_images("videos", videos, ndim=5, dtype=None)
    if videos.shape[-1] not in (1, 3) or len(videos) == 0:
        raise ValueError(
            "videos must have shape (N, n_frames, height, width, channels) with N >= 1 and "
            f"1 or 3 channels, got {videos.shape}"
        )
    captions = _check_captions("captions", captions, len(videos))
    if predicted is not None:
        predicted = _check_captions("predicted", predicted)
        if len(predicted) != len(videos):
            raise ValueError(f"predicted must hold {len(videos)} captions, got {len(predicted)}")
    max_frames = check_int("max_frames", max_frames, minimum=1)
    n, t = videos.shape[:2]
    frames = np.unique(np.linspace(0, t - 1, min(t, max_frames)).round().astype(int))
    fig = new_figure(figsize=(1.0 * len(frames), 1.35 * n))
    axes = fig.subplots(n, len(frames), squeeze=False)
    for i in range(n):
        for j, f in enumerate(frames):
            ax = axes[i, j]
            frame = videos[i, f, :, :, 0] if videos.shape[-1] == 1 else videos[i, f]
            ax.imshow(frame, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"t={f}", fontsize=7)
        text = f"true: {captions[i]}"
        color = "black"
        if predicted is not None:
            ok = words_of(predicted[i]) == words_of(captions[i])
            text += f"\npredicted: {predicted[i]}"
            color = "tab:green" if ok else "tab:red"
        axes[i, 0].set_ylabel("")
        axes[i, 0].text(
            0, -0.08, text, transform=axes[i, 0].transAxes, va="top", fontsize=7, color=color
        )
    fig.subplots_adjust(hspace=0.75, wspace=0.05)
    return fig


def draw_architecture(model: Captioner, steps: int = 4) -> Any:
    """Draw the caption model as boxes and arrows (the notebook's Figure 2).

    Frames go through one shared CNN, become frame vectors, are pooled (mean)
    or attended (attention) into a video vector, which enters the LSTM at
    every step together with the previous word.

    Args:
        model: A `Captioner` (its pooling and sizes are written on the figure).
        steps: Decoding steps to draw, 2 to 6.

    Returns:
        A matplotlib Figure.

    Raises:
        TypeError: If `model` is not a `Captioner`.
        ValueError: If `steps` is out of range.

    Examples:
        >>> from fdmlearn import captioning
        >>> model = captioning.build_captioner(captioning.moving_digits(2, n_frames=3, size=32))
        >>> fig = captioning.draw_architecture(model)
        >>> fig.axes[0].get_title()
        'Mean-pool video caption model (Venugopalan et al., 2015)'
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if not isinstance(model, Captioner):
        raise TypeError(f"model must be a Captioner, got {type(model).__name__}")
    steps = check_int("steps", steps, minimum=2, maximum=6)
    cfg = model.config
    pooling = cfg.pooling
    fig = new_figure(figsize=(11, 6.2))
    ax = fig.add_subplot()
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 6.2)
    ax.axis("off")
    ax.set_title(
        {
            "mean": "Mean-pool video caption model (Venugopalan et al., 2015)",
            "attention": "Soft-attention video caption model",
            "digits": "Digit-slot attention caption model (after Anderson et al., 2018)",
        }[pooling]
    )

    def box(x: float, y: float, w: float, h: float, text: str, color: str) -> None:
        ax.add_patch(
            FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.03", fc=color, ec="0.25", lw=1.0)
        )
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)

    def arrow(x0: float, y0: float, x1: float, y1: float, color: str = "0.3") -> None:
        ax.add_patch(
            FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=10, color=color)
        )

    n_show = min(cfg.n_frames, 4)
    frame_x = [0.3 + 1.15 * i for i in range(n_show)]
    for i, x in enumerate(frame_x):
        label = f"frame {i + 1}" if i < n_show - 1 else f"frame {cfg.n_frames}"
        box(x, 0.2, 0.9, 0.6, f"{label}\n{cfg.height}x{cfg.width}x{cfg.channels}", "#dfe7f3")
        if pooling == "digits":
            box(x, 1.2, 0.9, 0.7, "digit\ndetector\n(shared)", "#c6dbef")
            box(x, 2.3, 0.9, 0.5, "10 digit\nmaps", "#9ecae1")
        else:
            box(x, 1.2, 0.9, 0.7, "CNN\n(shared)", "#c6dbef")
            box(x, 2.3, 0.9, 0.5, f"vector\n{cfg.feature_dim}", "#9ecae1")
        arrow(x + 0.45, 0.8, x + 0.45, 1.2)
        arrow(x + 0.45, 1.9, x + 0.45, 2.3)
    if cfg.n_frames > n_show:
        ax.text(frame_x[-1] - 0.13, 0.5, "…", ha="center", va="center", fontsize=12)
    pool_x0, pool_x1 = frame_x[0], frame_x[-1] + 0.9
    pool_label = {
        "mean": "mean pooling over frames:\none average, then video layer",
        "attention": "soft attention over frames (+ positions):\n"
        "new weights for every word, then video layer",
        "digits": "one slot per digit: its track, its key;\n"
        "soft attention over slots for every word",
    }[pooling]
    box(pool_x0, 3.25, pool_x1 - pool_x0, 0.6, pool_label, "#fdd49e")
    for x in frame_x:
        arrow(x + 0.45, 2.8, x + 0.45, 3.25)

    lstm_x = [5.3 + 1.45 * i for i in range(steps)]
    # The video vector enters every step, as the notebook's design says: a bus under the LSTMs.
    bus_y = 3.0
    ax.plot([pool_x1, lstm_x[-1] + 0.2], [bus_y, bus_y], color="tab:orange", lw=1.5)
    ax.plot([pool_x1 - 0.2, pool_x1 - 0.2, pool_x1], [3.25, bus_y, bus_y], color="tab:orange")
    ax.text(pool_x1 + 0.08, bus_y - 0.17, "video vector", color="tab:orange", fontsize=8)
    for i, x in enumerate(lstm_x):
        box(x, 3.25, 1.0, 0.7, f"LSTM\n{cfg.hidden} units", "#c7e9c0")
        prev = "<start>" if i == 0 else f"word {i}"
        box(x, 2.1, 1.0, 0.5, f"{prev}\n(embedding)", "#f0f0f0")
        arrow(x + 0.6, 2.6, x + 0.6, 3.25)
        arrow(x + 0.2, bus_y, x + 0.2, 3.25, color="tab:orange")
        box(x, 4.6, 1.0, 0.5, "softmax\n(dropout)", "#fcbba1")
        arrow(x + 0.5, 3.95, x + 0.5, 4.6)
        out = "<end>" if i == steps - 1 else f"word {i + 1}"
        ax.text(x + 0.5, 5.55, out, ha="center", va="center", fontsize=9, weight="bold")
        arrow(x + 0.5, 5.1, x + 0.5, 5.35)
        if i:
            arrow(lstm_x[i - 1] + 1.0, 3.6, x, 3.6)
    ax.text(
        lstm_x[0],
        1.75,
        "each step's input: the previous word (the chosen one when captioning,\n"
        "the true one when training) and the video vector; the softmax\n"
        "reads the LSTM state and the video vector",
        fontsize=8,
        va="top",
    )
    ax.text(
        8.1,
        0.6,
        f"vocabulary: {len(model.vocabulary)} tokens, at most "
        f"{model.vocabulary.max_words} words\ntraining: teacher forcing, per-word cross-entropy"
        "\nevaluation: exact match (0/1), word accuracy, BLEU-4",
        ha="center",
        va="center",
        fontsize=8,
    )
    return fig
