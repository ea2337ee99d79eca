"""Training on the 0/1 reward itself: self-critical sequence training (REINFORCE).

The exact-match (0/1) loss has zero gradient almost everywhere: a small
change of the weights almost never changes the greedy caption. Its
*expectation* under captions sampled from the model, E[r(w)] with
w ~ p(w | video), does change smoothly, and its gradient is

    grad E[r] = E[(r(w) - b) grad log p(w | video)]

for any baseline b that does not depend on w (REINFORCE, Williams 1992).
Self-critical training (Rennie et al., CVPR 2017) takes as b the reward of
the model's own greedy caption: a sampled caption is pushed up when it does
better than what the model would say now, and down when it does worse, so
the model learns exactly where its greedy answer is wrong.

`Captioner.fit(..., objective="exact_match")` runs it on the layers after the
frame encoder (whose outputs are computed once), starting from the
cross-entropy model.
"""

from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np

from fdmlearn._checks import check_int, check_real
from fdmlearn._training import check_callbacks, check_verbose, restoring_weights
from fdmlearn.captioning.network import in_chunks
from fdmlearn.errors import NonFiniteLossError

__all__ = ["self_critical"]


def _train_step(model: Any, optimizer: keras.optimizers.Optimizer, variables: list) -> Any:
    import tensorflow as tf

    decoder, after, v = model.decoder, model._parts.after, model.vocabulary
    steps = v.max_words + 1

    def decode(x: Any, projected: Any, mask: Any, sample: bool) -> tuple[Any, Any]:
        batch = tf.shape(x)[0]
        h, c = decoder.initial_state(x)
        word = tf.fill((batch,), v.start_id)
        tokens, log_probs = [], []
        for _ in range(steps):  # short captions: unrolled into the graph
            logits, h, c, _ = decoder.step(x, projected, mask, word, h, c, training=False)
            if sample:
                word = tf.random.categorical(logits, 1, dtype=tf.int32)[:, 0]
            else:
                word = tf.argmax(logits, axis=-1, output_type=tf.int32)
            log_probs.append(tf.gather(tf.nn.log_softmax(logits), word, batch_dims=1))
            tokens.append(word)
        return tf.stack(tokens, axis=1), tf.stack(log_probs, axis=1)

    def reward(tokens: Any, targets: Any) -> tuple[Any, Any]:
        # A caption is right when its tokens up to and including <end> are the true ones.
        is_end = tf.cast(tokens == v.end_id, tf.int32)
        before_end = tf.cumsum(is_end, axis=1, exclusive=True) == 0  # up to the first <end>
        said = tf.where(before_end, tokens, v.pad_id)
        right = tf.reduce_all(said == targets, axis=1)
        return tf.cast(right, tf.float32), tf.cast(before_end, tf.float32)

    @tf.function(reduce_retracing=True)
    def step(features: Any, mask: Any, targets: Any) -> tuple[Any, Any, Any]:
        with tf.GradientTape() as tape:
            x = features
            for layer in after:
                x = layer(x, training=False)  # sampling explores; no dropout on top of it
            projected = decoder.project(x)
            sampled, log_probs = decode(x, projected, mask, sample=True)
            greedy, _ = decode(x, projected, mask, sample=False)
            r_sample, alive = reward(sampled, targets)
            r_greedy, _ = reward(tf.stop_gradient(greedy), targets)
            advantage = tf.stop_gradient(r_sample - r_greedy)
            loss = -tf.reduce_mean(advantage * tf.reduce_sum(log_probs * alive, axis=1))
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        return loss, tf.reduce_mean(r_sample), tf.reduce_mean(r_greedy)

    return step


def self_critical(
    model: Any,
    clips: Any,
    *,
    epochs: Any,
    batch_size: Any,
    learning_rate: Any,
    validation: Any,
    callbacks: Any,
    verbose: Any,
) -> keras.callbacks.History:
    """`Captioner.fit(..., objective="exact_match")` (see there)."""
    clips = model._check_clips(clips)
    videos = model._check_videos(clips.videos)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    learning_rate = check_real("learning_rate", learning_rate, minimum=0, open_min=True)
    verbose, callbacks = check_verbose(verbose), check_callbacks(callbacks)
    if validation is not None:
        validation = model._check_clips(validation, "validation")
    if model.strategy is not None:
        raise ValueError(
            "objective='exact_match' trains with its own loop on one device; build or load "
            "the model without a strategy for it"
        )
    features, mask = in_chunks(model._parts.cnn_part, videos)
    _, targets = model.vocabulary.teacher_forcing(clips.captions)
    variables = [
        w for layer in (*model._parts.after, model.decoder) for w in layer.trainable_weights
    ]
    optimizer = keras.optimizers.Adam(learning_rate)
    step = _train_step(model, optimizer, variables)
    history = keras.callbacks.History()
    listeners = [*callbacks, history]
    for cb in listeners:
        cb.set_model(model._parts.head)
        cb.on_train_begin()
    rng = np.random.default_rng()
    n_steps = math.ceil(len(videos) / batch_size)
    t0 = time.perf_counter()
    with restoring_weights(model.keras_model):
        for epoch in range(epochs):
            for cb in listeners:
                cb.on_epoch_begin(epoch)
            bar = keras.utils.Progbar(n_steps, verbose=1 if verbose in ("auto", 1) else 0)
            order = rng.permutation(len(videos))
            sums = np.zeros(3)
            for i in range(n_steps):
                rows = order[i * batch_size : (i + 1) * batch_size]
                values = [float(v) for v in step(features[rows], mask[rows], targets[rows])]
                if not math.isfinite(values[0]):
                    raise NonFiniteLossError(
                        f"Captioner.fit(objective='exact_match'): the loss became {values[0]} "
                        f"at epoch {epoch + 1}, batch {i + 1}, so training stopped and the "
                        "weights were restored to their values before this call; try a "
                        "smaller learning_rate"
                    )
                sums += np.array(values) * len(rows)
                bar.update(i + 1, [("reward", values[1]), ("greedy_reward", values[2])])
            loss, r_sample, r_greedy = (float(x) for x in sums / len(videos))
            logs = {"loss": loss, "reward": r_sample, "greedy_reward": r_greedy}
            if validation is not None:
                logs["val_exact_match"] = model.evaluate(validation)["exact_match"]
            if verbose == 2:
                print(
                    f"epoch {epoch + 1}/{epochs}: "
                    + ", ".join(f"{k} {v:.4f}" for k, v in logs.items())
                )
            for cb in listeners:
                cb.on_epoch_end(epoch, logs)
        if not all(np.isfinite(w.numpy()).all() for w in variables):
            raise NonFiniteLossError(
                "Captioner.fit(objective='exact_match'): the weights became non-finite, so "
                "they were restored to their values before this call"
            )
    for cb in listeners:
        cb.on_train_end()
    model.train_seconds += time.perf_counter() - t0
    for key, values in history.history.items():
        model.history.setdefault(f"exact_match_{key}", []).extend(float(x) for x in values)
    return history
