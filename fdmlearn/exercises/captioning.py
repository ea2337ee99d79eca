"""The model-design exercise: a caption model for short video clips.

The assignment asks for six decisions (input format, number of layers,
type of layers, regularization, model output, loss) and how training and
execution differ. An answer is a `CaptionDesign` (or a dict with the same
keys) of short texts; `check` reads each one for the ideas a rubric looks
for, and names the known design mistakes: the exact-match (0/1) loss as the
training loss, no end token, mean pooling when the caption depends on the
order of events, no teacher forcing. Texts are read by keywords, so write
the idea plainly ("cross-entropy per word", "mean pooling over frames").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fdmlearn._checks import check_int, check_rng
from fdmlearn.exercises.feedback import Document, Feedback, Part, _register, setup_line

__all__ = ["CaptionDesign", "CaptioningExercise", "captioning"]

D = {
    name: _register(f"captioning.{name}", title, meaning)
    for name, title, meaning in [
        (
            "zero_one_loss",
            "0/1 (exact-match) loss as the training loss",
            "The exact-match loss is 1 or 0: its gradient is zero almost everywhere, so "
            "gradient descent cannot learn from it. It is the evaluation *metric*; train with "
            "cross-entropy on each next word.",
        ),
        (
            "no_end_token",
            "no end token",
            "Captions have 5 to 10 words; without an <end> token in the vocabulary the decoder "
            "cannot say where a caption stops.",
        ),
        (
            "order_blind_pooling",
            "mean pooling for order-dependent captions",
            "Averaging frame vectors forgets their order: a clip and the same clip played "
            "backwards get the same vector, so 'sits down' and 'stands up' cannot be told apart. "
            "Read the frames in order (an LSTM encoder) or attend over position-tagged frames.",
        ),
        (
            "no_teacher_forcing",
            "no teacher forcing at training",
            "While training, the decoder's input at step t should be the true word t - 1 (teacher "
            "forcing); feeding back its own early, wrong guesses makes training slow and unstable.",
        ),
        (
            "single_image_input",
            "a single image as input",
            "The input is a clip: a sequence of frames, (frames, height, width, 3) per clip and "
            "(batch, frames, height, width, 3) per batch; one image cannot show motion.",
        ),
        (
            "caption_as_one_class",
            "each caption as one class",
            "Treating every caption as a class (one softmax over whole captions) cannot produce a "
            "caption it has not seen; the output is a sequence of words, a softmax over the "
            "vocabulary at each step.",
        ),
        (
            "mse_on_words",
            "squared error on word ids",
            "Word ids are labels, not quantities: word 7 is not closer to word 8 than to word 900. "
            "Use cross-entropy over the vocabulary.",
        ),
        (
            "ground_truth_at_inference",
            "ground truth fed at inference",
            "At execution time there is no true caption: the decoder feeds back its own previous "
            "word (greedy or beam search) until it emits <end>.",
        ),
        (
            "no_regularization",
            "no regularization",
            "A few seconds of video and a short caption per clip is little data for a CNN and an "
            "RNN: use dropout, weight decay, early stopping or a pretrained CNN.",
        ),
    ]
}

FIELDS = (
    "input",
    "layers",
    "layer_types",
    "regularization",
    "output",
    "loss",
    "training",
    "inference",
)


@dataclass
class CaptionDesign:
    """An answer to the design exercise: short texts, one per decision.

    Attributes:
        input: The input data format (shape of a clip and of a batch).
        layers: The number of layers (or of stages).
        layer_types: The types of the layers, and how the frames are combined.
        regularization: The regularization used.
        output: What the model outputs.
        loss: The training loss.
        training: How training works (what the decoder reads at each step).
        inference: How a caption is produced at execution time.
    """

    input: str | None = None
    layers: int | str | None = None
    layer_types: str | Sequence[str] | None = None
    regularization: str | Sequence[str] | None = None
    output: str | None = None
    loss: str | None = None
    training: str | None = None
    inference: str | None = None

    def __post_init__(self) -> None:
        if self.layers is not None and not isinstance(self.layers, str):
            self.layers = check_int("layers", self.layers, minimum=1)


_WORD_NUMBERS = {
    w: i
    for i, w in enumerate(
        ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"), 1
    )
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, Sequence):
        return " ; ".join(str(v) for v in value).lower()
    return str(value).lower()


def _has(text: str, *stems: str) -> bool:
    return any(re.search(stem, text) for stem in stems)


_POOL = (r"\bmean\b", r"\baverag", r"\bmax[- ]?pool", r"\bsum(med)? over", r"\bpooling over")
_ORDERED = (
    r"lstm encoder",
    r"encoder lstm",
    r"reads? the frames in order",
    r"in order",
    r"attention",
    r"3d conv",
    r"conv3d",
    r"temporal conv",
    r"sequence[- ]to[- ]sequence",
    r"seq2seq",
    r"position",
    r"transformer",
)
_RECURRENT = (r"\brnn\b", r"lstm", r"\bgru\b", r"recurren", r"transformer", r"decoder")
_CONV = (r"\bcnn\b", r"conv", r"vgg", r"resnet", r"inception")
_END = (r"\bend\b", r"<end>", r"\beos\b", r"\bstop\b", r"end[- ]of[- ]sentence", r"end token")
_CROSS = (r"cross[- ]?entropy", r"log[- ]?likelihood", r"\bnll\b", r"log[- ]loss", r"categorical")
_ZERO_ONE = (r"0\s*/\s*1", r"zero[- ]one", r"exact[- ]match", r"\baccuracy\b", r"\bbleu\b")
_MSE = (r"\bmse\b", r"squared error", r"mean squared", r"\bl2 loss")
_TEACHER = (
    r"teacher[- ]forc",
    r"(true|ground[- ]truth|correct|reference) (previous )?word",
    r"shifted (caption|target)",
    r"previous (true|ground[- ]truth|correct) word",
)
_OWN = (
    r"own (previous )?(prediction|output|guess|word)",
    r"predicted (previous )?word",
    r"feeds? back",
)
_REGULAR = (
    r"dropout",
    r"weight decay",
    r"\bl2\b",
    r"regulari[sz]",
    r"augment",
    r"early stop",
    r"pretrain",
    r"pre-train",
    r"batch ?norm",
    r"label smoothing",
)


# Longer than most classes on purpose: one exercise is one class, and its text, its right
# answers and one short `_check_<decision>` method per decision belong together.
class CaptioningExercise:
    """The caption-model design exercise.

    Attributes:
        frames: Frames per clip.
        frame_size: Height and width of a frame.
        words: (min, max) words per caption.
        order_dependent: Whether captions depend on the order of events
            (then mean pooling over frames is a mistake).
        seed: The variant's seed (`None`: the assignment).
    """

    def __init__(
        self,
        frames: int,
        frame_size: int,
        words: tuple[int, int],
        order_dependent: bool,
        seed: Any = None,
    ) -> None:
        self.frames = frames
        self.frame_size = frame_size
        self.words = words
        self.order_dependent = order_dependent
        self.seed = seed

    @property
    def title(self) -> str:
        which = "the assignment's task" if self.seed is None else f"variant {self.seed}"
        return f"Designing a video caption model ({which})"

    def _repr_markdown_(self) -> str:
        return self.statement().markdown

    def __repr__(self) -> str:
        return (
            f"CaptioningExercise(frames={self.frames}, frame_size={self.frame_size}, "
            f"words={self.words}, order_dependent={self.order_dependent})"
        )

    def statement(self) -> Document:
        """The task, in Markdown.

        Examples:
            >>> from fdmlearn import exercises
            >>> print(str(exercises.captioning().statement()).splitlines()[0])
            ### Designing a video caption model (the assignment's task)
        """
        lo, hi = self.words
        what = (
            "Captions describe what happens, in order (e.g. *a man opens the door and walks "
            "out*): the same frames played backwards would need another caption."
            if self.order_dependent
            else "Captions name what is in the clip (e.g. *a red car on a snowy road*); they do "
            "not depend on the order of the frames."
        )
        text = f"""
### {self.title}

Generate captions for short video clips. A clip is a sequence of about {self.frames} colour
frames of ${self.frame_size} \\times {self.frame_size}$ pixels; each training clip has one
caption of {lo} to {hi} words. {what} The model is evaluated on the exact caption: the right
words in the right order.

Describe, and justify: the input data format, the number of layers, the type of layers
(Dense, recurrent, convolutional 1D/2D/3D), the regularization, the model output and the loss
function; and how training and execution (captioning a new clip) differ.

{setup_line("captioning", self.seed)} check with
`ex.check({{"input": ..., "layers": ..., "layer_types": ..., "regularization": ...,
"output": ..., "loss": ..., "training": ..., "inference": ...}})` (or a
`CaptionDesign`), one short text per decision.
"""
        return Document(text)

    def solution(self) -> Document:
        """A model answer, with the reason for each decision.

        Examples:
            >>> from fdmlearn import exercises
            >>> "teacher forcing" in str(exercises.captioning().solution())
            True
        """
        t, s = self.frames, self.frame_size
        frames = (
            "read in order by an LSTM encoder (or attended over with position-tagged frames): "
            "the caption depends on the order of events, and mean pooling would forget it"
            if self.order_dependent
            else "mean-pooled into one video vector (the caption does not depend on the order "
            "of the frames, so nothing is lost), or attended over"
        )
        text = f"""
### Solution: {self.title}

- **Input:** one clip is a tensor (frames, height, width, 3) = ({t}, {s}, {s}, 3), floats in
  [0, 1]; a batch is 5-D, (batch, {t}, {s}, {s}, 3). Captions are token ids with `<start>`,
  `<end>` and padding.
- **Layers:** three stages: a CNN applied to every frame (`TimeDistributed(Conv2D ...)`,
  often pretrained), a frame encoder, and a recurrent decoder with a `Dense` softmax output.
- **Layer types:** 2-D convolutions per frame; the frame vectors {frames}; an LSTM decoder
  whose input at each step is the previous word's embedding and the video vector.
- **Regularization:** dropout (and weight decay), early stopping on a validation set, a CNN
  pretrained on images.
- **Output:** a sequence of words: at each step a softmax over the vocabulary, ending when the
  model emits `<end>` (at most {self.words[1] + 1} steps).
- **Loss:** cross-entropy of each next word (the sum over the caption). The exact-match (0/1)
  accuracy is the evaluation metric; it cannot be trained on, its gradient is zero almost
  everywhere.
- **Training:** teacher forcing: the decoder reads the true previous word (the caption shifted
  by one), all steps at once.
- **Execution:** no caption is known: start from `<start>`, feed back the model's own previous
  word (greedy, or beam search), stop at `<end>`.
"""
        return Document(text)

    def answers(self) -> dict[str, Any]:
        """A complete right answer in the form `check` takes.

        Examples:
            >>> from fdmlearn import exercises
            >>> ex = exercises.captioning()
            >>> ex.check(ex.answers()).ok
            True
        """
        frames = (
            "an LSTM encoder reads the frames in order"
            if self.order_dependent
            else ("mean pooling over the frames")
        )
        return {
            "input": f"a clip is a sequence of frames, (frames, height, width, 3); a batch is "
            f"(batch, {self.frames}, {self.frame_size}, {self.frame_size}, 3)",
            "layers": 3,
            "layer_types": f"Conv2D CNN per frame (TimeDistributed), {frames}, LSTM decoder, "
            "Dense softmax",
            "regularization": "dropout and weight decay, early stopping",
            "output": "a sequence of words: a softmax over the vocabulary at each step, until "
            "the <end> token",
            "loss": "cross-entropy of each next word",
            "training": "teacher forcing: the decoder reads the true previous word",
            "inference": "greedy decoding: feed back the predicted word until <end>",
        }

    # ----------------------------------------------------------------- checking

    def check(self, design: Any = None, /, **parts: Any) -> Feedback:
        """Grade a design against the rubric, decision by decision.

        Args:
            design: A `CaptionDesign`, a dict with its keys, or any object with
                those attributes. Keyword arguments add to (or replace) it.

        Returns:
            A `Feedback`, one part per decision.

        Raises:
            TypeError: If a key is not one of the decisions.

        Examples:
            >>> from fdmlearn import exercises
            >>> seed_answer = {"layer_types": "VGG CNN per frame, mean pooling, LSTM",
            ...                "output": "a sequence of at most 10 words with an END tag",
            ...                "loss": "the 0/1 loss, as we want the exact caption"}
            >>> exercises.captioning().check(seed_answer).diagnoses
            ('captioning.order_blind_pooling', 'captioning.zero_one_loss')
        """
        if design is None:
            given: dict[str, Any] = {}
        elif isinstance(design, Mapping):
            given = dict(design)
        elif dataclasses.is_dataclass(design):
            given = {f.name: getattr(design, f.name) for f in dataclasses.fields(design)}
        else:
            given = {f: getattr(design, f) for f in FIELDS if hasattr(design, f)}
        given.update(parts)
        for key in given:
            if key not in FIELDS:
                raise TypeError(
                    f"check() got an unknown decision {key!r}; "
                    f"the decisions are {', '.join(FIELDS)}"
                )
        texts = {k: _text(given.get(k)) for k in FIELDS}
        out = []
        for key in FIELDS:
            if given.get(key) in (None, "", [], ()):
                out.append(Part(key, "missing", "not answered"))
            else:
                out.append(getattr(self, f"_check_{key}")(texts[key], texts, given[key]))
        return Feedback(self.title, tuple(out))

    def _check_input(self, text: str, _all: dict, _raw: Any) -> Part:
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        sequence = _has(
            text, r"frame", r"sequence", r"video", r"clip", r"\btime", r"[45]-?d\b", r"\bt\b"
        )
        if not sequence:
            return Part(
                "input",
                "wrong",
                "a clip is a sequence of frames: (frames, height, width, 3)",
                (D["single_image_input"],),
            )
        if numbers and len(numbers) == 3 and 3 in numbers:
            return Part(
                "input",
                "wrong",
                "that is the shape of one image; a clip adds the frames axis",
                (D["single_image_input"],),
            )
        if not _has(text, r"\b3\b", r"colou?r", r"rgb", r"channel", r"[45]-?d\b"):
            return Part("input", "incomplete", "say the shape: (frames, height, width, 3) per clip")
        return Part("input", "right", "a sequence of colour frames, (frames, height, width, 3)")

    def _check_layers(self, text: str, _all: dict, raw: Any) -> Part:
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        if isinstance(raw, int | np.integer):
            numbers = [int(raw)]
        if isinstance(raw, bool | np.bool_) or not isinstance(raw, int | np.integer | str):
            return Part("layers", "incomplete", "give the number of layers as a whole number")
        words = re.findall(r"\b(one|two|three|four|five|six|seven|eight|nine|ten)\b", text)
        numbers += [_WORD_NUMBERS[w] for w in words]
        if not numbers:
            # An answer with no count in it must never pass as right.
            return Part("layers", "incomplete", "say how many layers (or stages) the model has")
        if max(numbers) < 2:
            return Part("layers", "wrong", "one layer cannot both read frames and write words")
        return Part("layers", "right", "a frame CNN, an encoder or pooling, a recurrent decoder")

    def _check_layer_types(self, text: str, texts: dict, _raw: Any) -> Part:
        problems, tags = [], []
        if not _has(text, *_CONV):
            problems.append("frames are images: read them with a (2-D) CNN")
        if not _has(text, *_RECURRENT):
            problems.append("a caption is a sequence of words: use a recurrent decoder (LSTM/GRU)")
        pooled = _has(text, *_POOL) and not _has(text, *_ORDERED)
        if pooled and self.order_dependent:
            tags.append(D["order_blind_pooling"])
            problems.append(
                "mean pooling forgets the order of the frames, and these captions depend on it "
                "(a clip played backwards would get the same caption): read the frames in order "
                "(an LSTM encoder) or attend over position-tagged frames"
            )
        if problems:
            return Part("layer_types", "wrong", "; ".join(problems), tuple(tags))
        note = (
            " (mean pooling is fine here: the captions do not depend on the order)"
            if pooled
            else ""
        )
        return Part("layer_types", "right", "a CNN per frame and a recurrent decoder" + note)

    def _check_regularization(self, text: str, _all: dict, _raw: Any) -> Part:
        if _has(text, *_REGULAR):
            return Part("regularization", "right", "named and fitting")
        return Part(
            "regularization",
            "incomplete",
            "little data per clip: use dropout, weight decay, early stopping or a pretrained CNN",
            (D["no_regularization"],),
        )

    def _check_output(self, text: str, texts: dict, _raw: Any) -> Part:
        if _has(
            text,
            r"one class",
            r"single class",
            r"class per caption",
            r"each caption (is|as) a class",
            r"one label",
        ):
            return Part(
                "output",
                "wrong",
                "one class per caption cannot produce a new caption; output a word at each step",
                (D["caption_as_one_class"],),
            )
        problems, tags = [], []
        if not _has(text, r"word", r"token", r"sequence", r"caption", r"vocab", r"(each|per) step"):
            problems.append("the output is a sequence of words")
        everything = " ".join(texts.values())
        if not _has(everything, *_END):
            tags.append(D["no_end_token"])
            problems.append(
                f"captions have {self.words[0]} to {self.words[1]} words: the vocabulary needs an "
                "<end> token, or the decoder cannot say where a caption stops"
            )
        if problems:
            return Part("output", "wrong", "; ".join(problems), tuple(tags))
        if not _has(text, r"softmax", r"probab", r"distribution", r"vocab"):
            return Part(
                "output", "incomplete", "say what each step outputs: a softmax over the vocabulary"
            )
        return Part("output", "right", "a word distribution per step, until <end>")

    def _check_loss(self, text: str, _all: dict, _raw: Any) -> Part:
        cross = _has(text, *_CROSS)
        if _has(text, *_ZERO_ONE) and not cross:
            return Part(
                "loss",
                "wrong",
                "the exact-match (0/1) loss has zero gradient almost everywhere, so gradient "
                "descent cannot train on it; train with cross-entropy per word, then, if you "
                "like, on the expected 0/1 reward of sampled captions (REINFORCE)",
                (D["zero_one_loss"],),
            )
        if _has(text, *_MSE) and not cross:
            return Part(
                "loss",
                "wrong",
                "word ids are labels, not quantities: use cross-entropy over the vocabulary",
                (D["mse_on_words"],),
            )
        if cross:
            return Part("loss", "right", "cross-entropy of each next word")
        return Part("loss", "wrong", "train with the cross-entropy of each next word")

    def _check_training(self, text: str, _all: dict, _raw: Any) -> Part:
        if _has(text, *_TEACHER):
            return Part("training", "right", "teacher forcing: the true previous word as input")
        if _has(text, *_OWN):
            return Part(
                "training",
                "wrong",
                "feeding back its own guesses while training is slow and unstable: feed the true "
                "previous word (teacher forcing)",
                (D["no_teacher_forcing"],),
            )
        return Part(
            "training",
            "incomplete",
            "say what the decoder reads at each training step: the true previous word (teacher "
            "forcing)",
            (D["no_teacher_forcing"],),
        )

    def _check_inference(self, text: str, _all: dict, _raw: Any) -> Part:
        if _has(text, *_TEACHER):
            return Part(
                "inference",
                "wrong",
                "at execution time there is no true caption to feed",
                (D["ground_truth_at_inference"],),
            )
        if _has(text, r"greedy", r"beam", r"own", r"predicted", r"feed", r"argmax", r"sampl"):
            return Part("inference", "right", "the model feeds back its own words")
        return Part(
            "inference",
            "incomplete",
            "say how a caption is produced: feed back each predicted word until <end>",
        )


def captioning(seed: Any = None) -> CaptioningExercise:
    """The caption-model design exercise: the assignment's task, or a variant.

    Args:
        seed: `None` for the assignment (captions of 5 to 10 words that
            describe what happens, so they depend on the order of frames); an
            int >= 0 or a Generator for a variant (clip length, frame size,
            caption length, and whether order matters).

    Returns:
        A `CaptioningExercise`.

    Raises:
        TypeError: If `seed` is not an int, None or a Generator.
        ValueError: If `seed` is negative.

    Examples:
        >>> from fdmlearn import exercises
        >>> exercises.captioning()
        CaptioningExercise(frames=30, frame_size=224, words=(5, 10), order_dependent=True)
    """
    if seed is None:
        return CaptioningExercise(30, 224, (5, 10), True)
    label = seed if not isinstance(seed, np.random.Generator) else "from a Generator"
    rng = check_rng(seed)
    frames = int(rng.choice([16, 20, 30, 40, 60]))
    size = int(rng.choice([64, 112, 128, 224]))
    lo = int(rng.integers(3, 7))
    words = (lo, lo + int(rng.integers(3, 7)))
    return CaptioningExercise(frames, size, words, bool(rng.random() < 0.6), label)
