"""The caption model: `Captioner`, its typed settings `CaptionerConfig`, building and loading.

The network (`build_network`) is one Keras model, ``[videos, words] ->
word logits``: a frame encoder applied to every frame, then the layers
after it (frame positions, dropout) and the `CaptionDecoder`. `Captioner`
wraps it with what a user needs: `fit`, `caption`, `evaluate`, `attention`,
`save`. Training and decoding live in `training.py` and `decoding.py`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from fdmlearn._checks import check_bool, check_choice, check_images, check_int, check_real
from fdmlearn._saving import read_keras, write_keras
from fdmlearn._training import check_strategy, scope
from fdmlearn.captioning.data import Clips
from fdmlearn.captioning.decoding import beam_search, greedy_search
from fdmlearn.captioning.layers import POOLINGS
from fdmlearn.captioning.metrics import bleu4, exact_match, word_accuracy
from fdmlearn.captioning.network import build_network, in_chunks, network_parts, seeded_build
from fdmlearn.captioning.stages import DigitStages
from fdmlearn.captioning.training import pretrain_detector, train
from fdmlearn.captioning.vocabulary import Vocabulary, words_of
from fdmlearn.errors import LoadError

__all__ = ["Captioner", "CaptionerConfig", "build_captioner", "load_captioner"]

KIND = "Captioner"
# Limits that keep a typo from building a model that cannot fit in memory (or take hours to
# build): far above anything a clip of digits needs.
MAX_UNITS = 4096
MAX_FRAMES = 1000
MAX_BEAM = 64
DECODE_CHUNK = 512  # clips decoded together


@dataclass(frozen=True)
class CaptionerConfig:
    """The settings of a caption model, checked when made.

    Attributes:
        n_frames: Frames per clip.
        height: Frame height in pixels.
        width: Frame width in pixels.
        channels: 1 (grey) or 3 (colour).
        pooling: ``"mean"``, ``"attention"`` or ``"digits"``.
        frame_encoder: ``"cnn"`` (one 2-D CNN per frame) or ``"conv3d"`` (a
            3-D CNN over the clip; not with ``"digits"``).
        feature_dim: Length of a frame vector, > 64 (64 values say *what*,
            the rest *where*); with ``"digits"``, the size of the video vector.
            This and the other sizes are at most 4096 (`MAX_UNITS`).
        embed_dim: Length of a word embedding.
        hidden: LSTM units.
        attention_dim: Units of the attention scorer.
        dropout: Dropout rate on frame vectors and the LSTM output, in [0, 1).
        colors: Give the digit detector a map per named colour (the six of
            ``moving_digits(..., colors=True)``), pretrained on where each
            colour's digit is, and read slot colours from them; only with
            ``"digits"`` and 3 channels.

    Examples:
        >>> from fdmlearn.captioning import CaptionerConfig
        >>> config = CaptionerConfig(n_frames=10, height=64, width=64, pooling="attention")
        >>> config.frame_shape, config.hidden
        ((64, 64, 1), 128)
    """

    n_frames: int
    height: int
    width: int
    channels: int = 1
    pooling: str = "mean"
    frame_encoder: str = "cnn"
    feature_dim: int = 192
    embed_dim: int = 32
    hidden: int = 128
    attention_dim: int = 64
    dropout: float = 0.2
    colors: bool = False

    def __post_init__(self) -> None:
        checked = {
            "n_frames": check_int("n_frames", self.n_frames, minimum=1, maximum=MAX_FRAMES),
            "height": check_int("height", self.height, minimum=28),
            "width": check_int("width", self.width, minimum=28),
            "channels": check_choice("channels", self.channels, (1, 3)),
            "pooling": check_choice("pooling", self.pooling, POOLINGS),
            "frame_encoder": check_choice("frame_encoder", self.frame_encoder, ("cnn", "conv3d")),
            "feature_dim": check_int(
                "feature_dim", self.feature_dim, minimum=65, maximum=MAX_UNITS
            ),
            "embed_dim": check_int("embed_dim", self.embed_dim, minimum=1, maximum=MAX_UNITS),
            "hidden": check_int("hidden", self.hidden, minimum=1, maximum=MAX_UNITS),
            "attention_dim": check_int(
                "attention_dim", self.attention_dim, minimum=1, maximum=MAX_UNITS
            ),
            "dropout": check_real("dropout", self.dropout, minimum=0, maximum=1, open_max=True),
            "colors": check_bool("colors", self.colors),
        }
        if checked["pooling"] == "digits" and checked["frame_encoder"] != "cnn":
            raise ValueError(
                "frame_encoder='conv3d' works with pooling='mean' or 'attention'; "
                "pooling='digits' has its own per-frame digit detector"
            )
        if checked["colors"] and (checked["pooling"] != "digits" or checked["channels"] != 3):
            raise ValueError(
                f"colors=True gives the digit detector colour maps: it needs pooling='digits' "
                f"and channels=3, got pooling={checked['pooling']!r}, "
                f"channels={checked['channels']}"
            )
        for name, value in checked.items():
            object.__setattr__(self, name, value)  # frozen: normalise NumPy scalars once

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """(height, width, channels)."""
        return (self.height, self.width, self.channels)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON values."""
        return dataclasses.asdict(self)


def _check_videos_for(
    config: CaptionerConfig, videos: Any, name: str = "videos", *, any_length: bool = False
) -> np.ndarray:
    """`videos` as float32 (N, config.n_frames, ...) after checking they fit the model.

    Shorter clips are padded with all-zero frames, which the model ignores;
    frames beyond `n_frames` are dropped if they are padding, refused if not.
    With `any_length`, any number of frames passes unchanged.
    """
    want = config.frame_shape
    shape = getattr(videos, "shape", None)
    if shape is not None and (len(shape) != 5 or tuple(shape[2:]) != want):
        full = (config.n_frames, *want)
        raise ValueError(
            f"{name} must have shape (N, {', '.join(map(str, full))}) for this model "
            f"({full[0]} frames of {want[0]}x{want[1]}x{want[2]}), got {tuple(shape)}"
        )
    videos = check_images(name, videos, shape=(None, None, *want))
    if len(videos) == 0:
        raise ValueError(f"{name} must hold at least one clip, got 0")
    t = videos.shape[1]
    if any_length or t == config.n_frames:
        return videos
    if t < config.n_frames:
        return np.pad(videos, ((0, 0), (0, config.n_frames - t), (0, 0), (0, 0), (0, 0)))
    if np.abs(videos[:, config.n_frames :]).max() > 0:
        raise ValueError(
            f"{name} have {t} frames, but this model was built for clips of at most "
            f"{config.n_frames} frames (frames after that must be all-zero padding)"
        )
    return videos[:, : config.n_frames]


def _check_clips_for(
    config: CaptionerConfig,
    vocabulary: Vocabulary,
    clips: Any,
    name: str = "clips",
    *,
    any_length: bool = False,
) -> Clips:
    """`clips` after checking they are clips of the kind the model was built for."""
    if not isinstance(clips, Clips):
        raise TypeError(
            f"{name} must be a Clips (e.g. from moving_digits), got {type(clips).__name__}"
        )
    if len(clips) == 0:
        raise ValueError(f"{name} must hold at least one clip, got 0")
    got, want = (clips.n_frames, *clips.frame_shape), (config.n_frames, *config.frame_shape)
    longer = got[0] > want[0] and np.abs(clips.videos[:, want[0] :]).max() > 0
    if got[1:] != want[1:] or (longer and not any_length):
        raise ValueError(
            f"{name} do not fit this model: they have {got[0]} frames of "
            f"{got[1]}x{got[2]}x{got[3]}, the model was built for {want[0]} frames of "
            f"{want[1]}x{want[2]}x{want[3]}; build a model from these clips "
            "(build_captioner(clips)) or make clips like the training ones"
        )
    unknown = vocabulary.unknown_words(clips.captions)
    if unknown:
        raise ValueError(
            f"{name} hold words this model's vocabulary does not have, {unknown[:8]}: they "
            "are clips of another kind than the model's training clips, and the model could "
            "never write their captions"
        )
    longest = max(len(words_of(c)) for c in clips.captions)
    if longest > vocabulary.max_words:
        raise ValueError(
            f"{name} hold a caption of {longest} words, but the model writes at most "
            f"max_words={vocabulary.max_words}"
        )
    return clips


# Captioner is longer than the house's ~200 lines because of its docstrings: every public
# method documents its arguments and errors and runs an example (about 225 lines). Its
# code is about 140 lines; training lives in training.py and decoding in decoding.py.
class Captioner:
    """A video caption model: frame encoder, pooling or attention, LSTM decoder.

    Build one with `build_captioner` (or load one with `load_captioner`).
    The Keras model that is trained is `keras_model`: inputs ``[videos,
    words]``, output word logits (N, max_words + 1, vocabulary size). Its
    parts are `frame_cnn` (the CNN applied to every frame: the digit detector
    with ``pooling="digits"``), `encoder` (videos -> what the decoder attends
    over) and `decoder`; they share the weights of `keras_model`, and stay
    the same objects for the model's whole life.

    Args:
        vocabulary: The words the model can say.
        config: Its settings (frame shape, pooling, sizes).
        strategy: Optional `tf.distribute.Strategy` to build the model under;
            training then runs on its devices.

    Attributes:
        history: Every call's losses, one list per key, concatenated
            (``"loss"``, ``"val_loss"``, ``"pretrain_loss"``).
        train_seconds: Total training time of all calls.
    """

    def __init__(
        self, vocabulary: Vocabulary, config: CaptionerConfig, *, strategy: Any = None
    ) -> None:
        if not isinstance(vocabulary, Vocabulary):
            raise TypeError(f"vocabulary must be a Vocabulary, got {type(vocabulary).__name__}")
        if not isinstance(config, CaptionerConfig):
            raise TypeError(f"config must be a CaptionerConfig, got {type(config).__name__}")
        strategy = check_strategy(strategy)
        with scope(strategy):
            network = build_network(config, vocabulary)
        self._attach(network, vocabulary, config, strategy)

    @classmethod
    def _from_keras(
        cls, network: keras.Model, vocabulary: Vocabulary, config: CaptionerConfig, strategy: Any
    ) -> Captioner:
        model = cls.__new__(cls)
        model._attach(network, vocabulary, config, strategy)
        return model

    def _attach(
        self, network: keras.Model, vocabulary: Vocabulary, config: CaptionerConfig, strategy: Any
    ) -> None:
        self.vocabulary, self.config, self.strategy = vocabulary, config, strategy
        self.keras_model = network
        with scope(strategy):
            self._parts = network_parts(network, config)
        self.frame_cnn, self.decoder = self._parts.frame_cnn, self._parts.decoder
        self.encoder = self._parts.encoder
        self.history: dict[str, list[float]] = {}
        self.train_seconds = 0.0
        # XLA compilation of the unrolled decoder costs more than it saves on small CPU runs.
        self.jit_compile: bool | str = False
        self._tf_step: Any = None
        # Whether `pretrain` (or a staged `fit`) has trained the digit detector.
        self.detector_trained = False

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Captioner(pooling={c.pooling!r}, "
            + (f"frame_encoder={c.frame_encoder!r}, " if c.frame_encoder != "cnn" else "")
            + f"{c.n_frames} frames of "
            f"{c.height}x{c.width}x{c.channels}, {len(self.vocabulary)} tokens, "
            f"{self.count_params():,} weights, trained {self.train_seconds:.0f} s)"
        )

    def _check_clips(self, clips: Any, name: str = "clips", *, any_length: bool = False) -> Clips:
        return _check_clips_for(self.config, self.vocabulary, clips, name, any_length=any_length)

    def _check_videos(self, videos: Any, name: str = "videos", *, any_length: bool = False) -> Any:
        if isinstance(videos, Clips):
            videos = self._check_clips(videos, any_length=any_length).videos
        return _check_videos_for(self.config, videos, name, any_length=any_length)

    def pretrain(
        self,
        clips: Clips,
        epochs: int = 2,
        batch_size: int = 64,
        learning_rate: float = 3e-3,
        *,
        callbacks: Any = None,
        verbose: str | int = "auto",
    ) -> keras.callbacks.History:
        """Train the digit detector alone, on single frames, before captioning.

        Only for ``pooling="digits"``. Every frame of `clips` becomes one
        example whose target is a map per digit class with a bump where that
        digit's centre is (known from `clips.digits` and `clips.positions`),
        and, for a model with colour maps, the same bump in the map of that
        digit's colour (from `clips.colors`). This is the bottom-up stage of
        Anderson et al. (2018), whose caption model attends over the objects
        that a separately trained detector found; Venugopalan et al.
        likewise took a CNN already trained on images. `fit` then trains the
        decoder on the captions, with the detector kept as it is
        (``freeze_cnn=True``) or trained along.

        Args:
            clips: Clips with `digits` and `positions` (as `moving_digits`
                makes them), and `colors` for a model with colour maps; any
                number of frames, the model's frame size.
            epochs: Passes over all the frames.
            batch_size: Frames per gradient step.
            learning_rate: Adam's step size, > 0.
            callbacks: Keras callbacks.
            verbose: ``"auto"`` (a progress bar), 0, 1 or 2.

        Returns:
            The Keras `History` of the detector's loss (also appended to
            ``history["pretrain_loss"]``).

        Raises:
            TypeError: If `clips` is not a `Clips` or an argument has the wrong type.
            ValueError: If the model does not use ``pooling="digits"``, the
                clips lack digits, positions or (for colour maps) colours, or
                an argument is out of range.
            NonFiniteLossError: If the loss became NaN or infinite (the
                weights are restored).

        Examples:
            >>> from fdmlearn import captioning
            >>> clips = captioning.moving_digits(8, n_digits=2, n_frames=3, size=32)
            >>> model = captioning.build_captioner(clips, pooling="digits", hidden=16)
            >>> history = model.pretrain(clips, epochs=1, verbose=0)
            >>> len(history.history["loss"])
            1
        """
        return pretrain_detector(
            self,
            clips,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            callbacks=callbacks,
            verbose=verbose,
        )

    def fit(
        self,
        clips: Clips,
        epochs: int | None = None,
        batch_size: int | None = None,
        learning_rate: float | None = None,
        schedule: str = "cosine",
        validation: Clips | None = None,
        *,
        callbacks: Any = None,
        verbose: str | int = "auto",
        freeze_cnn: bool = False,
        objective: str = "cross_entropy",
        stages: DigitStages | str | None = "auto",
        strategy: Any = None,
    ) -> keras.callbacks.History:
        """Train the model on captioned clips.

        With ``objective="cross_entropy"`` (teacher forcing): at step i the
        decoder is fed the *true* word i-1 and scored by the cross-entropy of
        the true word i; padding after ``<end>`` is ignored. Each call starts
        a fresh Adam optimizer (and learning-rate schedule) from the current
        weights.

        With ``objective="exact_match"``: self-critical sequence training
        (`reinforce.py`), on the 0/1 reward itself: captions are sampled from
        the model, and each one's log-probability is pushed up or down by
        how much better its reward is than that of the greedy caption.
        Start from a model trained with cross-entropy. The frame encoder is
        kept as it is.

        A ``pooling="digits"`` model trained for the first time runs the
        three stages of `DigitStages` by itself (detector, decoder on the
        frozen detector, both), with a progress bar per stage.

        A NaN or infinite loss stops the call with `NonFiniteLossError` and
        puts the weights back as they were before it (before the failing
        stage, in a staged fit).

        Args:
            clips: Training clips, of the kind the model was built for
                (shorter clips are padded).
            epochs: Passes over the clips; default 10 (the last stage's
                `DigitStages.joint_epochs` in a staged fit; 3 with
                ``"exact_match"``).
            batch_size: Clips per gradient step; default 32.
            learning_rate: Adam's (initial) step size, > 0; default 3e-3
                (1e-4 with ``"exact_match"``).
            schedule: ``"cosine"`` decays the step size to 5% of
                `learning_rate` over this call's steps; ``"constant"`` keeps it.
            validation: Optional clips scored each epoch (their loss; their
                exact match with ``"exact_match"``).
            callbacks: Keras callbacks.
            verbose: ``"auto"`` (a progress bar), 0 (silent), 1 or 2 (one
                line per epoch).
            freeze_cnn: Keep the frame CNN (the digit detector with
                ``pooling="digits"``) as it is and train the rest only. The
                CNN's outputs are then computed once, before the first epoch,
                so the epochs take a fraction of the time. Otherwise a
                pretrained detector is trained along, but its batch-norm
                statistics stay as pretraining left them (a batch's own
                statistics would count the padding frames of short clips).
            objective: ``"cross_entropy"`` or ``"exact_match"``.
            stages: ``"auto"`` (the stages for a digit-slot model whose
                detector was never trained), None (never), or a `DigitStages`.
            strategy: None, or the strategy the model was built under
                (distribution is chosen in `build_captioner`).

        Returns:
            The Keras `History` of this call (of its last stage, with every
            stage's in ``history.stages``); its losses are also appended to
            `history`.

        Raises:
            TypeError: If `clips` is not a `Clips` or an argument has the wrong type.
            ValueError: If the clips do not fit the model (frames, frame
                size, words), hold NaN or unscaled pixels, or an argument is
                out of range.
            NonFiniteLossError: If the loss became NaN or infinite.

        Examples:
            >>> from fdmlearn import captioning
            >>> clips = captioning.moving_digits(8, n_frames=3, size=32)
            >>> model = captioning.build_captioner(clips, hidden=16, embed_dim=8)
            >>> history = model.fit(clips, epochs=2, batch_size=4, verbose=0)
            >>> len(history.history["loss"])
            2
            >>> rl = model.fit(clips, objective="exact_match", epochs=1, verbose=0)
            >>> sorted(rl.history)
            ['greedy_reward', 'loss', 'reward']
        """
        return train(
            self,
            clips,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            schedule=schedule,
            validation=validation,
            callbacks=callbacks,
            verbose=verbose,
            freeze_cnn=freeze_cnn,
            objective=objective,
            stages=stages,
            strategy=strategy,
        )

    def caption(self, videos: Clips | np.ndarray, beam_width: int = 1) -> list[str]:
        """Write a caption for each video.

        Decoding starts from ``<start>`` and stops at ``<end>`` or after
        `max_words` words. `beam_width=1` picks the most likely word at every
        step (greedy); a larger width keeps that many partial captions and
        returns the one with the highest total log-probability (beam search,
        `decoding.beam_search`).

        Args:
            videos: A `Clips`, or a float array (N, n_frames, height, width,
                channels) in [0, 1], of the kind the model was built for.
            beam_width: 1 for greedy decoding, > 1 for beam search.

        Returns:
            N captions.

        Raises:
            TypeError: If the videos hold integers or `beam_width` is not an integer.
            ValueError: If the videos do not fit the model, hold NaN or
                unscaled pixels, or `beam_width` < 1.
        """
        videos = self._check_videos(videos)
        beam_width = check_int("beam_width", beam_width, minimum=1, maximum=MAX_BEAM)
        return [self.vocabulary.decode(row) for row in _decode(self, videos, beam_width)[0]]

    def attention(self, videos: Clips | np.ndarray) -> tuple[list[str], np.ndarray]:
        """Greedy captions and the weight each word gave to each frame (or digit slot).

        Args:
            videos: A `Clips` or a float array (N, n_frames, height, width,
                channels) in [0, 1].

        Returns:
            `(captions, weights)`: weights has shape (N, max_words + 1,
            n_frames), one row per step, `<end>` included (rows after a
            caption's end mean nothing, and are zero where no caption of
            its batch needed them); with mean pooling every weight is
            1 / n_frames. With
            ``pooling="digits"`` the last axis is the 10 digit slots instead:
            which digit each word was about.

        Raises:
            ValueError: If the videos do not fit the model or hold NaN or
                unscaled pixels.

        Examples:
            >>> from fdmlearn import captioning
            >>> clips = captioning.moving_digits(2, n_frames=3, size=32)
            >>> model = captioning.build_captioner(clips, pooling="attention", hidden=16)
            >>> captions, weights = model.attention(clips)
            >>> weights.shape, round(float(weights[0, 0].sum()), 3)
            ((2, 11, 3), 1.0)
        """
        ids, weights = _decode(self, self._check_videos(videos))
        return [self.vocabulary.decode(row) for row in ids], weights

    def evaluate(self, clips: Clips, beam_width: int = 1) -> dict[str, float]:
        """Caption `clips` and score the captions against the true ones.

        Args:
            clips: Clips with their true captions, of the kind the model was built for.
            beam_width: Passed to `caption`.

        Returns:
            ``{"exact_match", "word_accuracy", "bleu4"}``, each in [0, 1].

        Raises:
            TypeError: If `clips` is not a `Clips`.
            ValueError: If the clips do not fit the model (frames, frame
                size, words unknown to the vocabulary).

        Examples:
            >>> from fdmlearn import captioning
            >>> clips = captioning.moving_digits(8, n_frames=3, size=32)
            >>> model = captioning.build_captioner(clips, hidden=16, embed_dim=8)
            >>> scores = model.evaluate(clips)
            >>> sorted(scores), 0 <= scores["exact_match"] <= 1
            (['bleu4', 'exact_match', 'word_accuracy'], True)
        """
        clips = self._check_clips(clips)
        predicted = self.caption(clips, beam_width=beam_width)
        return {
            "exact_match": exact_match(predicted, clips.captions),
            "word_accuracy": word_accuracy(predicted, clips.captions),
            "bleu4": bleu4(predicted, clips.captions),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the model to one ``.keras`` file (network, vocabulary, config), atomically.

        The file is written beside `path` and then moved into place, so a
        save that fails halfway leaves a previous file at `path` untouched.
        `keras.saving.load_model` can open it too (fdmlearn's layers are
        registered); `load_captioner` gives back the `Captioner`.

        Args:
            path: File name ending in ``.keras``, in an existing folder.

        Returns:
            The path written.

        Raises:
            TypeError: If `path` is not a str or path.
            ValueError: If `path` does not end in ``.keras`` or is a folder.
            FileNotFoundError: If its folder does not exist.

        Examples:
            >>> import tempfile, pathlib
            >>> from fdmlearn import captioning
            >>> clips = captioning.moving_digits(2, n_frames=3, size=32)
            >>> model = captioning.build_captioner(clips, hidden=16, embed_dim=8)
            >>> model.save(pathlib.Path(tempfile.mkdtemp()) / "model.keras").name
            'model.keras'
        """
        settings = {
            "vocabulary": self.vocabulary.get_config(),
            "config": self.config.to_dict(),
            "detector_trained": self.detector_trained,
        }
        return write_keras(path, self.keras_model, kind=KIND, settings=settings)

    def count_params(self) -> int:
        """Number of weights in the model."""
        return int(self.keras_model.count_params())


def _step_function(model: Captioner, videos: np.ndarray) -> tuple[Any, tuple[np.ndarray, ...]]:
    """The step function of `decoding.py` for these videos, and its initial state."""
    if model._tf_step is None:
        import tensorflow as tf

        decoder = model.decoder

        @tf.function(reduce_retracing=True)
        def tf_step(features, projected, mask, word, h, c):  # noqa: ANN001, ANN202
            logits, h, c, weights = decoder.step(features, projected, mask, word, h, c)
            return tf.nn.log_softmax(logits), h, c, weights

        model._tf_step = tf_step

    def step(state: tuple[np.ndarray, ...], tokens: np.ndarray) -> Any:
        features, projected, mask, h, c, _ = state
        log_probs, h, c, weights = model._tf_step(features, projected, mask, tokens, h, c)
        new = (features, projected, mask, h.numpy(), c.numpy(), weights.numpy())
        return log_probs.numpy(), new

    features, mask = in_chunks(model.encoder, videos)
    projected = np.asarray(model.decoder.project(features))
    h, c = (np.asarray(x) for x in model.decoder.initial_state(features))
    weights = np.zeros(features.shape[:2], np.float32)
    return step, (features, projected, mask, h, c, weights)


def _decode(model: Captioner, videos: np.ndarray, beam_width: int = 1) -> tuple[list, Any]:
    ids, weights = [], []
    v = model.vocabulary
    limits = {"start_id": v.start_id, "end_id": v.end_id, "max_steps": v.max_words + 1}
    for lo in range(0, len(videos), DECODE_CHUNK):
        step, state = _step_function(model, videos[lo : lo + DECODE_CHUNK])
        if beam_width == 1:
            tokens, seen = greedy_search(step, state, observe=lambda s: s[-1], **limits)
            # Decoding stops once every caption of the chunk has ended, so chunks run for
            # different numbers of steps: pad each to the longest possible caption.
            seen = np.stack(seen, axis=1)
            missing = limits["max_steps"] - seen.shape[1]
            weights.append(np.pad(seen, ((0, 0), (0, missing), (0, 0))))
        else:
            tokens, _ = beam_search(step, state, width=beam_width, **limits)
        ids += list(tokens)
    return ids, (np.concatenate(weights) if weights else None)


def build_captioner(
    clips: Clips,
    pooling: str = "mean",
    *,
    frame_encoder: str = "cnn",
    feature_dim: int = 192,
    embed_dim: int = 32,
    hidden: int = 128,
    attention_dim: int = 64,
    dropout: float = 0.2,
    max_words: int = 10,
    seed: int | np.random.Generator | None = 0,
    strategy: Any = None,
) -> Captioner:
    """Build an untrained caption model for clips like `clips`.

    The vocabulary is made from the clips' captions; frame count, frame size
    and channels come from their videos. A ``"digits"`` model of clips with
    named colours (``moving_digits(..., colors=True)``) gets a detector with
    colour maps (`CaptionerConfig.colors`).

    Args:
        clips: Training clips (their shapes and words define the model).
        pooling: ``"mean"`` (one video vector, the notebook's design),
            ``"attention"`` (a new weighted average of the frames per word)
            or ``"digits"`` (a digit detector, one slot per digit class
            holding where that digit is in every frame, and attention over
            the slots; `Captioner.fit` trains it in stages).
        frame_encoder: ``"cnn"``, a 2-D CNN on every frame, or ``"conv3d"``,
            a 3-D CNN over the whole clip (kernels span 3 frames), for mean
            or attention pooling.
        feature_dim: Length of a frame vector, > 64: 64 values say what
            digit is seen, the others where it is. With ``"digits"``, the
            size of the video vector.
        embed_dim: Length of a word embedding.
        hidden: LSTM units.
        attention_dim: Units of the attention scorer.
        dropout: Dropout rate in [0, 1).
        max_words: Longest caption the model writes.
        seed: An int >= 0 or a `numpy.random.Generator` makes the initial
            weights repeat; None draws fresh ones. No global generator is
            reseeded (use `fdmlearn.set_seed` for a whole program).
        strategy: Optional `tf.distribute.Strategy` (e.g.
            `tf.distribute.MirroredStrategy()` for several GPUs): the model
            is built, and later compiled, under its scope.

    Returns:
        A `Captioner`.

    Raises:
        TypeError: If `clips` is not a `Clips` or an argument has the wrong type.
        ValueError: If `pooling` is unknown or a size is out of range.

    Examples:
        >>> from fdmlearn import captioning
        >>> clips = captioning.moving_digits(4, n_frames=3, size=32)
        >>> model = captioning.build_captioner(clips, pooling="attention")
        >>> model.keras_model.output_shape
        (None, 11, 12)
        >>> len(model.caption(clips.videos)) == 4
        True
    """
    if not isinstance(clips, Clips):
        raise TypeError(
            f"clips must be a Clips (e.g. from moving_digits), got {type(clips).__name__}"
        )
    if len(clips) == 0:
        raise ValueError("clips must hold at least one clip, got 0")
    height, width, channels = clips.frame_shape
    config = CaptionerConfig(
        n_frames=clips.n_frames,
        height=height,
        width=width,
        channels=channels,
        pooling=pooling,
        frame_encoder=frame_encoder,
        feature_dim=feature_dim,
        embed_dim=embed_dim,
        hidden=hidden,
        attention_dim=attention_dim,
        dropout=dropout,
        colors=pooling == "digits" and clips.colors is not None,
    )
    vocabulary = Vocabulary.from_captions(clips.captions, max_words=max_words)
    with seeded_build(seed):
        return Captioner(vocabulary, config, strategy=strategy)


def load_captioner(path: str | os.PathLike[str], *, strategy: Any = None) -> Captioner:
    """Load a model written by `Captioner.save`; it writes identical captions.

    Args:
        path: The ``.keras`` file.
        strategy: Optional `tf.distribute.Strategy` to load the model under
            (its scope), for training it further on several devices.

    Returns:
        The `Captioner`.

    Raises:
        LoadError: If the path is missing, a folder, or not a file written by
            `Captioner.save` (random bytes, another fdmlearn class's file,
            a corrupt archive); the message names the file.

    Examples:
        >>> import tempfile, pathlib
        >>> from fdmlearn import captioning
        >>> clips = captioning.moving_digits(4, n_frames=3, size=32)
        >>> model = captioning.build_captioner(clips, hidden=16, embed_dim=8)
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "captioner.keras"
        >>> _ = model.save(path)
        >>> loaded = captioning.load_captioner(path)
        >>> loaded.caption(clips) == model.caption(clips)
        True
        >>> loaded.config == model.config
        True
    """
    strategy = check_strategy(strategy)
    with scope(strategy):
        keras_model, settings = read_keras(path, KIND)
    try:
        vocabulary = Vocabulary(**settings["vocabulary"])
        config = CaptionerConfig(**settings["config"])
        if keras_model.output_shape[-1] != len(vocabulary):
            raise ValueError("its network and its vocabulary differ in size")
    except (KeyError, TypeError, ValueError) as err:
        raise LoadError(
            f"cannot load a Captioner from {str(path)!r}: its settings are not a captioner's "
            f"({err})"
        ) from None
    model = Captioner._from_keras(keras_model, vocabulary, config, strategy)
    model.detector_trained = bool(settings.get("detector_trained", True))
    return model
