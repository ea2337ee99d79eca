"""One call trains a digit-slot model: the three stages, and their settings.

A ``pooling="digits"`` model learns best in stages (measured in
`benchmarks/captioning.py`): the detector alone, on frames with known digit
positions; then the decoder alone, on the frozen detector's slots (computed
once, so its epochs are cheap); then both together, so that the captions
can sharpen the detector's maps. `Captioner.fit` runs them by itself the
first time; `DigitStages` holds their settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fdmlearn._checks import check_int, check_rng
from fdmlearn.captioning.data import Clips

__all__ = ["DigitStages", "detector_frames"]


@dataclass(frozen=True)
class DigitStages:
    """How `Captioner.fit` trains a ``pooling="digits"`` model in one call.

    Stage 1 trains the detector alone (`Captioner.pretrain`) on
    `frames_per_clip` real frames drawn from every training clip: different
    clips hold different MNIST digits, so this sees more digits than all the
    frames of fewer clips would. Stage 2 trains the decoder on the frozen
    detector (``freeze_cnn=True``). Stage 3 trains both, with `fit`'s own
    `epochs`, `batch_size` and `learning_rate` (by default `joint_epochs`
    and `joint_batch_size`).

    Attributes:
        pretrain_epochs: Stage 1 passes over the frames.
        frames_per_clip: Frames drawn from each training clip for stage 1.
        pretrain_batch_size: Frames per step in stage 1.
        frozen_epochs: Stage 2 epochs.
        frozen_batch_size: Clips per step in stage 2.
        joint_epochs: Stage 3 epochs when `fit` is given none.
        joint_batch_size: Stage 3 clips per step when `fit` is given none.
        seed: Seed of the frames drawn for stage 1.

    Examples:
        >>> from fdmlearn.captioning import DigitStages
        >>> DigitStages().frozen_epochs
        16
        >>> DigitStages(pretrain_epochs=1, frozen_epochs=2).pretrain_epochs
        1
    """

    pretrain_epochs: int = 4
    frames_per_clip: int = 4
    pretrain_batch_size: int = 64
    frozen_epochs: int = 16
    frozen_batch_size: int = 64
    joint_epochs: int = 2
    joint_batch_size: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        for name in (
            "pretrain_epochs",
            "frames_per_clip",
            "pretrain_batch_size",
            "frozen_epochs",
            "frozen_batch_size",
            "joint_epochs",
            "joint_batch_size",
        ):
            minimum = 0 if name in ("pretrain_epochs", "frozen_epochs", "joint_epochs") else 1
            object.__setattr__(self, name, check_int(name, getattr(self, name), minimum=minimum))
        object.__setattr__(self, "seed", check_int("seed", self.seed, minimum=0))


def detector_frames(clips: Clips, per_clip: int, seed: Any) -> Clips:
    """`per_clip` real frames of every clip, as clips of that many frames (for `pretrain`)."""
    if clips.digits is None or clips.positions is None:
        raise ValueError(
            "clips must have digits and positions (as moving_digits makes them) for the "
            "detector stage; pass stages=None to train without it"
        )
    rng = check_rng(seed)
    lengths = clips.frame_mask.sum(axis=1)
    per_clip = min(per_clip, int(lengths.min()))
    # A random choice among each clip's real frames, without repeats.
    picks = np.argsort(rng.random(clips.frame_mask.shape) + ~clips.frame_mask, axis=1)
    picks = np.sort(picks[:, :per_clip], axis=1)
    rows = np.arange(len(clips))[:, None]
    return Clips._trusted(
        clips.videos[rows, picks],
        list(clips.captions),
        clips.digits,
        clips.motions,
        np.take_along_axis(clips.positions, picks[:, None, :, None], axis=2),
        None,
        clips.colors,
    )
