"""The filtering-CNN exercise: sepia, then a Gaussian blur, as a two-layer CNN.

`filters()` is the assignment's exercise (128x128 RGB images, a 5x5
Gaussian given as an integer table over 273); `filters(seed=...)` a variant
(another image size, kernel size or sigma). `check` grades the written
answer; `check_model` grades a student's *Keras model* by probing it with
test images: a black image shows the biases, one lit pixel per channel
shows the kernel (the response to an impulse *is* the kernel), and random
images show whether the model is linear at all. From the kernel it reads the
colour mix (sepia, or its transpose, or BGR) and the blur (normalised or
not, table or formula), and says which layer, channel and weight differ.

The constants are the assignment's (the same as `fdmlearn.filters.SEPIA`
and `GAUSSIAN_5X5_TABLE`); they are kept here so that this module does not
import TensorFlow. Only `check_model` does, to run the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fdmlearn._checks import check_rng
from fdmlearn.exercises._answers import AnswerError, parse_number
from fdmlearn.exercises.feedback import Document, Feedback, Part, _register, check_parts, setup_line

__all__ = ["FiltersExercise", "filters"]

SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
TABLE = np.array(
    [
        [1, 4, 7, 4, 1],
        [4, 16, 26, 16, 4],
        [7, 26, 41, 26, 7],
        [4, 16, 26, 16, 4],
        [1, 4, 7, 4, 1],
    ]
)
CHANNELS = ("R", "G", "B")

D = {
    name: _register(f"filters.{name}", title, meaning)
    for name, title, meaning in [
        (
            "sepia_transposed",
            "sepia matrix transposed",
            "Filter o of the 1x1 layer must hold row o of the sepia matrix (output channel o as "
            "a mix of R, G, B). The answer holds column o: in Keras, kernel[0, 0] is (in, out), "
            "so it must be set to SEPIA.T, not SEPIA.",
        ),
        (
            "bgr_order",
            "channels in BGR order",
            "The weights treat channel 0 as blue (as OpenCV does), but the images are RGB: "
            "[:, :, 0] is red.",
        ),
        (
            "gaussian_not_normalized",
            "Gaussian not divided by 273",
            "The integer table sums to 273; without dividing by it the blur multiplies the "
            "brightness by 273.",
        ),
        (
            "gaussian_formula_not_table",
            "Gaussian from the formula, not the given table",
            "The blur samples the formula G(x, y); the assignment gives the (flatter) integer "
            "table over 273. They differ by up to 0.012 per weight.",
        ),
        (
            "same_padding",
            "'same' padding instead of 'valid'",
            "With Keras' default padding ('valid') a k x k kernel fits in H - k + 1 positions: "
            "124x124 for a 128x128 image and a 5x5 kernel. 'same' pads with zeros and keeps "
            "128x128 (and darkens the border).",
        ),
        (
            "output_off_by_one",
            "output size off by one",
            "A k x k kernel fits in H - k + 1 positions, not H - k.",
        ),
        (
            "wrong_kernel_size",
            "wrong kernel size",
            "The output size (or the kernel found by probing) is that of another kernel size "
            "than the exercise's.",
        ),
        (
            "biases_left_on",
            "biases left on",
            "Neither filter adds a constant, so the layers need no bias (use_bias=False). Zero "
            "biases change no pixel but add parameters (240 instead of 234); non-zero ones shift "
            "every pixel.",
        ),
        (
            "blur_mixes_channels",
            "blur applied across channels",
            "Filter o of the blur layer must hold the Gaussian on input channel o only (zeros on "
            "the other two). With the Gaussian on all three planes every output channel becomes "
            "the blurred sum of R, G and B: a grey image.",
        ),
        (
            "nonlinear_activation",
            "an activation that bends the output",
            "Sepia and blur are linear; an activation such as sigmoid or an unbounded ReLU on "
            "negative weights makes the model non-linear (a ReLU capped at 1 only clips).",
        ),
        (
            "channels_first",
            "channels first",
            "The images are (128, 128, 3), channels last, as Keras expects by default; the model "
            "takes (3, 128, 128).",
        ),
        (
            "one_filter_per_layer",
            "one filter per layer",
            "Each layer needs 3 filters, one per output channel (R, G, B): a Conv2D filter "
            "produces one channel. (The seed notebook says 1 filter per layer, then describes 3 "
            "neurons.)",
        ),
    ]
}


def _gaussian(size: int, sigma: float) -> np.ndarray:
    # The same kernel as fdmlearn.filters.gaussian_kernel (the table for 5x5, sigma 1).
    if size == 5 and sigma == 1.0:
        return TABLE / 273.0
    return _sampled(size, sigma)


def _sampled(size: int, sigma: float) -> np.ndarray:
    r = (size - 1) // 2
    offsets = np.arange(-r, r + 1, dtype=np.float64)
    bell = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2.0 * sigma**2))
    return bell / bell.sum()


_MIXES = {
    "right": (SEPIA, None),
    "transposed": (SEPIA.T, "sepia_transposed"),
    "bgr": (SEPIA[::-1, ::-1], "bgr_order"),
    "bgr_in": (SEPIA[:, ::-1], "bgr_order"),
    "bgr_out": (SEPIA[::-1, :], "bgr_order"),
    "mixed": (np.ones((3, 3)) @ SEPIA, "blur_mixes_channels"),
    "mixed_transposed": (np.ones((3, 3)) @ SEPIA.T, "blur_mixes_channels"),
}


# Longer than most classes on purpose: one exercise is one class, and its text, its right
# answers and one short `_check_<part>` method per question belong together.
class FiltersExercise:
    """The filter-CNN exercise for one image size and Gaussian.

    Attributes:
        size: Height and width of the input images.
        kernel_size: Side of the Gaussian kernel.
        sigma: Its standard deviation.
        kernel: The Gaussian the answer must use, (k, k), summing to 1.
        seed: The variant's seed (`None`: the assignment).
    """

    def __init__(self, size: int, kernel_size: int, sigma: float, seed: Any = None) -> None:
        self.size = size
        self.kernel_size = kernel_size
        self.sigma = sigma
        self.seed = seed
        self.kernel = _gaussian(kernel_size, sigma)
        self.table = kernel_size == 5 and sigma == 1.0

    @property
    def title(self) -> str:
        which = "the assignment's numbers" if self.seed is None else f"variant {self.seed}"
        return f"A CNN as an image filter ({which})"

    @property
    def output_shape(self) -> tuple[int, int, int]:
        side = self.size - self.kernel_size + 1
        return (side, side, 3)

    @property
    def n_parameters(self) -> int:
        return 9 + 9 * self.kernel_size**2

    def _repr_markdown_(self) -> str:
        return self.statement().markdown

    def __repr__(self) -> str:
        return (
            f"FiltersExercise(size={self.size}, kernel_size={self.kernel_size}, "
            f"sigma={self.sigma:g})"
        )

    # ----------------------------------------------------------------- text

    def statement(self) -> Document:
        """The task in Markdown with LaTeX.

        Examples:
            >>> from fdmlearn import exercises
            >>> print(str(exercises.filters().statement()).splitlines()[0])
            ### A CNN as an image filter (the assignment's numbers)
        """
        k, h = self.kernel_size, self.size
        if self.table:
            blur = (
                "the $5 \\times 5$ Gaussian ($\\sigma = 1$) given by the integer table below, each "
                "value divided by 273:\n\n"
                + "| | | | | |\n|---|---|---|---|---|\n"
                + "\n".join("| " + " | ".join(str(v) for v in row) + " |" for row in TABLE)
            )
        else:
            blur = (
                f"a ${k} \\times {k}$ Gaussian with $\\sigma = {self.sigma:g}$: sample "
                "$G(x, y) = e^{-(x^2 + y^2)/(2\\sigma^2)}$ at the integer offsets "
                f"$x, y \\in \\{{-{(k - 1) // 2}, \\dots, {(k - 1) // 2}\\}}$ and divide by the sum"
            )
        text = f"""
### {self.title}

The input images are ${h} \\times {h}$ RGB images, a ${h} \\times {h} \\times 3$ tensor of
floats in [0, 1]: `[:, :, 0]` is red, `[:, :, 1]` green, `[:, :, 2]` blue. Design a
convolutional network (Keras' default padding) that

1. applies the sepia filter: $R_o = 0.393 R + 0.769 G + 0.189 B$,
   $G_o = 0.349 R + 0.686 G + 0.168 B$, $B_o = 0.272 R + 0.534 G + 0.131 B$;
2. then applies Gaussian smoothing to each colour: {blur}

Give the number of layers, the number of filters per layer, the shape of the filters of
each layer, the values of every parameter, and the dimensions of the output image.

{setup_line("filters", self.seed)} check with `ex.check(layers=..., filters=[...], shapes=[...],
params=..., sepia=...,
gaussian=..., blur_channels=..., output_shape=...)` (`sepia`: one row per filter, one
column per input channel R, G, B), or build the model in Keras and run
`ex.check_model(model)`.
"""
        return Document(text)

    def solution(self) -> Document:
        """The worked answer.

        Examples:
            >>> from fdmlearn import exercises
            >>> "124 \\\\times 124 \\\\times 3" in str(exercises.filters().solution())
            True
        """
        k, h = self.kernel_size, self.size
        out = self.output_shape[0]
        rows = "\n".join(
            f"| {i + 1} ({CHANNELS[i]}) | " + " | ".join(f"{v:.3f}" for v in SEPIA[i]) + " |"
            for i in range(3)
        )
        gauss = "\n".join("| " + " | ".join(f"{v:.4f}" for v in row) + " |" for row in self.kernel)
        head = "| " + " | ".join(["  "] * k) + " |\n|" + "---|" * k
        source = "table / 273" if self.table else f"sampled, sigma = {self.sigma:g}, normalised"
        text = f"""
### Solution: {self.title}

- **Layers:** 2. Layer 1 applies sepia, layer 2 the blur. (Both are linear, so they could be
  folded into one ${k} \\times {k}$ convolution, and their order does not matter.)
- **Filters per layer:** 3 and 3, one per output colour.
- **Filter shapes:** layer 1: $1 \\times 1 \\times 3$ (it mixes the colours of one pixel);
  layer 2: ${k} \\times {k} \\times 3$.
- **Parameters:** no biases (neither filter adds a constant):
  $9 + 3 \\cdot {k} \\cdot {k} \\cdot 3 = {self.n_parameters}$ weights. (A `DepthwiseConv2D` for
  layer 2 needs only $9 + 3 \\cdot {k * k} = {9 + 3 * k * k}$.)
- **Output:** ${out} \\times {out} \\times 3$: a ${k} \\times {k}$ kernel fits in
  ${h} - {k} + 1 = {out}$ positions per axis with no padding.

Layer 1, filter $o$ = row $o$ of the sepia matrix (in Keras, `kernel[0, 0, i, o] = SEPIA[o, i]`,
i.e. `SEPIA.T`):

| filter | R | G | B |
|---|---|---|---|
{rows}

Layer 2, filter $o$: the Gaussian on input channel $o$, zeros on the other two
({source}):

{head}
{gauss}
"""
        return Document(text)

    def answers(self) -> dict[str, Any]:
        """A complete right answer in the form `check` takes.

        Examples:
            >>> from fdmlearn import exercises
            >>> ex = exercises.filters()
            >>> ex.check(**ex.answers()).ok
            True
        """
        k = self.kernel_size
        return {
            "layers": 2,
            "filters": [3, 3],
            "shapes": [(1, 1, 3), (k, k, 3)],
            "params": self.n_parameters,
            "sepia": SEPIA.copy(),
            "gaussian": self.kernel.copy(),
            "blur_channels": "own",
            "output_shape": self.output_shape,
        }

    # ----------------------------------------------------------------- written answer

    def check(self, answers: Mapping[str, Any] | None = None, /, **parts: Any) -> Feedback:
        """Grade the written answer part by part.

        Args:
            answers: The same parts as a dict.
            **parts: The parts, by name:

                - `layers`: Number of layers.
                - `filters`: Filters per layer, e.g. `[3, 3]`.
                - `shapes`: Filter shape per layer, e.g. `[(1, 1, 3), (5, 5, 3)]`.
                - `params`: Total number of parameters.
                - `sepia`: Layer 1's weights, (3, 3): one row per filter, columns R, G, B.
                - `gaussian`: The blur kernel, (k, k).
                - `blur_channels`: Which input channels filter o of layer 2 blurs: `"own"`
                  (channel o only) or `"all"`, or a 3x3 0/1 matrix.
                - `output_shape`: The output image's shape, e.g. `(124, 124, 3)`.

        Returns:
            A `Feedback`.

        Raises:
            TypeError: If a part's name is unknown.

        Examples:
            >>> from fdmlearn import exercises
            >>> fb = exercises.filters().check(output_shape=(128, 128, 3), params=240)
            >>> fb.diagnoses
            ('filters.biases_left_on', 'filters.same_padding')
        """
        known = (
            "layers",
            "filters",
            "shapes",
            "params",
            "sepia",
            "gaussian",
            "blur_channels",
            "output_shape",
        )
        return check_parts(self, known, {**(answers or {}), **parts})

    def _check_layers(self, value: Any) -> Part:
        n = _int(value, "layers")
        if n == 2:
            return Part("layers", "right", "2: sepia, then blur")
        if n == 1:
            return Part(
                "layers",
                "right",
                "1 works too: the two linear filters fold into one convolution (say which kernel)",
            )
        return Part("layers", "wrong", f"{n} layers: one per filter is enough, both are linear")

    def _check_filters(self, value: Any) -> Part:
        counts = [_int(v, "filters") for v in _seq(value, "filters")]
        if counts == [3, 3]:
            return Part("filters", "right", "3 per layer, one per output colour")
        if 1 in counts:
            return Part(
                "filters",
                "wrong",
                "a Conv2D filter produces one output channel, and each layer outputs R, G and B: "
                "3 filters per layer",
                (D["one_filter_per_layer"],),
            )
        return Part("filters", "wrong", f"{counts}: each layer outputs 3 channels")

    def _check_shapes(self, value: Any) -> Part:
        shapes = [
            tuple(_int(v, "shapes") for v in _seq(s, "shapes")) for s in _seq(value, "shapes")
        ]
        k = self.kernel_size
        if len(shapes) != 2:
            return Part("shapes", "wrong", "give one filter shape per layer (2 layers)")
        first, second = shapes
        ok1 = first in ((1, 1, 3),)
        ok2 = second in ((k, k, 3), (k, k, 1))
        if ok1 and ok2:
            return Part("shapes", "right", f"1x1x3 then {k}x{k}x3 (or {k}x{k}x1 depthwise)")
        problems = []
        if not ok1:
            problems.append(
                f"layer 1's filters are 1x1x3, got {'x'.join(map(str, first))}: sepia mixes the 3 "
                "colours of one pixel"
            )
        tags: tuple[str, ...] = ()
        if not ok2:
            if second == (k, k):
                problems.append(f"layer 2's Conv2D filters span all 3 input channels: {k}x{k}x3")
            else:
                problems.append(
                    f"layer 2's filters are {k}x{k}x3, got {'x'.join(map(str, second))}"
                )
                if len(second) >= 2 and second[0] == second[1] and second[0] != k:
                    tags = (D["wrong_kernel_size"],)
        return Part("shapes", "wrong", "; ".join(problems), tags)

    def _check_params(self, value: Any) -> Part:
        n = _int(value, "params")
        k = self.kernel_size
        right, depthwise = self.n_parameters, 9 + 3 * k * k
        if n in (right, depthwise):
            return Part("params", "right", f"{n} weights, no biases")
        if n in (right + 6, right + 3, depthwise + 6, depthwise + 3):
            return Part(
                "params",
                "wrong",
                f"{n} counts biases ({n - (right if n > right else depthwise)} of them); neither "
                "filter adds a constant, so use_bias=False",
                (D["biases_left_on"],),
            )
        return Part("params", "wrong", f"{n}: count 3 filters of 1x1x3 plus 3 of {k}x{k}x3")

    def _check_sepia(self, value: Any) -> Part:
        m = _matrix(value, "sepia", (3, 3))
        found = _match_mix(m)
        if found == ("right", 1.0):
            return Part("sepia", "right", "row o of the matrix is filter o")
        if found is not None and found[0] != "right":
            name = _MIXES[found[0]][1]
            why = {
                "sepia_transposed": "the rows are the sepia matrix's columns: filter o must hold "
                "row o (output channel o as a mix of R, G, B)",
                "bgr_order": "the weights are in B, G, R order; channel 0 is red",
                "blur_mixes_channels": "every row is the sum of the sepia rows",
            }[name]
            return Part("sepia", "wrong", why, (D[name],))
        return Part("sepia", "wrong", _mix_difference(m))

    def _check_gaussian(self, value: Any) -> Part:
        k = self.kernel_size
        g = _matrix(value, "gaussian", (k, k))
        if np.allclose(g, self.kernel, atol=5e-4):
            return Part("gaussian", "right", "the normalised Gaussian, summing to 1")
        if self.table and np.allclose(g, TABLE, atol=0.5):
            return Part(
                "gaussian",
                "wrong",
                "the integer table itself: divide each value by 273 so the weights sum to 1",
                (D["gaussian_not_normalized"],),
            )
        if self.table and np.allclose(g, _sampled(5, 1.0), atol=5e-4):
            return Part(
                "gaussian",
                "wrong",
                "the sampled formula; use the table given, divided by 273",
                (D["gaussian_formula_not_table"],),
            )
        if np.allclose(g / g.sum(), self.kernel, atol=5e-4):
            return Part(
                "gaussian",
                "wrong",
                f"the right shape, but it sums to {g.sum():.4g}, not 1: normalise it",
                (D["gaussian_not_normalized"],) if self.table else (),
            )
        i, j = np.unravel_index(np.abs(g - self.kernel).argmax(), g.shape)
        return Part(
            "gaussian",
            "wrong",
            f"weight ({i}, {j}) is {g[i, j]:.4f}, expected {self.kernel[i, j]:.4f}",
        )

    def _check_blur_channels(self, value: Any) -> Part:
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("own", "same", "diagonal", "per channel", "per-channel", "its own"):
                return Part("blur_channels", "right", "filter o blurs input channel o only")
            if word in ("all", "every", "across", "all channels"):
                return Part(
                    "blur_channels",
                    "wrong",
                    "with the Gaussian on all three input channels, every output channel is the "
                    "blurred sum of R, G, B",
                    (D["blur_mixes_channels"],),
                )
            raise AnswerError("blur_channels: write 'own' or 'all', or give a 3x3 0/1 matrix")
        m = _matrix(value, "blur_channels", (3, 3))
        if np.array_equal(m != 0, np.eye(3, dtype=bool)):
            return Part("blur_channels", "right", "filter o blurs input channel o only")
        if (m != 0).all():
            return Part(
                "blur_channels",
                "wrong",
                "every output channel becomes the blurred sum of R, G, B",
                (D["blur_mixes_channels"],),
            )
        return Part("blur_channels", "wrong", "filter o must hold the Gaussian on channel o only")

    def _check_output_shape(self, value: Any) -> Part:
        shape = tuple(_int(v, "output_shape") for v in _seq(value, "output_shape"))
        if len(shape) == 4:
            shape = shape[1:]
        want = self.output_shape
        if shape == want or shape == want[:2]:
            return Part("output_shape", "right", f"{want[0]}x{want[1]}x3")
        h, k = self.size, self.kernel_size
        if shape[:2] == (h, h):
            return Part(
                "output_shape",
                "wrong",
                f"{h}x{h} needs 'same' padding; with Keras' default ('valid') a {k}x{k} kernel "
                f"fits in {h} - {k} + 1 positions",
                (D["same_padding"],),
            )
        if shape[:2] == (h - k, h - k):
            return Part(
                "output_shape",
                "wrong",
                f"{h - k} is off by one: {h} - {k} + 1",
                (D["output_off_by_one"],),
            )
        if shape[0] == shape[1] and shape[0] < h:
            return Part(
                "output_shape",
                "wrong",
                f"{shape[0]} is the output of a {h - shape[0] + 1}x{h - shape[0] + 1} kernel",
                (D["wrong_kernel_size"],),
            )
        return Part(
            "output_shape", "wrong", f"{shape}: the output keeps 3 channels and shrinks by k - 1"
        )

    # ----------------------------------------------------------------- a Keras model

    def check_model(self, model: Any) -> Feedback:
        """Grade a student's Keras model by probing it with test images.

        A black image gives the biases, one lit pixel per input channel the
        kernel, pairs of random images the linearity. The diagnosis says which
        layer, channel or weight differs, and how. Works on any model that
        takes (N, H, W, 3) images, whatever its layers are called.

        Args:
            model: A `keras.Model` (or any callable on a batch of images that
                returns a batch of images).

        Returns:
            A `Feedback` with the parts input, output size, biases, linear,
            colour mix and blur.

        Examples:
            >>> import keras
            >>> from fdmlearn import exercises
            >>> from fdmlearn.exercises.filters import SEPIA
            >>> ex = exercises.filters()
            >>> inputs = keras.Input((None, None, 3))
            >>> mix = keras.layers.Conv2D(3, 1, use_bias=False)
            >>> blur = keras.layers.Conv2D(3, 5, use_bias=False)
            >>> model = keras.Model(inputs, blur(mix(inputs)))
            >>> k = np.zeros((5, 5, 3, 3)); k[:, :, [0, 1, 2], [0, 1, 2]] = ex.kernel[..., None]
            >>> mix.set_weights([SEPIA[None, None]]); blur.set_weights([k])  # SEPIA, not SEPIA.T
            >>> ex.check_model(model).diagnoses
            ('filters.sepia_transposed',)
        """
        if not callable(model):
            raise TypeError(
                "model must be a keras.Model (or a callable on a batch of images), "
                f"got {type(model).__name__}"
            )
        from fdmlearn.exercises._probe import probe_filter_model

        return probe_filter_model(self, model, D)


def _int(value: Any, what: str) -> int:
    number = parse_number(value, what).exact
    if not number.is_Integer:
        raise AnswerError(f"{what} must hold whole numbers, got {value!r}")
    return int(number)


def _seq(value: Any, what: str) -> list:
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray):
        if isinstance(value, str) and "x" in value:
            return [v.strip() for v in value.split("x")]
        raise AnswerError(f"{what}: expected a list, got {value!r}")
    return list(value)


def _matrix(value: Any, what: str, shape: tuple[int, int]) -> np.ndarray:
    try:
        m = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AnswerError(f"{what} must be an array of numbers of shape {shape}") from None
    if m.ndim == 4 and m.shape[:2] == (1, 1):
        m = m[0, 0].T  # a Keras 1x1 kernel is (1, 1, in, out): one column per filter
    if m.shape != shape:
        raise AnswerError(f"{what} must have shape {shape}, got {m.shape}")
    if not np.isfinite(m).all():
        raise AnswerError(f"{what} must hold finite numbers")
    return m


def _match_mix(m: np.ndarray, atol: float = 2e-3) -> tuple[str, float] | None:
    """Which known colour mix `m` is, up to a scale: (name, scale) or None."""
    for name, (target, _) in _MIXES.items():
        scale = float((m * target).sum() / (target * target).sum())
        if scale > 0 and np.allclose(m, scale * target, atol=atol * max(1.0, scale)):
            return name, round(scale, 3) if abs(scale - 1) > 1e-3 else 1.0
    return None


def _mix_difference(m: np.ndarray) -> str:
    o, i = np.unravel_index(np.abs(m - SEPIA).argmax(), m.shape)
    return (
        f"filter {o + 1} (output {CHANNELS[o]}) takes {m[o, i]:.3f} of input {CHANNELS[i]}, "
        f"expected {SEPIA[o, i]:.3f}"
    )


def filters(seed: Any = None) -> FiltersExercise:
    """The filter-CNN exercise: the assignment's own, or a variant.

    Args:
        seed: `None` for the assignment (128x128 images, the 5x5 table over
            273); an int >= 0 or a Generator for a variant with another image
            size, kernel size or sigma.

    Returns:
        A `FiltersExercise`.

    Raises:
        TypeError: If `seed` is not an int, None or a Generator.
        ValueError: If `seed` is negative.

    Examples:
        >>> from fdmlearn import exercises
        >>> exercises.filters().output_shape
        (124, 124, 3)
        >>> exercises.filters(seed=3)
        FiltersExercise(size=224, kernel_size=5, sigma=1)
    """
    if seed is None:
        return FiltersExercise(128, 5, 1.0)
    label = seed if not isinstance(seed, np.random.Generator) else "from a Generator"
    rng = check_rng(seed)
    size = int(rng.choice([64, 96, 128, 160, 192, 224, 256]))
    if rng.random() < 0.5:
        k, sigma = 5, 1.0
    else:
        k = int(rng.choice([3, 5, 7, 9]))
        sigma = float(rng.choice([0.8, 1.5, 2.0]))
    return FiltersExercise(size, k, sigma, label)
