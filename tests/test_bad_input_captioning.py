"""Bad input to fdmlearn.captioning, table-driven: every case raises a clear error.

Each case is (call, exception type, regex the message must match); the
message names the argument. Calls that could change a model are checked to
leave its weights exactly as they were.
"""

from __future__ import annotations

import types
import zipfile

import numpy as np
import pytest

from fdmlearn import captioning as cap
from fdmlearn.captioning.decoding import beam_search, greedy_search
from fdmlearn.errors import LoadError


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    import tensorflow as tf

    tmp = tmp_path_factory.mktemp("bad_input")
    clips = cap.moving_digits(4, n_frames=3, size=32, seed=0)
    model = cap.build_captioner(clips, feature_dim=72, hidden=8, embed_dim=4, seed=0)
    digits = cap.moving_digits(4, n_digits=2, n_frames=3, size=32, seed=1)
    slots = cap.build_captioner(digits, pooling="digits", hidden=8, embed_dim=4, seed=0)
    (tmp / "noise.keras").write_bytes(np.random.default_rng(0).bytes(2048))
    with zipfile.ZipFile(tmp / "calculator.keras", "w") as archive:
        archive.writestr("fdmlearn.json", '{"kind": "Calculator", "settings": {}}')
    (tmp / "folder.keras").mkdir()
    return types.SimpleNamespace(
        clips=clips,
        model=model,
        digits=digits,
        slots=slots,
        tmp=tmp,
        other_strategy=tf.distribute.OneDeviceStrategy("/cpu:0"),
    )


def with_pixel(clips, value):
    """A copy of `clips` whose videos were changed after the clips were made."""
    bad = clips[:]
    bad.videos = bad.videos.copy()
    bad.videos[0, 0, 3, 3, 0] = value
    return bad


def scaled_by_255(clips):
    bad = clips[:]
    bad.videos = bad.videos * 255.0
    return bad


def step(state, tokens):
    return np.zeros((len(tokens), 3)), state


V = np.zeros((2, 3, 32, 32, 1), np.float32)


def nan_step(state, tokens):
    return np.full((len(tokens), 3), np.nan), state


def empty_file(c):
    (c.tmp / "empty.npz").write_bytes(b"")
    return c.tmp / "empty.npz"


def truncated_npz(c):
    path = c.clips.save(c.tmp / "whole.npz")
    (c.tmp / "cut.npz").write_bytes(path.read_bytes()[:300])
    return c.tmp / "cut.npz"


def vocab(c):
    return c.model.vocabulary


CASES = [
    # moving_digits
    ("n=0", lambda c: cap.moving_digits(0), ValueError, r"n must be an integer >= 1, got 0"),
    ("n float", lambda c: cap.moving_digits(2.5), TypeError, r"n must be an integer"),
    ("n bool", lambda c: cap.moving_digits(True), TypeError, r"n must be an integer"),
    ("n_digits=3", lambda c: cap.moving_digits(2, n_digits=3), ValueError, r"n_digits"),
    ("size=20", lambda c: cap.moving_digits(2, size=20), ValueError, r"size must be .*>= 32"),
    ("n_frames=1", lambda c: cap.moving_digits(2, n_frames=1), ValueError, r"n_frames"),
    ("split", lambda c: cap.moving_digits(2, split="val"), ValueError, r"split must be one of"),
    ("seed<0", lambda c: cap.moving_digits(2, seed=-1), ValueError, r"seed must be"),
    ("seed str", lambda c: cap.moving_digits(2, seed="a"), TypeError, r"seed must be"),
    (
        "turns with 2 digits",
        lambda c: cap.moving_digits(2, n_digits=2, order_dependent=True),
        ValueError,
        r"order_dependent=True needs n_digits=1",
    ),
    (
        "turns over 2 frames",
        lambda c: cap.moving_digits(2, n_frames=2, order_dependent=True),
        ValueError,
        r"order_dependent=True needs n_frames >= 3",
    ),
    (
        "turns too long",
        lambda c: cap.moving_digits(2, size=32, n_frames=20, order_dependent=True),
        ValueError,
        r"size=32 is too small",
    ),
    (
        "order_dependent str",
        lambda c: cap.moving_digits(2, order_dependent="yes"),
        TypeError,
        r"order_dependent must be True or False",
    ),
    (
        "channels 2",
        lambda c: cap.moving_digits(2, channels=2),
        ValueError,
        r"channels must be one of",
    ),
    (
        "colors grey",
        lambda c: cap.moving_digits(2, colors=True),
        ValueError,
        r"colors=True needs channels=3",
    ),
    (
        "colors str",
        lambda c: cap.moving_digits(2, channels=3, colors="red"),
        TypeError,
        r"colors must be True or False",
    ),
    (
        "frames range 1",
        lambda c: cap.moving_digits(2, n_frames=(5,)),
        ValueError,
        r"n_frames must be an integer or \(fewest, most\)",
    ),
    (
        "frames reversed",
        lambda c: cap.moving_digits(2, n_frames=(6, 5)),
        ValueError,
        r"n_frames\[1\] must be an integer >= 6",
    ),
    (
        "frames range 1 frame",
        lambda c: cap.moving_digits(2, n_frames=(1, 5)),
        ValueError,
        r"n_frames\[0\]",
    ),
    (
        "turns range 2",
        lambda c: cap.moving_digits(2, n_frames=(2, 5), order_dependent=True),
        ValueError,
        r"n_frames >= 3",
    ),
    (
        "size pair small",
        lambda c: cap.moving_digits(2, size=(20, 64)),
        ValueError,
        r"size\[0\] must be",
    ),
    (
        "size triple",
        lambda c: cap.moving_digits(2, size=(64, 64, 3)),
        ValueError,
        r"size must be an integer or \(height, width\)",
    ),
    (
        "size float pair",
        lambda c: cap.moving_digits(2, size=(64.0, 64)),
        TypeError,
        r"size\[0\] must be an integer",
    ),
    (
        "n huge",
        lambda c: cap.moving_digits(10**8),
        MemoryError,
        r"moving_digits\(n=100000000, ...\) would need .* GiB",
    ),
    ("size huge", lambda c: cap.moving_digits(10, size=10**6), MemoryError, r"would need"),
    (
        "hidden huge",
        lambda c: cap.build_captioner(c.clips, hidden=10**9),
        ValueError,
        r"hidden must be an integer >= 1 and <= 4096",
    ),
    (
        "max_words huge",
        lambda c: cap.build_captioner(c.clips, max_words=10**9),
        ValueError,
        r"max_words must be an integer >= 1 and <= 100",
    ),
    (
        "beam huge",
        lambda c: c.model.caption(V, beam_width=10**6),
        ValueError,
        r"beam_width must be an integer >= 1 and <= 64",
    ),
    # Clips
    (
        "lengths too long",
        lambda c: cap.Clips(V, ["a", "b"], lengths=[3, 4]),
        ValueError,
        r"lengths must be <= 3",
    ),
    (
        "lengths zero",
        lambda c: cap.Clips(V, ["a", "b"], lengths=[0, 3]),
        ValueError,
        r"lengths must be >= 1",
    ),
    (
        "lengths float",
        lambda c: cap.Clips(V, ["a", "b"], lengths=[1.0, 3.0]),
        TypeError,
        r"lengths must be an array of integers",
    ),
    (
        "lengths vs frames",
        lambda c: cap.Clips(V + 0.5, ["a", "b"], lengths=[1, 3]),
        ValueError,
        r"all zero after each clip's length",
    ),
    (
        "colors count",
        lambda c: cap.Clips(V, ["a", "b"], colors=["red"]),
        ValueError,
        r"colors must hold 2",
    ),
    (
        "clips load missing",
        lambda c: cap.Clips.load(c.tmp / "none.npz"),
        LoadError,
        r"none.npz.*no such file",
    ),
    (
        "clips load noise",
        lambda c: cap.Clips.load(c.tmp / "noise.keras"),
        LoadError,
        r"noise.keras.*not a file saved by Clips.save",
    ),
    ("clips load folder", lambda c: cap.Clips.load(c.tmp / "folder.keras"), LoadError, r"folder"),
    (
        "clips save suffix",
        lambda c: c.clips.save(c.tmp / "clips.keras"),
        ValueError,
        r"path must end in '.npz'",
    ),
    ("videos rank 4", lambda c: cap.Clips(V[..., 0], ["a", "b"]), ValueError, r"videos must have"),
    ("videos uint8", lambda c: cap.Clips(V.astype(np.uint8), ["a", "b"]), TypeError, r"255"),
    ("videos 0..255", lambda c: cap.Clips(V + 3.0, ["a", "b"]), ValueError, r"divide them by 255"),
    (
        "videos NaN",
        lambda c: cap.Clips(V * np.nan, ["a", "b"]),
        ValueError,
        r"videos must hold finite",
    ),
    (
        "videos 2 channels",
        lambda c: cap.Clips(np.zeros((2, 3, 32, 32, 2)), ["a", "b"]),
        ValueError,
        r"1 or 3 channels",
    ),
    (
        "captions str",
        lambda c: cap.Clips(V, "a b"),
        TypeError,
        r"captions must be a list of strings",
    ),
    ("captions ints", lambda c: cap.Clips(V, [1, 2]), TypeError, r"captions\[0\] must be a string"),
    ("captions count", lambda c: cap.Clips(V, ["a"]), ValueError, r"2 videos but 1 captions"),
    (
        "digits shape",
        lambda c: cap.Clips(V, ["a", "b"], digits=[1, 2]),
        ValueError,
        r"digits must have shape",
    ),
    (
        "digits > 9",
        lambda c: cap.Clips(V, ["a", "b"], digits=[[1], [12]]),
        ValueError,
        r"digits must be <= 9",
    ),
    (
        "motions count",
        lambda c: cap.Clips(V, ["a", "b"], motions=["up"]),
        ValueError,
        r"motions must hold 2",
    ),
    ("index too big", lambda c: c.clips[4], IndexError, r"index 4 is out of range"),
    ("index too small", lambda c: c.clips[-5], IndexError, r"index -5 is out of range"),
    ("index list", lambda c: c.clips[[0, 9]], IndexError, r"index 9 is out of range"),
    ("index float", lambda c: c.clips[1.5], TypeError, r"index must be"),
    (
        "mask length",
        lambda c: c.clips[np.array([True, False])],
        IndexError,
        r"boolean index has length 2",
    ),
    # Vocabulary
    (
        "words str",
        lambda c: cap.Vocabulary("a caption"),
        TypeError,
        r"words must be a list of words",
    ),
    ("words int", lambda c: cap.Vocabulary([1]), TypeError, r"words\[0\] must be a string"),
    ("word spaces", lambda c: cap.Vocabulary(["a b"]), ValueError, r"words\[0\] must be one word"),
    ("word empty", lambda c: cap.Vocabulary([""]), ValueError, r"words\[0\] must be one word"),
    ("word special", lambda c: cap.Vocabulary(["<end>"]), ValueError, r"special token"),
    ("max_words=0", lambda c: cap.Vocabulary(["a"], max_words=0), ValueError, r"max_words"),
    ("max_words float", lambda c: cap.Vocabulary(["a"], max_words=2.0), TypeError, r"max_words"),
    (
        "from_captions []",
        lambda c: cap.Vocabulary.from_captions([]),
        ValueError,
        r"captions must not be empty",
    ),
    (
        "from_captions str",
        lambda c: cap.Vocabulary.from_captions("a b"),
        TypeError,
        r"captions must be a list",
    ),
    (
        "from_captions int",
        lambda c: cap.Vocabulary.from_captions([3]),
        TypeError,
        r"captions\[0\] must be a string",
    ),
    (
        "teacher_forcing str",
        lambda c: c.model.vocabulary.teacher_forcing("a b"),
        TypeError,
        r"captions must be a list",
    ),
    # metrics
    *[
        case
        for metric in (cap.exact_match, cap.word_accuracy, cap.bleu4)
        for case in (
            (
                f"{metric.__name__} lengths",
                lambda c, m=metric: m(["a"], ["a", "b"]),
                ValueError,
                r"one prediction per reference",
            ),
            (
                f"{metric.__name__} empty",
                lambda c, m=metric: m([], []),
                ValueError,
                r"must not be empty",
            ),
            (
                f"{metric.__name__} str",
                lambda c, m=metric: m("a b", "a b"),
                TypeError,
                r"predicted must be a list",
            ),
            (
                f"{metric.__name__} int",
                lambda c, m=metric: m([1], ["a"]),
                TypeError,
                r"predicted\[0\] must be a string",
            ),
            (
                f"{metric.__name__} None",
                lambda c, m=metric: m(None, ["a"]),
                TypeError,
                r"predicted must be a list",
            ),
        )
    ],
    # decoding
    (
        "beam width 0",
        lambda c: beam_search(step, (np.zeros(1),), start_id=0, end_id=1, max_steps=3, width=0),
        ValueError,
        r"width must be",
    ),
    (
        "greedy max_steps",
        lambda c: greedy_search(step, (np.zeros(1),), start_id=0, end_id=1, max_steps=0),
        ValueError,
        r"max_steps must be",
    ),
    # build_captioner
    ("build from array", lambda c: cap.build_captioner(V), TypeError, r"clips must be a Clips"),
    (
        "build empty",
        lambda c: cap.build_captioner(c.clips[:0]),
        ValueError,
        r"clips must hold at least one clip",
    ),
    (
        "pooling",
        lambda c: cap.build_captioner(c.clips, pooling="max"),
        ValueError,
        r"pooling must be one of",
    ),
    (
        "pooling int",
        lambda c: cap.build_captioner(c.clips, pooling=1),
        TypeError,
        r"pooling must be one of",
    ),
    (
        "dropout 1",
        lambda c: cap.build_captioner(c.clips, dropout=1.0),
        ValueError,
        r"dropout must be",
    ),
    (
        "dropout NaN",
        lambda c: cap.build_captioner(c.clips, dropout=float("nan")),
        ValueError,
        r"dropout must be a finite",
    ),
    (
        "feature_dim 64",
        lambda c: cap.build_captioner(c.clips, feature_dim=64),
        ValueError,
        r"feature_dim must be an integer >= 65",
    ),
    ("hidden 0", lambda c: cap.build_captioner(c.clips, hidden=0), ValueError, r"hidden must be"),
    (
        "hidden float",
        lambda c: cap.build_captioner(c.clips, hidden=8.0),
        TypeError,
        r"hidden must be an integer",
    ),
    (
        "build max_words",
        lambda c: cap.build_captioner(c.clips, max_words=0),
        ValueError,
        r"max_words",
    ),
    ("build seed", lambda c: cap.build_captioner(c.clips, seed=-2), ValueError, r"seed must be"),
    (
        "build strategy",
        lambda c: cap.build_captioner(c.clips, strategy="gpu"),
        TypeError,
        r"strategy must be",
    ),
    (
        "config channels",
        lambda c: cap.CaptionerConfig(3, 32, 32, channels=2),
        ValueError,
        r"channels must be one of",
    ),
    (
        "config colors str",
        lambda c: cap.CaptionerConfig(3, 32, 32, channels=3, pooling="digits", colors="red"),
        TypeError,
        r"colors must be True or False",
    ),
    (
        "config colors grey",
        lambda c: cap.CaptionerConfig(3, 32, 32, pooling="digits", colors=True),
        ValueError,
        r"colors=True gives the digit detector colour maps: it needs pooling='digits' and "
        r"channels=3, got pooling='digits', channels=1",
    ),
    (
        "config colors mean",
        lambda c: cap.CaptionerConfig(3, 32, 32, channels=3, colors=True),
        ValueError,
        r"needs pooling='digits' and channels=3, got pooling='mean'",
    ),
    (
        "frame_encoder",
        lambda c: cap.build_captioner(c.clips, frame_encoder="lstm"),
        ValueError,
        r"frame_encoder must be one of",
    ),
    (
        "conv3d digits",
        lambda c: cap.build_captioner(c.digits, pooling="digits", frame_encoder="conv3d"),
        ValueError,
        r"frame_encoder='conv3d' works with",
    ),
    (
        "stages negative",
        lambda c: cap.DigitStages(pretrain_epochs=-1),
        ValueError,
        r"pretrain_epochs must be an integer >= 0",
    ),
    (
        "stages float",
        lambda c: cap.DigitStages(frames_per_clip=1.5),
        TypeError,
        r"frames_per_clip must be an integer",
    ),
    # fit (weights checked unchanged)
    (
        "fit objective",
        lambda c: c.model.fit(c.clips, objective="zero_one"),
        ValueError,
        r"objective must be one of",
    ),
    (
        "fit stages str",
        lambda c: c.slots.fit(c.digits, stages="all"),
        TypeError,
        r"stages must be 'auto', None or a DigitStages",
    ),
    (
        "fit stages mean",
        lambda c: c.model.fit(c.clips, stages=cap.DigitStages()),
        ValueError,
        r"stages are for models built with pooling='digits'",
    ),
    (
        "fit stages empty",
        lambda c: c.slots.fit(
            c.digits, epochs=0, stages=cap.DigitStages(pretrain_epochs=0, frozen_epochs=0)
        ),
        ValueError,
        r"leave nothing to train",
    ),
    (
        "fit stages bare",
        lambda c: c.slots.fit(
            cap.Clips(c.digits.videos, c.digits.captions), stages=cap.DigitStages()
        ),
        ValueError,
        r"digits and positions",
    ),
    (
        "rl lr inf",
        lambda c: c.model.fit(c.clips, objective="exact_match", learning_rate=float("inf")),
        ValueError,
        r"learning_rate must be a finite",
    ),
    (
        "rl epochs 0",
        lambda c: c.model.fit(c.clips, objective="exact_match", epochs=0),
        ValueError,
        r"epochs must be an integer >= 1",
    ),
    (
        "rl NaN",
        lambda c: c.model.fit(with_pixel(c.clips, np.nan), objective="exact_match"),
        ValueError,
        r"finite",
    ),
    (
        "rl validation",
        lambda c: c.model.fit(c.clips, objective="exact_match", validation=V),
        TypeError,
        r"validation must be a Clips",
    ),
    (
        "rl verbose",
        lambda c: c.model.fit(c.clips, objective="exact_match", verbose=5),
        ValueError,
        r"verbose",
    ),
    ("fit array", lambda c: c.model.fit(c.clips.videos), TypeError, r"clips must be a Clips"),
    (
        "fit epochs 0",
        lambda c: c.model.fit(c.clips, epochs=0),
        ValueError,
        r"epochs must be an integer >= 1",
    ),
    (
        "fit epochs float",
        lambda c: c.model.fit(c.clips, epochs=1.5),
        TypeError,
        r"epochs must be an integer",
    ),
    ("fit batch 0", lambda c: c.model.fit(c.clips, batch_size=0), ValueError, r"batch_size"),
    (
        "fit lr 0",
        lambda c: c.model.fit(c.clips, learning_rate=0),
        ValueError,
        r"learning_rate must be a number > 0",
    ),
    (
        "fit lr < 0",
        lambda c: c.model.fit(c.clips, learning_rate=-1e-3),
        ValueError,
        r"learning_rate",
    ),
    (
        "fit lr inf",
        lambda c: c.model.fit(c.clips, learning_rate=float("inf")),
        ValueError,
        r"learning_rate must be a finite",
    ),
    (
        "fit lr NaN",
        lambda c: c.model.fit(c.clips, learning_rate=float("nan")),
        ValueError,
        r"learning_rate must be a finite",
    ),
    (
        "fit lr str",
        lambda c: c.model.fit(c.clips, learning_rate="0.1"),
        TypeError,
        r"learning_rate must be a real",
    ),
    (
        "fit schedule",
        lambda c: c.model.fit(c.clips, schedule="linear"),
        ValueError,
        r"schedule must be one of",
    ),
    (
        "fit verbose 3",
        lambda c: c.model.fit(c.clips, verbose=3),
        ValueError,
        r"verbose must be one of",
    ),
    ("fit verbose bool", lambda c: c.model.fit(c.clips, verbose=True), TypeError, r"verbose"),
    ("fit callbacks", lambda c: c.model.fit(c.clips, callbacks=[1]), TypeError, r"callbacks\[0\]"),
    ("fit freeze str", lambda c: c.model.fit(c.clips, freeze_cnn="yes"), TypeError, r"freeze_cnn"),
    (
        "fit validation array",
        lambda c: c.model.fit(c.clips, validation=V),
        TypeError,
        r"validation must be a Clips",
    ),
    (
        "fit validation size",
        lambda c: c.model.fit(c.clips, validation=cap.moving_digits(2, n_frames=3, size=40)),
        ValueError,
        r"validation do not fit this model",
    ),
    (
        "fit other strategy",
        lambda c: c.model.fit(c.clips, strategy=c.other_strategy),
        ValueError,
        r"strategy must be the one the model was built under",
    ),
    (
        "fit NaN pixel",
        lambda c: c.model.fit(with_pixel(c.clips, np.nan)),
        ValueError,
        r"videos must hold finite",
    ),
    (
        "fit inf pixel",
        lambda c: c.model.fit(with_pixel(c.clips, np.inf)),
        ValueError,
        r"videos must hold finite",
    ),
    (
        "fit 0..255",
        lambda c: c.model.fit(scaled_by_255(c.clips)),
        ValueError,
        r"divide them by 255",
    ),
    (
        "fit negative pixel",
        lambda c: c.model.fit(with_pixel(c.clips, -0.5)),
        ValueError,
        r"pixels in \[0, 1\]",
    ),
    (
        "fit frames",
        lambda c: c.model.fit(cap.moving_digits(2, n_frames=4, size=32)),
        ValueError,
        r"have 4 frames of 32x32x1, the model was built for 3 frames",
    ),
    (
        "fit words",
        lambda c: c.model.fit(cap.moving_digits(2, n_frames=3, size=32, order_dependent=True)),
        ValueError,
        r"vocabulary does not have",
    ),
    (
        "fit empty",
        lambda c: c.model.fit(c.clips[:0]),
        ValueError,
        r"clips must hold at least one clip",
    ),
    # caption, attention, evaluate
    (
        "caption uint8",
        lambda c: c.model.caption(V.astype(np.uint8)),
        TypeError,
        r"divide 8-bit images by 255",
    ),
    ("caption 0..255", lambda c: c.model.caption(V + 200.0), ValueError, r"divide them by 255"),
    ("caption NaN", lambda c: c.model.caption(V * np.nan), ValueError, r"videos must hold finite"),
    (
        "caption shape",
        lambda c: c.model.caption(V[..., 0]),
        ValueError,
        r"videos must have shape \(N, 3, 32, 32, 1\)",
    ),
    (
        "caption frame size",
        lambda c: c.model.caption(np.zeros((2, 3, 40, 40, 1))),
        ValueError,
        r"got \(2, 3, 40, 40, 1\)",
    ),
    (
        "caption empty",
        lambda c: c.model.caption(V[:0]),
        ValueError,
        r"videos must hold at least one clip",
    ),
    ("caption str", lambda c: c.model.caption("clips"), TypeError, r"videos must be an array"),
    (
        "caption other clips",
        lambda c: c.model.caption(cap.moving_digits(2, n_frames=5, size=32)),
        ValueError,
        r"have 5 frames",
    ),
    (
        "beam 0",
        lambda c: c.model.caption(V, beam_width=0),
        ValueError,
        r"beam_width must be an integer >= 1",
    ),
    (
        "beam float",
        lambda c: c.model.caption(V, beam_width=1.5),
        TypeError,
        r"beam_width must be an integer",
    ),
    (
        "beam bool",
        lambda c: c.model.caption(V, beam_width=True),
        TypeError,
        r"beam_width must be an integer",
    ),
    (
        "attention NaN",
        lambda c: c.model.attention(V * np.nan),
        ValueError,
        r"videos must hold finite",
    ),
    ("attention 0..255", lambda c: c.model.attention(scaled_by_255(c.clips)), ValueError, r"255"),
    ("evaluate array", lambda c: c.model.evaluate(V), TypeError, r"clips must be a Clips"),
    (
        "evaluate frames",
        lambda c: c.model.evaluate(cap.moving_digits(2, n_frames=5, size=32)),
        ValueError,
        r"have 5 frames",
    ),
    (
        "evaluate words",
        lambda c: c.model.evaluate(cap.moving_digits(2, n_digits=2, n_frames=3, size=32)),
        ValueError,
        r"vocabulary does not have",
    ),
    (
        "evaluate NaN",
        lambda c: c.model.evaluate(with_pixel(c.clips, np.nan)),
        ValueError,
        r"finite",
    ),
    # pretrain
    ("pretrain mean", lambda c: c.model.pretrain(c.clips), ValueError, r"pooling='digits'"),
    (
        "pretrain bare",
        lambda c: c.slots.pretrain(cap.Clips(c.digits.videos, c.digits.captions)),
        ValueError,
        r"digits and positions",
    ),
    (
        "pretrain NaN",
        lambda c: c.slots.pretrain(with_pixel(c.digits, np.nan)),
        ValueError,
        r"finite",
    ),
    (
        "pretrain size",
        lambda c: c.slots.pretrain(cap.moving_digits(2, n_digits=2, n_frames=3, size=40)),
        ValueError,
        r"40x40x1",
    ),
    ("pretrain epochs", lambda c: c.slots.pretrain(c.digits, epochs=0), ValueError, r"epochs"),
    (
        "pretrain lr inf",
        lambda c: c.slots.pretrain(c.digits, learning_rate=float("inf")),
        ValueError,
        r"learning_rate",
    ),
    (
        "pretrain array",
        lambda c: c.slots.pretrain(c.digits.videos),
        TypeError,
        r"clips must be a Clips",
    ),
    # save and load
    (
        "save npz",
        lambda c: c.model.save(c.tmp / "model.npz"),
        ValueError,
        r"path must end in '.keras'",
    ),
    ("save int", lambda c: c.model.save(123), TypeError, r"path must be a str"),
    ("save folder", lambda c: c.model.save(c.tmp / "folder.keras"), ValueError, r"is a folder"),
    (
        "save no folder",
        lambda c: c.model.save(c.tmp / "nope" / "m.keras"),
        FileNotFoundError,
        r"not found",
    ),
    (
        "load missing",
        lambda c: cap.load_captioner(c.tmp / "missing.keras"),
        LoadError,
        r"missing.keras.*no such file",
    ),
    (
        "load folder",
        lambda c: cap.load_captioner(c.tmp / "folder.keras"),
        LoadError,
        r"folder.keras.*folder",
    ),
    (
        "load noise",
        lambda c: cap.load_captioner(c.tmp / "noise.keras"),
        LoadError,
        r"noise.keras.*not a .keras file",
    ),
    (
        "load calculator",
        lambda c: cap.load_captioner(c.tmp / "calculator.keras"),
        LoadError,
        r"calculator.keras.*holds a Calculator",
    ),
    ("load int", lambda c: cap.load_captioner(123), TypeError, r"path must be a str"),
    (
        "load strategy",
        lambda c: cap.load_captioner(c.tmp / "x.keras", strategy=1),
        TypeError,
        r"strategy must be",
    ),
    # figures
    ("show uint8", lambda c: cap.show_clips(V.astype(np.uint8), ["a", "b"]), TypeError, r"255"),
    ("show count", lambda c: cap.show_clips(V, ["a"]), ValueError, r"2 videos but 1 captions"),
    ("show str", lambda c: cap.show_clips(V, "a b"), TypeError, r"captions must be a list"),
    (
        "show predicted",
        lambda c: cap.show_clips(V, ["a", "b"], predicted=["a"]),
        ValueError,
        r"predicted must hold 2",
    ),
    (
        "show max_frames",
        lambda c: cap.show_clips(V, ["a", "b"], max_frames=0),
        ValueError,
        r"max_frames",
    ),
    (
        "draw str",
        lambda c: cap.draw_architecture("model"),
        TypeError,
        r"model must be a Captioner or 'notebook'",
    ),
    (
        "animate uint8",
        lambda c: cap.animate_clips(V.astype(np.uint8), ["a", "b"]),
        TypeError,
        r"255",
    ),
    ("animate NaN", lambda c: cap.animate_clips(V * np.nan), ValueError, r"finite"),
    (
        "animate fps",
        lambda c: cap.animate_clips(c.clips, fps=0),
        ValueError,
        r"fps must be a number > 0",
    ),
    ("animate scale", lambda c: cap.animate_clips(c.clips, scale=0), ValueError, r"scale must be"),
    (
        "animate captions",
        lambda c: cap.animate_clips(c.clips, ["a"]),
        ValueError,
        r"4 videos but 1 captions",
    ),
    (
        "gif alt",
        lambda c: cap.animate_clips(c.clips).to_html(alt=""),
        ValueError,
        r"alt must describe",
    ),
    (
        "draw steps",
        lambda c: cap.draw_architecture(c.model, steps=9),
        ValueError,
        r"steps must be an integer >= 2 and <= 6",
    ),
    (
        "draw steps float",
        lambda c: cap.draw_architecture(c.model, steps=2.5),
        TypeError,
        r"steps must be an integer",
    ),
    # found by benchmarks/probe.py
    (
        "greedy nan",
        lambda c: greedy_search(nan_step, (np.zeros(1),), start_id=0, end_id=1, max_steps=3),
        ValueError,
        r"non-finite log-probabilities",
    ),
    (
        "beam nan",
        lambda c: beam_search(nan_step, (np.zeros(1),), start_id=0, end_id=1, max_steps=3, width=2),
        ValueError,
        r"non-finite log-probabilities",
    ),
    (
        "greedy step not callable",
        lambda c: greedy_search(5, (np.zeros(1),), start_id=0, end_id=1, max_steps=3),
        TypeError,
        r"step must be a function",
    ),
    (
        "greedy start_id str",
        lambda c: greedy_search(step, (np.zeros(1),), start_id="a", end_id=1, max_steps=3),
        TypeError,
        r"start_id must be an integer",
    ),
    ("clips tuple index", lambda c: c.clips[(0, 1)], IndexError, r"tuple.*pass a list"),
    ("clips empty caption", lambda c: cap.Clips(V, ["a", ""]), ValueError, r"captions\[1\]"),
    ("clips load empty", lambda c: cap.Clips.load(empty_file(c)), LoadError, r"empty\.npz"),
    ("clips load cut", lambda c: cap.Clips.load(truncated_npz(c)), LoadError, r"cut\.npz"),
    ("decode big id", lambda c: vocab(c).decode([10**6]), ValueError, r"ids must be <="),
    ("decode negative", lambda c: vocab(c).decode([-1]), ValueError, r"ids must be >= 0"),
    ("decode float", lambda c: vocab(c).decode([1.5]), TypeError, r"ids must be an array of int"),
    ("decode str", lambda c: vocab(c).decode("abc"), TypeError, r"ids must be a sequence"),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_a_clear_error(ctx, call, error, message):
    before = [w.copy() for w in ctx.model.keras_model.get_weights()]
    slots_before = [w.copy() for w in ctx.slots.keras_model.get_weights()]
    with pytest.raises(error, match=message):
        call(ctx)
    # A refused call changes nothing.
    for w0, w1 in zip(before, ctx.model.keras_model.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)
    for w0, w1 in zip(slots_before, ctx.slots.keras_model.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)


def test_there_are_many_cases():
    assert len(CASES) >= 170
    assert len({c[0] for c in CASES}) == len(CASES)


VALID = [
    (
        "numpy ints",
        lambda c: cap.moving_digits(np.int64(2), n_frames=np.int8(3), size=np.int16(32)),
    ),
    ("generator seed", lambda c: cap.moving_digits(2, size=32, seed=np.random.default_rng(1))),
    ("None seed", lambda c: cap.moving_digits(2, size=32, seed=None)),
    (
        "numpy bool",
        lambda c: cap.moving_digits(2, n_frames=3, size=32, order_dependent=np.bool_(True)),
    ),
    ("beam int64", lambda c: c.model.caption(c.clips, beam_width=np.int64(2))),
    ("float64 videos", lambda c: c.model.caption(c.clips.videos.astype(np.float64))),
    ("list videos", lambda c: c.model.caption(c.clips.videos[:1].tolist())),
    (
        "numpy lr and epochs",
        lambda c: c.model.fit(
            c.clips, epochs=np.int64(1), learning_rate=np.float32(1e-9), verbose=np.int64(0)
        ),
    ),
    ("tuple captions", lambda c: cap.Clips(V, ("a", "b"))),
    ("empty selection", lambda c: c.clips[np.zeros(4, bool)]),
    ("numpy steps", lambda c: cap.draw_architecture(c.model, steps=np.int64(3))),
    (
        "colour clips",
        lambda c: cap.moving_digits(
            2, n_frames=(2, 4), size=(32, 40), channels=np.int64(3), colors=np.bool_(True)
        ),
    ),
    ("frame range as list", lambda c: cap.moving_digits(2, n_frames=[2, 3], size=[32, 32])),
    ("shorter clips padded", lambda c: c.model.caption(c.clips.videos[:, :2])),
    (
        "extra zero frames",
        lambda c: c.model.caption(np.pad(c.clips.videos, ((0, 0), (0, 2), (0, 0), (0, 0), (0, 0)))),
    ),
    ("animate array", lambda c: cap.animate_clips(c.clips.videos)),
    ("notebook design", lambda c: cap.draw_architecture("notebook", steps=np.int64(2))),
    (
        "build numpy sizes",
        lambda c: cap.build_captioner(
            c.clips, hidden=np.int64(8), embed_dim=np.int32(4), dropout=np.float32(0.1)
        ),
    ),
]


@pytest.mark.parametrize("call", [v[1] for v in VALID], ids=[v[0] for v in VALID])
def test_valid_input_is_accepted(ctx, call):
    call(ctx)


def test_an_allocation_that_fails_says_how_much_was_asked(monkeypatch):
    # Under an address-space limit NumPy can refuse videos that pass the
    # half-the-memory guard; the error must still name the sizes to shrink.
    zeros = np.zeros

    def refuse_videos(shape, *args, **kwargs):
        if np.ndim(shape) == 1 and len(shape) == 5:
            raise MemoryError("Unable to allocate")
        return zeros(shape, *args, **kwargs)

    monkeypatch.setattr(np, "zeros", refuse_videos)
    with pytest.raises(MemoryError, match=r"2 clips of 7 frames of 32x32x1 need .* GiB"):
        cap.moving_digits(2, n_frames=7, size=32)
