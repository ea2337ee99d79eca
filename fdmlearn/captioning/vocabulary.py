"""Words to token ids and back, with the special tokens a decoder needs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from fdmlearn._checks import check_array, check_int

__all__ = ["Vocabulary", "words_of"]


def words_of(caption: Any, name: str = "caption") -> list[str]:
    """The words of a caption: lower-cased, split on whitespace."""
    if not isinstance(caption, str):
        raise TypeError(f"{name} must be a string, got {type(caption).__name__}")
    return caption.lower().split()


class Vocabulary:
    """Maps caption words to integer ids and back.

    Ids 0 to 3 are the special tokens ``<pad>`` (fills short captions),
    ``<start>`` (the decoder's first input), ``<end>`` (the decoder's last
    output) and ``<unk>`` (a word not seen when the vocabulary was made).
    Captions are lower-cased and split on whitespace; words beyond
    `max_words` are dropped, so every encoded caption fits.

    Args:
        words: The known words, a list of strings without spaces (duplicates
            are ignored, order is kept, upper case is lowered).
        max_words: Longest caption, in words, that the model handles (1 to 100).

    Raises:
        TypeError: If `words` is a single string (give a list of words, or use
            `Vocabulary.from_captions`) or holds a non-string.
        ValueError: If `max_words` < 1, a word is empty, holds whitespace or
            is a special token.

    Examples:
        >>> from fdmlearn.captioning import Vocabulary
        >>> vocab = Vocabulary.from_captions(["the digit 7 moves up", "the digit 1 moves down"])
        >>> len(vocab)
        11
        >>> ids = vocab.encode("the digit 7 moves sideways")
        >>> ids
        [4, 5, 6, 7, 3]
        >>> vocab.decode(ids)
        'the digit 7 moves <unk>'
        >>> vocab
        Vocabulary(11 tokens: <pad> <start> <end> <unk> the digit 7 moves up 1 down; max_words=10)
    """

    PAD, START, END, UNK = "<pad>", "<start>", "<end>", "<unk>"
    SPECIAL = (PAD, START, END, UNK)
    pad_id, start_id, end_id, unk_id = 0, 1, 2, 3

    def __init__(self, words: Iterable[str], max_words: int = 10) -> None:
        # The decoder is unrolled over max_words + 1 steps: 100 keeps that graph small.
        self.max_words = check_int("max_words", max_words, minimum=1, maximum=100)
        if isinstance(words, str | bytes):
            raise TypeError(
                f"words must be a list of words, got the single string {words!r:.40}; "
                "use Vocabulary(caption.split()) or Vocabulary.from_captions([caption])"
            )
        try:
            words = list(words)
        except TypeError:
            raise TypeError(
                f"words must be a list of strings, got {type(words).__name__}"
            ) from None
        tokens = list(self.SPECIAL)
        for i, w in enumerate(words):
            if not isinstance(w, str):
                raise TypeError(f"words[{i}] must be a string, got {type(w).__name__}")
            if w in self.SPECIAL:
                raise ValueError(f"words must not contain the special token {w!r}")
            if not w or w.split() != [w]:
                raise ValueError(f"words[{i}] must be one word without spaces, got {w!r}")
            w = w.lower()
            if w not in tokens:
                tokens.append(w)
        self.tokens = tokens
        self._ids = {w: i for i, w in enumerate(tokens)}

    @classmethod
    def from_captions(cls, captions: Iterable[str], max_words: int = 10) -> Vocabulary:
        """A vocabulary of every word in `captions`, in order of first appearance.

        Args:
            captions: Training captions.
            max_words: Longest caption, in words, that the model handles.

        Returns:
            The vocabulary.

        Raises:
            TypeError: If `captions` is a single string or holds a non-string.
            ValueError: If there are no captions.
        """
        if isinstance(captions, str | bytes):
            raise TypeError("captions must be a list of captions, got a single string")
        captions = list(captions)
        if not captions:
            raise ValueError("captions must not be empty")
        words = [w for i, c in enumerate(captions) for w in words_of(c, f"captions[{i}]")]
        return cls(words, max_words=max_words)

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self.tokens == other.tokens and self.max_words == other.max_words

    __hash__ = None  # type: ignore[assignment]  # mutable-looking: equal by content

    def __repr__(self) -> str:
        shown = " ".join(self.tokens[:16]) + (" ..." if len(self.tokens) > 16 else "")
        return f"Vocabulary({len(self)} tokens: {shown}; max_words={self.max_words})"

    def unknown_words(self, captions: Iterable[str]) -> list[str]:
        """The words of `captions` that this vocabulary does not hold, sorted."""
        return sorted({w for c in captions for w in words_of(c) if w not in self._ids})

    def encode(self, caption: str) -> list[int]:
        """Word ids of a caption (no special tokens but ``<unk>``), at most `max_words`."""
        return [self._ids.get(w, self.unk_id) for w in words_of(caption)[: self.max_words]]

    def decode(self, ids: Iterable[int]) -> str:
        """The caption of a sequence of ids, stopping at ``<end>`` or after
        `max_words` words, skipping pad and start."""
        if isinstance(ids, str | bytes) or not isinstance(ids, Iterable | np.ndarray):
            raise TypeError(
                f"ids must be a sequence of integer token ids, got {type(ids).__name__}"
            )
        ids = ids if isinstance(ids, np.ndarray) else list(ids)
        if len(ids) == 0:
            return ""
        # An id the vocabulary does not hold is a bug upstream, not an unknown word.
        ids = check_array("ids", ids, ndim=1, kind="int", minimum=0, maximum=len(self.tokens) - 1)
        out: list[str] = []
        for i in ids.tolist():
            if i == self.end_id or len(out) == self.max_words:
                break
            if i in (self.pad_id, self.start_id):
                continue
            out.append(self.tokens[i])
        return " ".join(out)

    def teacher_forcing(self, captions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Decoder inputs and targets for training with teacher forcing.

        Args:
            captions: N captions.

        Returns:
            `(inputs, targets)`, int32 arrays (N, max_words + 1): inputs are
            ``<start> w1 ... wn <pad>...``, targets ``w1 ... wn <end> <pad>...``.

        Examples:
            >>> from fdmlearn.captioning import Vocabulary
            >>> vocab = Vocabulary(["a", "b"], max_words=3)
            >>> x, y = vocab.teacher_forcing(["a b"])
            >>> x.tolist(), y.tolist()
            ([[1, 4, 5, 0]], [[4, 5, 2, 0]])
        """
        if isinstance(captions, str):
            raise TypeError("captions must be a list of captions, got a single string")
        length = self.max_words + 1
        inputs = np.full((len(captions), length), self.pad_id, dtype=np.int32)
        targets = np.full((len(captions), length), self.pad_id, dtype=np.int32)
        for row, caption in enumerate(captions):
            ids = self.encode(caption)
            inputs[row, : len(ids) + 1] = [self.start_id, *ids]
            targets[row, : len(ids) + 1] = [*ids, self.end_id]
        return inputs, targets

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this vocabulary: ``Vocabulary(**config)``."""
        return {"words": self.tokens[len(self.SPECIAL) :], "max_words": self.max_words}
