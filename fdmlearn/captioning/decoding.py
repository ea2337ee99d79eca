"""Greedy decoding and beam search, as pure functions over a step function.

Neither function knows about Keras: a decoder is anything that, given its
state and the last token of every row, returns the log-probabilities of the
next token and its new state::

    step(state, tokens) -> (log_probs, state)

`tokens` is an int array (B,), `log_probs` a float array (B, vocabulary
size), and `state` a tuple of NumPy arrays whose first axis is the row (B):
beam search copies and reorders rows of it as beams are kept or dropped.
The caption model's step reads the video features and the LSTM state from
`state`; the tests use a step function of a few lines whose best sentence
greedy decoding misses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from fdmlearn._checks import check_int

__all__ = ["beam_search", "greedy_search"]


def _check_common(step: Any, start_id: Any, end_id: Any, max_steps: Any) -> tuple[int, int, int]:
    if not callable(step):
        raise TypeError(
            "step must be a function step(state, tokens) -> (log_probs, state), "
            f"got {type(step).__name__}"
        )
    return (
        check_int("start_id", start_id, minimum=0),
        check_int("end_id", end_id, minimum=0),
        check_int("max_steps", max_steps, minimum=1),
    )


def _checked_log_probs(log_probs: Any) -> np.ndarray:
    # -inf is a legitimate log-probability (an impossible token); NaN or +inf
    # would make argmax pick token 0 and every score NaN without a word.
    a = np.asarray(log_probs, dtype=np.float64)
    if np.isnan(a).any() or np.isposinf(a).any():
        raise ValueError(
            "step returned non-finite log-probabilities (NaN or +inf): "
            "the decoder's weights or inputs hold non-finite values"
        )
    return a


State = tuple[np.ndarray, ...]
Step = Callable[[State, np.ndarray], tuple[np.ndarray, State]]


def greedy_search(
    step: Step,
    state: State,
    *,
    start_id: int,
    end_id: int,
    max_steps: int,
    observe: Callable[[State], Any] | None = None,
) -> tuple[np.ndarray, list[Any]]:
    """Pick the most likely token at every step (the notebook's decoding).

    Args:
        step: The decoder, ``step(state, tokens) -> (log_probs, state)``.
        state: The initial state, a tuple of arrays with one row per sequence.
        start_id: The token fed in first.
        end_id: The token that ends a sequence; decoding stops once every row
            has produced it (or after `max_steps` tokens).
        max_steps: Most tokens per sequence, the end token included.
        observe: Called with the state after every step; the results are
            returned (the caption model uses it to collect attention weights).

    Returns:
        `(tokens, observed)`: an int array (B, steps) of the chosen tokens,
        and the list of `observe`'s results, one per step.

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.captioning.decoding import greedy_search
        >>> def step(state, tokens):  # always prefers token (last + 1), up to 3 = end
        ...     logp = np.full((len(tokens), 4), -5.0)
        ...     logp[np.arange(len(tokens)), np.minimum(tokens + 1, 3)] = 0.0
        ...     return logp, state
        >>> greedy_search(step, (np.zeros(2),), start_id=0, end_id=3, max_steps=5)[0].tolist()
        [[1, 2, 3], [1, 2, 3]]
    """
    start_id, end_id, max_steps = _check_common(step, start_id, end_id, max_steps)
    n = len(state[0])
    tokens = np.full(n, start_id, dtype=np.int32)
    out, observed = [], []
    done = np.zeros(n, dtype=bool)
    for _ in range(max_steps):
        log_probs, state = step(state, tokens)
        tokens = _checked_log_probs(log_probs).argmax(axis=-1).astype(np.int32)
        out.append(tokens)
        if observe is not None:
            observed.append(observe(state))
        done |= tokens == end_id
        if done.all():
            break
    return np.stack(out, axis=1), observed


def beam_search(
    step: Step,
    state: State,
    *,
    start_id: int,
    end_id: int,
    max_steps: int,
    width: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the `width` most likely partial sequences; return the best whole one.

    A sequence's score is the sum of its tokens' log-probabilities. At each
    step every kept sequence is extended by every token, and the `width` best
    of these (per row of `state`) are kept. A finished sequence (one that
    produced `end_id`) stays as it is at no cost, and at the last step every
    sequence must end, so the sequences compared are whole ones. With
    `width=1` this is greedy decoding.

    Args:
        step: The decoder, ``step(state, tokens) -> (log_probs, state)``.
        state: The initial state, a tuple of arrays with one row per sequence
            to decode; every row is copied `width` times.
        start_id: The token fed in first.
        end_id: The token that ends a sequence.
        max_steps: Most tokens per sequence, the end token included.
        width: Sequences kept per row, >= 1.

    Returns:
        `(tokens, scores)`: the best sequence of every row, an int array
        (B, steps) padded with `end_id` after its end, and its total
        log-probability (B,).

    Examples:
        >>> import numpy as np
        >>> from fdmlearn.captioning.decoding import beam_search
        >>> def step(state, tokens):  # after token 1 the end is unlikely; after 2 it is sure
        ...     table = np.log([[.1, .5, .4], [.2, .5, .3], [1e-9, 1e-9, 1.0], [.1, .5, .4]])
        ...     return table[tokens], state
        >>> tokens, score = beam_search(step, (np.zeros(1),), start_id=3, end_id=2,
        ...                             max_steps=3, width=2)
        >>> tokens.tolist(), round(float(np.exp(score[0])), 2)
        ([[2, 2, 2]], 0.4)
    """
    start_id, end_id, max_steps = _check_common(step, start_id, end_id, max_steps)
    width = check_int("width", width, minimum=1)
    n = len(state[0])
    rows = np.arange(n)[:, None]
    state = tuple(np.repeat(np.asarray(s), width, axis=0) for s in state)
    tokens = np.full(n * width, start_id, dtype=np.int32)
    # Only the first beam is live at the start, so the beams do not all copy it.
    scores = np.full((n, width), -np.inf)
    scores[:, 0] = 0.0
    seqs = np.zeros((n, width, 0), dtype=np.int32)
    finished = np.zeros((n, width), dtype=bool)
    for t in range(max_steps):
        log_probs, state = step(state, tokens)
        log_probs = _checked_log_probs(log_probs).reshape(n, width, -1).copy()
        v = log_probs.shape[-1]
        if t == max_steps - 1:
            # The longest sequence must end here: rank the beams by their ending.
            log_probs[..., np.arange(v) != end_id] = -np.inf
        # A finished sequence can only be followed by more end tokens, for free.
        log_probs[finished] = -np.inf
        log_probs[finished, end_id] = 0.0
        total = (scores[:, :, None] + log_probs).reshape(n, width * v)
        best = np.argsort(-total, axis=1, kind="stable")[:, :width]
        beam, token = best // v, (best % v).astype(np.int32)
        scores = total[rows, best]
        seqs = np.concatenate([seqs[rows, beam], token[..., None]], axis=2)
        finished = finished[rows, beam] | (token == end_id)
        keep = (rows * width + beam).ravel()
        state = tuple(np.asarray(s)[keep] for s in state)
        tokens = token.ravel()
        if finished.all():
            break
    return seqs[:, 0], scores[:, 0]
