"""Figures: clips as strips of frames, and the caption model drawn as boxes and arrows.

Both return a figure made by `fdmlearn.plotting.new_figure`: no pyplot
state, shown once in Jupyter.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from fdmlearn._checks import check_images, check_int, check_real
from fdmlearn.captioning.data import Clips, _check_captions
from fdmlearn.captioning.model import Captioner
from fdmlearn.captioning.vocabulary import words_of
from fdmlearn.plotting import new_figure

__all__ = ["AnimatedClips", "animate_clips", "draw_architecture", "show_clips"]


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


def _design(model: Any) -> dict[str, Any]:
    """What the drawing writes in its boxes: fdmlearn's model, or the notebook's design."""
    if isinstance(model, str) and model == "notebook":
        return {
            "title": "The seed notebook's design (its Figure 2): VGG per frame, mean pool, LSTM",
            "n_frames": "T",
            "frame": "224x224x3",
            "pooling": "mean",
            "encoder": "VGG-16\n(type D,\npretrained)",
            "vector": "FC-4096\nvector",
            "pool": "mean pooling over frames:\none average of the 4096-d vectors",
            "lstm": "LSTM",
            "output": "softmax\nover words",
            "inputs": "each step's input: the previous word and the video vector;\n"
            "the softmax reads the LSTM state",
            "notes": "output: at most 10 words, the most likely word each step, END token\n"
            "regularization: dropout in the CNN\nloss: 0/1 (1 unless the whole caption is right)",
        }
    if not isinstance(model, Captioner):
        raise TypeError(f"model must be a Captioner or 'notebook', got {type(model).__name__}")
    c = model.config
    conv3d = c.frame_encoder == "conv3d"
    return {
        "title": {
            "mean": "fdmlearn's mean-pool caption model (after Venugopalan et al., 2015)",
            "attention": "fdmlearn's soft-attention caption model",
            "digits": "fdmlearn's digit-slot caption model (after Anderson et al., 2018)",
        }[c.pooling],
        "n_frames": c.n_frames,
        "frame": f"{c.height}x{c.width}x{c.channels}",
        "encoder": "digit\ndetector\n(shared)"
        if c.pooling == "digits"
        else ("3-D CNN\n(3 frames\nper kernel)" if conv3d else "CNN\n(shared)"),
        "vector": "10 digit\nmaps" if c.pooling == "digits" else f"vector\n{c.feature_dim}",
        "pool": {
            "mean": "mean pooling over frames:\none average, then video layer",
            "attention": "soft attention over frames (+ positions):\n"
            "new weights for every word, then video layer",
            "digits": "one slot per digit: its track, its key;\n"
            "soft attention over slots for every word",
        }[c.pooling],
        "lstm": f"LSTM\n{c.hidden} units",
        "output": "softmax\n(dropout)",
        "inputs": "each step's input: the previous word (the chosen one when captioning,\n"
        "the true one when training) and the video vector; the softmax\n"
        "reads the LSTM state and the video vector",
        "notes": f"vocabulary: {len(model.vocabulary)} tokens, at most "
        f"{model.vocabulary.max_words} words\ntraining: teacher forcing, per-word cross-entropy"
        "\nevaluation: exact match (0/1), word accuracy, BLEU-4",
    }


def draw_architecture(model: Captioner | str, steps: int = 4) -> Any:
    """Draw a caption model as boxes and arrows: fdmlearn's, or the seed notebook's design.

    Frames go through one shared CNN, become frame vectors, are pooled (mean)
    or attended (attention) into a video vector, which enters the LSTM at
    every step together with the previous word. ``draw_architecture("notebook")``
    draws the design the seed notebook proposed (its Figure 2: VGG-16 per
    frame up to FC-4096, mean pooling, an LSTM, the 0/1 loss); a `Captioner`
    is drawn as it is built (its pooling and sizes are written on it).

    Args:
        model: A `Captioner`, or ``"notebook"``.
        steps: Decoding steps to draw, 2 to 6.

    Returns:
        A matplotlib Figure.

    Raises:
        TypeError: If `model` is neither a `Captioner` nor ``"notebook"``.
        ValueError: If `steps` is out of range.

    Examples:
        >>> from fdmlearn import captioning
        >>> model = captioning.build_captioner(captioning.moving_digits(2, n_frames=3, size=32))
        >>> fig = captioning.draw_architecture(model)
        >>> fig.axes[0].get_title()
        "fdmlearn's mean-pool caption model (after Venugopalan et al., 2015)"
        >>> captioning.draw_architecture("notebook").axes[0].get_title()[:26]
        "The seed notebook's design"
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    design = _design(model)
    steps = check_int("steps", steps, minimum=2, maximum=6)
    fig = new_figure(figsize=(11, 6.2))
    ax = fig.add_subplot()
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 6.2)
    ax.axis("off")
    ax.set_title(design["title"])

    def box(x: float, y: float, w: float, h: float, text: str, color: str) -> None:
        ax.add_patch(
            FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.03", fc=color, ec="0.25", lw=1.0)
        )
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)

    def arrow(x0: float, y0: float, x1: float, y1: float, color: str = "0.3") -> None:
        ax.add_patch(
            FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=10, color=color)
        )

    total = design["n_frames"]
    n_show = min(total, 4) if isinstance(total, int) else 3
    frame_x = [0.3 + 1.15 * i for i in range(n_show)]
    for i, x in enumerate(frame_x):
        label = f"frame {i + 1}" if i < n_show - 1 else f"frame {total}"
        box(x, 0.2, 0.9, 0.6, f"{label}\n{design['frame']}", "#dfe7f3")
        box(x, 1.2, 0.9, 0.7, design["encoder"], "#c6dbef")
        box(x, 2.3, 0.9, 0.5, design["vector"], "#9ecae1")
        arrow(x + 0.45, 0.8, x + 0.45, 1.2)
        arrow(x + 0.45, 1.9, x + 0.45, 2.3)
    if not isinstance(total, int) or total > n_show:
        ax.text(frame_x[-1] - 0.13, 0.5, "…", ha="center", va="center", fontsize=12)
    pool_x0, pool_x1 = frame_x[0], frame_x[-1] + 0.9
    box(pool_x0, 3.25, pool_x1 - pool_x0, 0.6, design["pool"], "#fdd49e")
    for x in frame_x:
        arrow(x + 0.45, 2.8, x + 0.45, 3.25)

    lstm_x = [5.3 + 1.45 * i for i in range(steps)]
    # The video vector enters every step, as the notebook's design says: a bus under the LSTMs.
    bus_y = 3.0
    ax.plot([pool_x1, lstm_x[-1] + 0.2], [bus_y, bus_y], color="tab:orange", lw=1.5)
    ax.plot([pool_x1 - 0.2, pool_x1 - 0.2, pool_x1], [3.25, bus_y, bus_y], color="tab:orange")
    ax.text(pool_x1 + 0.08, bus_y - 0.17, "video vector", color="tab:orange", fontsize=8)
    for i, x in enumerate(lstm_x):
        box(x, 3.25, 1.0, 0.7, design["lstm"], "#c7e9c0")
        prev = "<start>" if i == 0 else f"word {i}"
        box(x, 2.1, 1.0, 0.5, f"{prev}\n(embedding)", "#f0f0f0")
        arrow(x + 0.6, 2.6, x + 0.6, 3.25)
        arrow(x + 0.2, bus_y, x + 0.2, 3.25, color="tab:orange")
        box(x, 4.6, 1.0, 0.5, design["output"], "#fcbba1")
        arrow(x + 0.5, 3.95, x + 0.5, 4.6)
        out = "<end>" if i == steps - 1 else f"word {i + 1}"
        ax.text(x + 0.5, 5.55, out, ha="center", va="center", fontsize=9, weight="bold")
        arrow(x + 0.5, 5.1, x + 0.5, 5.35)
        if i:
            arrow(lstm_x[i - 1] + 1.0, 3.6, x, 3.6)
    ax.text(
        lstm_x[0],
        1.75,
        design["inputs"],
        fontsize=8,
        va="top",
    )
    ax.text(
        8.1,
        0.6,
        design["notes"],
        ha="center",
        va="center",
        fontsize=8,
    )
    return fig


class AnimatedClips:
    """Clips as one animated GIF, side by side, each with its caption underneath.

    Shown as the animation itself in Jupyter (`_repr_html_`); `to_html`
    gives an ``<img>`` tag with the GIF embedded (no other file needed), and
    `gif` the file's bytes (write them to a ``.gif`` file).

    Attributes:
        gif: The GIF file, as bytes.
        n_frames: Frames in the animation.
    """

    def __init__(self, gif: bytes, n_frames: int) -> None:
        self.gif, self.n_frames = gif, n_frames

    def to_html(self, alt: str) -> str:
        """An ``<img>`` tag with the GIF embedded as a data URI, described by `alt`."""
        import base64
        import html

        if not isinstance(alt, str) or not alt.strip():
            raise ValueError("alt must describe the animation (got an empty string)")
        data = base64.b64encode(self.gif).decode("ascii")
        return f'<img alt="{html.escape(alt, quote=True)}" src="data:image/gif;base64,{data}">'

    def _repr_html_(self) -> str:
        return self.to_html(alt="animated clips")

    def __repr__(self) -> str:
        return f"AnimatedClips({self.n_frames} frames, {len(self.gif):,} bytes of GIF)"


def animate_clips(
    videos: Clips | np.ndarray,
    captions: Sequence[str] | None = None,
    *,
    max_clips: int = 4,
    scale: int = 2,
    fps: float = 5.0,
) -> AnimatedClips:
    """Play clips as an animated GIF (through Pillow), side by side.

    A clip that is shorter than the others (padding frames) holds its last
    real frame while the others play on.

    Args:
        videos: A `Clips`, or a float array (N, n_frames, height, width,
            channels) in [0, 1].
        captions: Captions written under the clips; by default those of a
            `Clips`, none for an array.
        max_clips: Show at most this many clips (the first ones).
        scale: Pixels per frame pixel (nearest-neighbour enlargement).
        fps: Frames per second.

    Returns:
        An `AnimatedClips`.

    Raises:
        TypeError: If the videos hold integers.
        ValueError: If the videos are not (N, n_frames, height, width, 1 or 3)
            or an argument is out of range.

    Examples:
        >>> from fdmlearn.captioning import animate_clips, moving_digits
        >>> anim = animate_clips(moving_digits(2, n_frames=4, size=32))
        >>> anim.gif[:6], anim.n_frames
        (b'GIF89a', 4)
    """
    from PIL import Image, ImageDraw

    if isinstance(videos, Clips):
        videos, captions = videos.videos, videos.captions if captions is None else captions
    videos = check_images("videos", videos, ndim=5, dtype=None)
    if videos.shape[-1] not in (1, 3) or len(videos) == 0:
        raise ValueError(
            "videos must have shape (N, n_frames, height, width, channels) with N >= 1 and "
            f"1 or 3 channels, got {videos.shape}"
        )
    if captions is not None:
        captions = _check_captions("captions", captions, len(videos))
    max_clips = check_int("max_clips", max_clips, minimum=1)
    scale = check_int("scale", scale, minimum=1, maximum=16)
    fps = check_real("fps", fps, minimum=0, open_min=True, maximum=100)
    videos = videos[:max_clips]
    n, t, h, w, _ = videos.shape
    real = np.abs(videos).max(axis=(2, 3, 4)) > 0
    last = np.maximum(real.sum(axis=1) - 1, 0)
    # Captions go in rows of their own under the clips: a caption is wider than a clip.
    gap, text_h = 4 * scale, 12 * n + 4 if captions is not None else 0
    size = (n * w * scale + (n - 1) * gap, h * scale + text_h)
    frames = []
    for k in range(t):
        canvas = Image.new("RGB", size, "white")
        for i in range(n):
            frame = videos[i, min(k, last[i])]
            rgb = np.repeat(frame, 3, axis=-1) if frame.shape[-1] == 1 else frame
            tile = Image.fromarray((rgb * 255).round().astype(np.uint8))
            canvas.paste(
                tile.resize((w * scale, h * scale), Image.NEAREST), (i * (w * scale + gap), 0)
            )
        if captions is not None:
            draw = ImageDraw.Draw(canvas)
            for i in range(n):
                draw.text((2, h * scale + 2 + 12 * i), f"{i + 1}: {captions[i]}", fill="black")
        frames.append(canvas.convert("P", palette=Image.ADAPTIVE))
    buf = io.BytesIO()
    frames[0].save(
        buf, format="GIF", save_all=True, append_images=frames[1:], duration=int(1000 / fps), loop=0
    )
    return AnimatedClips(buf.getvalue(), t)
