"""Tests of fdmlearn.captioning: data, vocabulary, metrics, model, decoding, persistence."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from fdmlearn import captioning as cap
from fdmlearn.datasets import mnist_split

ONE = re.compile(r"^the digit [0-9] moves (horizontally|vertically|diagonally)$")
TURN = re.compile(r"^the digit [0-9] moves (left|right|up|down) then (left|right|up|down)$")
TWO = re.compile(
    r"^digit ([0-9]) moves (horizontally|vertically|diagonally) "
    r"and digit ([0-9]) moves (horizontally|vertically|diagonally)$"
)


def centre_of_mass(videos: np.ndarray) -> np.ndarray:
    """(N, T, 2) centre of mass (row, column) of every frame."""
    mass = videos[..., 0].sum(axis=(2, 3))
    rows = np.arange(videos.shape[2])
    y = (videos[..., 0].sum(axis=3) * rows).sum(axis=2) / mass
    x = (videos[..., 0].sum(axis=2) * rows).sum(axis=2) / mass
    return np.stack([y, x], axis=-1)


# ----------------------------------------------------------------------------- data


def test_moving_digits_shapes_and_range():
    clips = cap.moving_digits(6, n_frames=5, size=40, seed=3)
    assert clips.videos.shape == (6, 5, 40, 40, 1)
    assert clips.videos.dtype == np.float32
    assert 0.0 <= clips.videos.min() and clips.videos.max() <= 1.0
    assert len(clips) == len(clips.captions) == 6
    # Every frame shows the whole digit: the ink is the same in every frame.
    ink = clips.videos.sum(axis=(2, 3, 4))
    np.testing.assert_allclose(ink, ink[:, :1].repeat(5, axis=1), rtol=1e-5)


def test_moving_digits_is_seeded():
    a = cap.moving_digits(5, seed=7)
    b = cap.moving_digits(5, seed=7)
    c = cap.moving_digits(5, seed=8)
    np.testing.assert_array_equal(a.videos, b.videos)
    assert a.captions == b.captions
    assert not np.array_equal(a.videos, c.videos)


def test_digits_come_from_the_chosen_split():
    # Each clip's first frame holds, somewhere, one image of that split pixel for pixel.
    clips = cap.moving_digits(4, size=32, n_frames=2, split="test", seed=0)
    images, labels = mnist_split("test")
    flat = images.reshape(len(images), -1).astype(np.float32) / 255
    for video, digit in zip(clips.videos, clips.digits[:, 0], strict=True):
        frame = video[0, :, :, 0]
        found = False
        for y in range(5):
            for x in range(5):
                crop = frame[y : y + 28, x : x + 28].ravel()
                if np.isclose(crop.sum(), flat.sum(axis=1)).any():
                    match = np.abs(flat - crop).max(axis=1) < 1e-6
                    if match.any():
                        assert digit in labels[match]
                        found = True
        assert found


@pytest.mark.parametrize("n_digits", [1, 2])
def test_captions_follow_the_grammar(n_digits):
    clips = cap.moving_digits(200, n_digits=n_digits, n_frames=3, size=32, seed=1)
    pattern = ONE if n_digits == 1 else TWO
    for caption, digits in zip(clips.captions, clips.digits, strict=True):
        assert 5 <= len(caption.split()) <= 10
        m = pattern.match(caption)
        assert m, caption
        if n_digits == 2:
            # The smaller digit is named first, so the caption is unique.
            assert (m[1], m[2]) <= (m[3], m[4])
            assert sorted(digits.tolist()) == [int(m[1]), int(m[3])]
        else:
            assert caption.split()[2] == str(digits[0])
    assert len({c.split()[-1] for c in clips.captions}) == 3


def test_bouncing_motion_matches_caption():
    clips = cap.moving_digits(60, n_frames=10, size=64, seed=2)
    com = centre_of_mass(clips.videos)
    spread = com.max(axis=1) - com.min(axis=1)  # (N, 2): rows, columns
    for (dy, dx), caption in zip(spread, clips.captions, strict=True):
        motion = caption.split()[-1]
        assert (dx > 1) == (motion in ("horizontally", "diagonally")), caption
        assert (dy > 1) == (motion in ("vertically", "diagonally")), caption


def test_turn_directions_match_caption():
    clips = cap.moving_digits(60, n_frames=9, size=64, seed=4, order_dependent=True)
    com = centre_of_mass(clips.videos)
    step = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}
    for c, caption in zip(com, clips.captions, strict=True):
        m = TURN.match(caption)
        assert m, caption
        assert m[1] != m[2]
        first, second = c[4] - c[0], c[8] - c[4]
        np.testing.assert_allclose(np.sign(np.round(first, 3)), step[m[1]])
        np.testing.assert_allclose(np.sign(np.round(second, 3)), step[m[2]])
        assert 7 == len(caption.split())


def test_turns_pause_at_the_corner_when_steps_are_odd():
    # 10 frames = 9 steps: 4 in each direction and one still step, so that a
    # clip's time reversal is exactly another clip the generator makes.
    clips = cap.moving_digits(5, n_frames=10, seed=5, order_dependent=True)
    com = centre_of_mass(clips.videos)
    np.testing.assert_allclose(com[:, 4], com[:, 5], atol=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be >= 1"),
        ({"n": 2.5}, "n must be an integer"),
        ({"n": 2, "n_digits": 3}, "n_digits must be 1 or 2"),
        ({"n": 2, "size": 20}, "size must be >= 32"),
        ({"n": 2, "n_frames": 1}, "n_frames must be >= 2"),
        ({"n": 2, "split": "val"}, "split must be"),
        ({"n": 2, "n_digits": 2, "order_dependent": True}, "n_digits=1"),
        ({"n": 2, "size": 32, "n_frames": 20, "order_dependent": True}, "too small"),
    ],
)
def test_moving_digits_rejects_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cap.moving_digits(**kwargs)


def test_clips_reject_bad_input():
    with pytest.raises(ValueError, match="shape"):
        cap.Clips(np.zeros((2, 3, 32, 32)), ["a", "b"])
    with pytest.raises(ValueError, match="must not be empty"):
        cap.Clips(np.zeros((0, 3, 32, 32, 1)), [])
    with pytest.raises(ValueError, match="2 videos but 1 captions"):
        cap.Clips(np.zeros((2, 3, 32, 32, 1)), ["a"])


def test_clips_slicing_keeps_everything_aligned():
    clips = cap.moving_digits(5, n_frames=2, size=32)
    part = clips[[4, 1]]
    assert part.captions == [clips.captions[4], clips.captions[1]]
    np.testing.assert_array_equal(part.videos[0], clips.videos[4])
    assert part.digits.tolist() == clips.digits[[4, 1]].tolist()
    np.testing.assert_array_equal(part.positions, clips.positions[[4, 1]])


@pytest.mark.parametrize("order_dependent", [False, True])
def test_positions_say_where_each_digit_is(order_dependent):
    clips = cap.moving_digits(20, n_frames=6, size=48, seed=6, order_dependent=order_dependent)
    assert clips.positions.shape == (20, 1, 6, 2)
    assert clips.positions.min() >= 0 and clips.positions.max() <= 48 - 28
    for video, pos in zip(clips.videos, clips.positions[:, 0], strict=True):
        for frame, (y, x) in zip(video[..., 0], pos, strict=True):
            # All the ink lies in the 28x28 square at the digit's position.
            assert frame[y : y + 28, x : x + 28].sum() == pytest.approx(frame.sum())


def test_two_digit_positions_hold_both_digits():
    clips = cap.moving_digits(10, n_digits=2, n_frames=4, size=64, seed=2)
    assert clips.positions.shape == (10, 2, 4, 2)
    for video, pos in zip(clips.videos, clips.positions, strict=True):
        for t, frame in enumerate(video[..., 0]):
            covered = np.zeros_like(frame, dtype=bool)
            for y, x in pos[:, t]:
                covered[y : y + 28, x : x + 28] = True
            assert frame[~covered].sum() == 0


# ----------------------------------------------------------------------------- words


def test_vocabulary_round_trip_and_special_tokens():
    clips = cap.moving_digits(50, n_frames=2, size=32)
    vocab = cap.Vocabulary.from_captions(clips.captions)
    assert vocab.tokens[:4] == ["<pad>", "<start>", "<end>", "<unk>"]
    for caption in clips.captions:
        assert vocab.decode(vocab.encode(caption)) == caption
        assert vocab.decode([*vocab.encode(caption), vocab.end_id, 5, 6]) == caption


def test_vocabulary_handles_unknown_and_long_captions():
    vocab = cap.Vocabulary(["a", "b"], max_words=3)
    assert vocab.decode(vocab.encode("a zebra b")) == "a <unk> b"
    assert vocab.encode("a b a b a") == [4, 5, 4]
    # A decoder that never says <end> still gives at most max_words words.
    assert vocab.decode([4, 5, 4, 5, 4]) == "a b a"
    inputs, targets = vocab.teacher_forcing(["a b a b a", "b"])
    assert inputs.tolist() == [[1, 4, 5, 4], [1, 5, 0, 0]]
    assert targets.tolist() == [[4, 5, 4, 2], [5, 2, 0, 0]]
    with pytest.raises(ValueError, match="captions must not be empty"):
        cap.Vocabulary.from_captions([])
    with pytest.raises(ValueError, match="special token"):
        cap.Vocabulary(["<end>"])


# ----------------------------------------------------------------------------- metrics


def test_exact_match_and_word_accuracy():
    ref = ["the digit 7 moves up then left", "the digit 1 moves vertically"]
    assert cap.exact_match(ref, ref) == 1.0
    pred = ["the digit 7 moves up then right", "the digit 1 moves vertically"]
    assert cap.exact_match(pred, ref) == 0.5
    assert cap.word_accuracy(pred, ref) == pytest.approx(11 / 12)
    # An extra word costs a position too.
    assert cap.word_accuracy(["a b c"], ["a b"]) == pytest.approx(2 / 3)


def test_bleu4_by_hand():
    assert cap.bleu4(["a b c d e"], ["a b c d e"]) == pytest.approx(1.0)
    expected = (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    got = cap.bleu4(["the cat sat on the mat"], ["the cat sat on a mat"])
    assert got == pytest.approx(expected)
    # Brevity penalty: 5 predicted words against 7 reference words.
    short = cap.bleu4(["a b c d e"], ["a b c d e f g"])
    assert short == pytest.approx(math.exp(1 - 7 / 5))
    # Corpus-level: counts are summed before the precisions are taken.
    corpus = cap.bleu4(["a b c d", "w x y z"], ["a b c d", "w x y q"])
    assert corpus == pytest.approx((7 / 8 * 5 / 6 * 3 / 4 * 1 / 2) ** 0.25)
    assert cap.bleu4(["a b c"], ["a b c"]) == 0.0  # no 4-gram to match


@pytest.mark.parametrize("metric", [cap.exact_match, cap.word_accuracy, cap.bleu4])
def test_metrics_reject_bad_input(metric):
    with pytest.raises(ValueError, match="one prediction per reference"):
        metric(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="must not be empty"):
        metric([], [])
    with pytest.raises(TypeError, match="single string"):
        metric("a b", "a b")


# ----------------------------------------------------------------------------- model


@pytest.fixture(scope="module")
def tiny():
    """A tiny model trained until it captions its 8 training clips exactly."""
    clips = cap.moving_digits(8, n_frames=4, size=32, seed=11)
    model = cap.build_captioner(
        clips, pooling="attention", feature_dim=80, hidden=48, embed_dim=16, dropout=0.0, seed=0
    )
    model.fit(clips, epochs=120, batch_size=8, learning_rate=1e-2)
    return model, clips


def test_tiny_model_overfits_to_exact_match(tiny):
    model, clips = tiny
    scores = model.evaluate(clips)
    assert scores["exact_match"] == 1.0, model.caption(clips.videos)
    assert scores["word_accuracy"] == 1.0
    assert scores["bleu4"] == pytest.approx(1.0)
    assert model.history["loss"][-1] < model.history["loss"][0] / 10


def test_beam_width_one_is_greedy_and_beam_search_works(tiny):
    model, clips = tiny
    greedy = model.caption(clips.videos)
    assert model.caption(clips.videos, beam_width=1) == greedy
    # The beam search itself, run with one beam, takes the same path as greedy decoding.
    assert [model.vocabulary.decode(ids) for ids in model._beam(clips.videos, 1)] == greedy
    beam = model.caption(clips.videos, beam_width=3)
    assert beam == greedy  # the model is sure of every word here
    untrained = cap.build_captioner(clips, seed=1)
    for caption in untrained.caption(clips.videos, beam_width=4):
        assert len(caption.split()) <= 10


def test_save_and_load_give_identical_captions(tiny, tmp_path):
    model, clips = tiny
    model.save(tmp_path / "model")
    loaded = cap.load_captioner(tmp_path / "model.npz")
    assert loaded.config == model.config
    assert loaded.vocabulary.tokens == model.vocabulary.tokens
    assert loaded.caption(clips.videos) == model.caption(clips.videos)
    assert loaded.caption(clips.videos, beam_width=2) == model.caption(clips.videos, beam_width=2)
    inputs, _ = model.vocabulary.teacher_forcing(clips.captions)
    np.testing.assert_array_equal(
        loaded.keras_model.predict([clips.videos, inputs], verbose=0),
        model.keras_model.predict([clips.videos, inputs], verbose=0),
    )
    with pytest.raises(FileNotFoundError, match="no such file"):
        cap.load_captioner(tmp_path / "missing.npz")


def test_mean_pooling_cannot_see_frame_order():
    # The lesson of the order-dependent captions, in one assertion: reversing
    # the frames leaves the mean-pooled video vector, hence every word, unchanged.
    clips = cap.moving_digits(6, n_frames=5, size=32, seed=3, order_dependent=True)
    reversed_videos = clips.videos[:, ::-1].copy()
    mean = cap.build_captioner(clips, pooling="mean", seed=0)
    inputs, _ = mean.vocabulary.teacher_forcing(clips.captions)
    a = mean.keras_model.predict([clips.videos, inputs], verbose=0)
    b = mean.keras_model.predict([reversed_videos, inputs], verbose=0)
    np.testing.assert_allclose(a, b, atol=1e-5)
    attention = cap.build_captioner(clips, pooling="attention", seed=0)
    a = attention.keras_model.predict([clips.videos, inputs], verbose=0)
    b = attention.keras_model.predict([reversed_videos, inputs], verbose=0)
    assert np.abs(a - b).max() > 1e-4


def test_attention_weights_are_distributions(tiny):
    model, clips = tiny
    captions, weights = model.attention(clips.videos[:3])
    assert len(captions) == 3
    assert weights.shape[0] == 3 and weights.shape[2] == 4
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)


def test_fit_under_a_distribution_strategy_keeps_weights():
    import tensorflow as tf

    clips = cap.moving_digits(4, n_frames=2, size=32, seed=0)
    model = cap.build_captioner(clips, feature_dim=72, hidden=8, embed_dim=4, seed=0)
    before = [w.numpy() for w in model.keras_model.trainable_weights]
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    model.fit(clips, epochs=1, batch_size=4, learning_rate=1e-9, strategy=strategy)
    after = [w.numpy() for w in model.keras_model.trainable_weights]
    assert len(after) == len(before)
    for w0, w1 in zip(before, after, strict=True):
        np.testing.assert_allclose(w0, w1, atol=1e-6)
    assert len(model.history["loss"]) == 1
    assert len(model.caption(clips.videos)) == 4


def test_model_rejects_bad_input():
    clips = cap.moving_digits(3, n_frames=3, size=32)
    model = cap.build_captioner(clips, feature_dim=72, hidden=8, embed_dim=4)
    with pytest.raises(ValueError, match=r"shape \(N, 3, 32, 32, 1\)"):
        model.caption(np.zeros((2, 3, 32, 32), "float32"))
    with pytest.raises(ValueError, match=r"got \(2, 3, 40, 40, 1\)"):
        model.caption(np.zeros((2, 3, 40, 40, 1), "float32"))
    with pytest.raises(ValueError, match=r"got \(2, 4, 32, 32, 1\)"):
        model.caption(np.zeros((2, 4, 32, 32, 1), "float32"))
    with pytest.raises(TypeError, match="float"):
        model.caption(np.zeros((2, 3, 32, 32, 1), "uint8"))
    with pytest.raises(ValueError, match="beam_width"):
        model.caption(clips.videos, beam_width=0)
    with pytest.raises(TypeError, match="Clips"):
        model.fit(clips.videos)
    with pytest.raises(ValueError, match="epochs"):
        model.fit(clips, epochs=0)
    with pytest.raises(ValueError, match="pooling must be"):
        cap.build_captioner(clips, pooling="max")
    with pytest.raises(ValueError, match="dropout"):
        cap.build_captioner(clips, dropout=1.0)
    with pytest.raises(ValueError, match="feature_dim must be an integer > 64"):
        cap.build_captioner(clips, feature_dim=64)


# ----------------------------------------------------------------------------- digit slots


def test_detection_targets_peak_at_each_digit_centre():
    digits = np.array([[3, 7]])
    positions = np.array([[[[0, 36]], [[20, 4]]]])  # (1 clip, 2 digits, 1 frame, 2)
    targets = cap._detection_targets(digits, positions, size=64, grid=8)
    assert targets.shape == (1, 8, 8, 10)
    # Centres (14, 50) and (34, 18) pixels lie in cells (1, 6) and (4, 2).
    assert np.unravel_index(targets[0, :, :, 3].argmax(), (8, 8)) == (1, 6)
    assert np.unravel_index(targets[0, :, :, 7].argmax(), (8, 8)) == (4, 2)
    others = np.delete(targets, [3, 7], axis=-1)
    assert others.max() == 0 and targets.max() <= 1


def test_digit_slots_count_two_copies_of_a_digit():
    maps = np.zeros((2, 3, 8, 8, 10), "float32")
    maps[:, :, 2, 2, 5] = 1.0  # a 5 standing still in both clips
    maps[1, :, 6, 1:4, 5] = [1.0, 0.0, 0.0]  # a second 5 in clip 1 only
    maps[1, 1, 6, 1:4, 5] = [0.0, 1.0, 0.0]  # ...moving right
    maps[1, 2, 6, 1:4, 5] = [0.0, 0.0, 1.0]
    slots = np.asarray(cap._DigitSlots()(maps))
    assert slots.shape == (2, 10, 2 + 4 * 16)
    np.testing.assert_allclose(slots[:, 5, :2], [[1, 1], [1, 2]])  # presence, count
    assert slots[:, [0, 1, 2, 3, 4, 6, 7, 8, 9]].max() == 0
    # The averaged column profile of clip 1 shows a still digit and one spread over 3 columns.
    np.testing.assert_allclose(slots[1, 5, 2:10], [0, 1 / 3, 1 + 1 / 3, 1 / 3, 0, 0, 0, 0])


@pytest.fixture(scope="module")
def two_digit_clips():
    return cap.moving_digits(16, n_digits=2, n_frames=4, size=32, seed=12)


def test_pretraining_teaches_the_detector(two_digit_clips):
    clips = two_digit_clips
    model = cap.build_captioner(clips, pooling="digits", hidden=16, embed_dim=8, seed=0)
    decoder = [w.copy() for w in model.decoder.get_weights()]
    history = model.pretrain(clips, epochs=6, batch_size=16)
    assert history["loss"][-1] < history["loss"][0] / 2
    assert model.history["pretrain_loss"] == history["loss"]
    maps = np.asarray(model.frame_cnn(clips.videos[:, 0], training=False))
    assert maps.shape == (16, 8, 8, 10)
    assert 0 <= maps.min() and maps.max() <= 1
    # Only the detector learns here; the decoder waits for the captions.
    for w0, w1 in zip(decoder, model.decoder.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)


def test_digit_slot_model_captions_saves_and_loads(two_digit_clips, tmp_path):
    clips = two_digit_clips
    model = cap.build_captioner(clips, pooling="digits", hidden=16, embed_dim=8, seed=0)
    detector = [w.copy() for w in model.frame_cnn.get_weights()]
    model.fit(clips, epochs=1, batch_size=8, freeze_cnn=True)
    for w0, w1 in zip(detector, model.frame_cnn.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)  # frozen: not even batch-norm statistics move
    captions, weights = model.attention(clips.videos[:3])
    assert weights.shape[0] == 3 and weights.shape[2] == 10
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    model.save(tmp_path / "slots")
    loaded = cap.load_captioner(tmp_path / "slots.npz")
    assert loaded.caption(clips.videos) == model.caption(clips.videos)


@pytest.mark.parametrize("pooling", ["mean", "digits"])
def test_frozen_fit_trains_only_the_layers_after_the_cnn(two_digit_clips, pooling):
    clips = two_digit_clips
    model = cap.build_captioner(
        clips, pooling=pooling, feature_dim=72, hidden=16, embed_dim=8, seed=0
    )
    cnn = [w.copy() for w in model.frame_cnn.get_weights()]
    decoder = [w.copy() for w in model.decoder.get_weights()]
    history = model.fit(clips, epochs=3, batch_size=8, freeze_cnn=True, validation=clips[:4])
    assert history["loss"][-1] < history["loss"][0]
    assert len(history["val_loss"]) == 3
    for w0, w1 in zip(cnn, model.frame_cnn.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)
    assert not any(
        np.array_equal(w0, w1) for w0, w1 in zip(decoder, model.decoder.get_weights(), strict=True)
    )
    # The frozen epochs trained a second model on CNN outputs computed once; it shares
    # its weights with the full model, which must now compute the same logits.
    inputs, _ = model.vocabulary.teacher_forcing(clips.captions)
    full = model.keras_model([clips.videos, inputs], training=False)
    features = np.asarray(model._cnn_part(clips.videos, training=False))
    head = model._head([features, inputs], training=False)
    np.testing.assert_allclose(np.asarray(full), np.asarray(head), rtol=1e-5, atol=1e-5)


def test_pretrain_rejects_bad_input(two_digit_clips):
    clips = two_digit_clips
    mean = cap.build_captioner(clips, feature_dim=72, hidden=8, embed_dim=4)
    with pytest.raises(ValueError, match="pooling='digits'"):
        mean.pretrain(clips)
    model = cap.build_captioner(clips, pooling="digits", hidden=8, embed_dim=4)
    bare = cap.Clips(clips.videos, clips.captions)
    with pytest.raises(ValueError, match="digits and positions"):
        model.pretrain(bare)
    with pytest.raises(ValueError, match=r"got \(16, 4, 40, 40, 1\)"):
        model.pretrain(cap.moving_digits(16, n_digits=2, n_frames=4, size=40))
    with pytest.raises(ValueError, match="epochs"):
        model.pretrain(clips, epochs=0)
    with pytest.raises(TypeError, match="Clips"):
        model.pretrain(clips.videos)


# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize("pooling", ["mean", "attention", "digits"])
def test_draw_architecture(pooling):
    clips = cap.moving_digits(2, n_frames=3, size=32)
    model = cap.build_captioner(clips, pooling=pooling, feature_dim=72, hidden=8, embed_dim=4)
    fig = cap.draw_architecture(model, steps=3)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert ("attention over frames" in texts) == (pooling == "attention")
    assert ("mean pooling" in texts) == (pooling == "mean")
    assert ("digit\ndetector" in texts) == (pooling == "digits")
    assert "<end>" in texts and "<start>" in texts
    with pytest.raises(TypeError, match="Captioner"):
        cap.draw_architecture("model")
    with pytest.raises(ValueError, match="steps"):
        cap.draw_architecture(model, steps=9)


def test_show_clips():
    clips = cap.moving_digits(3, n_frames=12, size=32)
    fig = cap.show_clips(clips.videos, clips.captions, predicted=clips.captions, max_frames=6)
    assert len(fig.axes) == 3 * 6
    with pytest.raises(ValueError, match="one per video"):
        cap.show_clips(clips.videos, clips.captions[:2])


# ----------------------------------------------------------------------------- full scale


@pytest.mark.slow
def test_one_digit_full_training_reaches_target():
    train = cap.moving_digits(20000, seed=0)
    test = cap.moving_digits(1000, split="test", seed=1)
    model = cap.build_captioner(train)
    model.fit(train, epochs=12, batch_size=32)  # the benchmark's settings
    assert model.evaluate(test)["exact_match"] >= 0.97
    assert model.train_seconds < 15 * 60


@pytest.mark.slow
def test_two_digit_slot_model_reaches_target():
    train = cap.moving_digits(20000, n_digits=2, seed=0)
    test = cap.moving_digits(1000, n_digits=2, split="test", seed=1)
    frames = cap.moving_digits(30000, n_digits=2, n_frames=2, seed=2)
    model = cap.build_captioner(train, pooling="digits")
    # The benchmark's three stages: detector, decoder on the frozen detector, both.
    model.pretrain(frames, epochs=3)
    model.fit(train, epochs=15, batch_size=64, freeze_cnn=True)
    model.fit(train, epochs=2, batch_size=32)
    assert model.evaluate(test)["exact_match"] >= 0.90
    assert model.train_seconds < 15 * 60
