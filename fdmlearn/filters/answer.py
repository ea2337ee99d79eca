"""The exercise's written answer, read back from any Keras model.

`describe` lists the layers (type, filters, filter shape, parameters,
output size) and every parameter value, biases included, for
`build_filter_cnn`'s model or a student's own; a `FilterCNNDescription`
prints as text, as Markdown, or as one short line (`repr`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fdmlearn._checks import check_int
from fdmlearn._tf import keras
from fdmlearn.filters.network import _check_model, _kernel_and_bias
from fdmlearn.filters.reference import CHANNELS

__all__ = ["FilterCNNDescription", "LayerInfo", "describe"]


@dataclass(frozen=True)
class LayerInfo:
    """One row of the answer table.

    Attributes:
        name: The layer's name (`sepia`, `clip_0_1`, `gaussian_blur`, or
            whatever a student's model calls it).
        kind: The Keras layer type (with its activation, if not linear).
        filters: Number of filters (units of a Dense layer; 0 for a layer
            without a kernel).
        filter_shape: Shape of one filter, height x width x input channels
            it sees (a depthwise filter sees 1; a Dense unit sees a vector).
        parameters: Number of weights of the layer, biases included.
        trainable: Whether training would change them.
        output_shape: Shape of one output, e.g. (H, W, channels).
        weights: The kernel array in Keras layout, or None.
        bias: The bias vector, or None for a layer without one.
    """

    name: str
    kind: str
    filters: int
    filter_shape: tuple[int, ...]
    parameters: int
    trainable: bool
    output_shape: tuple[int, ...]
    weights: np.ndarray | None = field(default=None, repr=False, compare=False)
    bias: np.ndarray | None = field(default=None, repr=False, compare=False)


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape) if shape else "-"


def _plane_text(plane: np.ndarray) -> str:
    scaled = plane * 273.0
    if np.allclose(scaled, np.round(scaled), atol=1e-4) and scaled.max() > 0.5:
        rows = [" ".join(f"{int(round(v)):3d}" for v in row) for row in scaled]
        return "(1/273) x\n" + "\n".join(rows)
    return "\n".join(" ".join(f"{v:7.4f}" for v in row) for row in plane)


def _channel(i: int, n: int, prime: str = "") -> str:
    return f"{CHANNELS[i]}{prime}" if n == 3 else f"channel {i}"


# Printing every value of a large student layer would bury the answer: show
# this many filters (or values) per layer, then say how many were left out.
_SHOW_FILTERS = 6
_SHOW_VALUES = 12


def _values_text(values: np.ndarray) -> str:
    shown = ", ".join(f"{v:.3f}" for v in values[:_SHOW_VALUES])
    return shown + (
        f", ... ({len(values) - _SHOW_VALUES} more)" if len(values) > _SHOW_VALUES else ""
    )


def _layer_values(layer: LayerInfo) -> list[str]:
    """Plain-text lines giving a layer's kernel and bias values, bounded."""
    w, lines = layer.weights, []
    if w is not None and w.ndim == 2:  # Dense: one weight vector per unit
        w = w[None, None]
    if w is not None and w.ndim == 4 and w.shape[:2] == (1, 1) and "Depthwise" not in layer.kind:
        n_in, n_out = w.shape[2], w.shape[3]
        for o in range(min(n_out, _SHOW_FILTERS)):
            mix = [f"{w[0, 0, i, o]:.3f} x {_channel(i, n_in)}" for i in range(min(n_in, 8))]
            more = f" + {n_in - 8} more inputs" if n_in > 8 else ""
            lines.append(
                f"filter {o + 1} -> {_channel(o, n_out, chr(39))}: " + ", ".join(mix) + more
            )
    elif w is not None and w.ndim == 4:
        n_in, n_out = w.shape[2], w.shape[3]
        if "Depthwise" in layer.kind:
            planes = [
                (f"channel {_channel(i, n_in)}", w[:, :, i, m])
                for i in range(n_in)
                for m in range(n_out)
            ]
        else:
            planes = []
            for o in range(n_out):
                zero = [_channel(i, n_in) for i in range(n_in) if not np.any(w[:, :, i, o])]
                planes += [
                    (f"filter {o + 1}, input channel {_channel(i, n_in)}", w[:, :, i, o])
                    for i in range(n_in)
                    if np.any(w[:, :, i, o])
                ]
                if zero:
                    planes.append(
                        (f"filter {o + 1}, input channels {', '.join(zero)}: all 0", None)
                    )
        for title, plane in planes[: _SHOW_FILTERS * 3]:
            lines.append(title if plane is None else f"{title}:\n{_plane_text(plane)}")
        if len(planes) > _SHOW_FILTERS * 3:
            lines.append(f"... ({len(planes) - _SHOW_FILTERS * 3} more kernels not shown)")
    elif w is not None:
        lines.append(f"kernel {w.shape}: " + _values_text(w.ravel()))
    if layer.bias is not None:
        lines.append(f"bias ({layer.bias.size}): " + _values_text(layer.bias.ravel()))
    return lines


@dataclass(frozen=True)
class FilterCNNDescription:
    """The written answer: architecture, every parameter value, output size.

    Print it (`str`) for plain text, or call `to_markdown()` for tables; in
    a notebook it shows as the Markdown table. `repr` is one short line.
    """

    input_shape: tuple[int, ...]
    layers: tuple[LayerInfo, ...]

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of one output image, (H', W', 3)."""
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def total_parameters(self) -> int:
        """Number of weights in the whole network, biases included."""
        return sum(layer.parameters for layer in self.layers)

    @property
    def bias_parameters(self) -> int:
        """How many of the parameters are biases."""
        return sum(layer.bias.size for layer in self.layers if layer.bias is not None)

    def _summary(self) -> str:
        biases = self.bias_parameters
        return f"{self.total_parameters} parameters, " + (
            f"{biases} of them biases" if biases else "no biases"
        )

    def _rows(self) -> list[list[str]]:
        rows = []
        for i, layer in enumerate(self.layers, start=1):
            rows.append(
                [
                    str(i),
                    layer.name,
                    layer.kind,
                    str(layer.filters) if layer.filters else "-",
                    _fmt_shape(layer.filter_shape),
                    str(layer.parameters),
                    ("yes" if layer.trainable else "no (frozen)") if layer.parameters else "-",
                    _fmt_shape(layer.output_shape),
                ]
            )
        return rows

    _HEADER = ("#", "layer", "type", "filters", "filter shape", "parameters", "trainable", "output")

    def _parameter_values(self) -> list[tuple[str, str]]:
        """(title, plain text) of each layer's weights, one filter at a time."""
        out = []
        for layer in self.layers:
            lines = _layer_values(layer)
            if lines:
                shape = f"{_fmt_shape(layer.filter_shape)} filters" if layer.filter_shape else ""
                title = f"{layer.name} ({layer.kind}{', ' + shape if shape else ''})"
                out.append((title, "\n".join(lines)))
        return out

    def to_markdown(self) -> str:
        """The answer as Markdown: an architecture table, then the parameter values."""
        lines = [
            f"Input: {_fmt_shape(self.input_shape)} (H x W x channels). "
            f"Output: {_fmt_shape(self.output_shape)}. "
            f"Parameters: {self._summary()}.",
            "",
            "| " + " | ".join(self._HEADER) + " |",
            "|" + "|".join("---" for _ in self._HEADER) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self._rows()]
        for title, text in self._parameter_values():
            lines += ["", f"**{title}**", "", "```text", text, "```"]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        names = ", ".join(f"{layer.name} {layer.kind.split(':')[0]}" for layer in self.layers[:6])
        more = f", ... ({len(self.layers) - 6} more)" if len(self.layers) > 6 else ""
        return (
            f"FilterCNNDescription({_fmt_shape(self.input_shape)} -> "
            f"{_fmt_shape(self.output_shape)}, {self._summary()}; layers: {names}{more})"
        )

    def __str__(self) -> str:
        rows = [list(self._HEADER), *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._HEADER))]
        table = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        text = [
            f"input {_fmt_shape(self.input_shape)} -> output {_fmt_shape(self.output_shape)}, "
            f"{self._summary()}",
            *table,
        ]
        for title, values in self._parameter_values():
            text += ["", title + ":", values]
        return "\n".join(text)


def _kind(layer: keras.layers.Layer) -> str:
    kind = type(layer).__name__
    if isinstance(layer, keras.layers.ReLU) and layer.max_value == 1.0 and not layer.negative_slope:
        return "ReLU(max_value=1): clip to [0, 1]"
    activation = getattr(layer, "activation", None)
    if activation is not None and activation is not keras.activations.linear:
        kind += f", {getattr(activation, '__name__', type(activation).__name__)}"
    return kind


def _layer_info(layer: keras.layers.Layer, output_shape: tuple[int, ...]) -> LayerInfo:
    kernel, bias = _kernel_and_bias(layer)
    filters, filter_shape = 0, ()
    if kernel is not None and isinstance(layer, keras.layers.DepthwiseConv2D):
        filters, filter_shape = (
            kernel.shape[2] * kernel.shape[3],
            (kernel.shape[0], kernel.shape[1], 1),
        )
    elif kernel is not None and kernel.ndim == 4:
        filters, filter_shape = kernel.shape[3], kernel.shape[:3]
    elif kernel is not None and kernel.ndim == 2:
        filters, filter_shape = kernel.shape[1], kernel.shape[:1]
    return LayerInfo(
        name=layer.name,
        kind=_kind(layer),
        filters=int(filters),
        filter_shape=tuple(int(v) for v in filter_shape),
        parameters=int(sum(np.prod(w.shape) for w in layer.weights)),
        trainable=bool(layer.trainable),
        output_shape=output_shape,
        weights=kernel,
        bias=bias,
    )


def _output_shapes(
    model: keras.Model, layers: list[keras.layers.Layer], shape: tuple[int, ...]
) -> list[tuple[int, ...]]:
    """The shape of one output of each layer, for one input image of `shape`."""
    if len(model.inputs) != 1:
        raise ValueError(
            f"model must take one image input, model {model.name!r} takes {len(model.inputs)}"
        )
    # The layers' symbolic outputs hold any branching of the graph, so a
    # student's model need not be a plain chain.
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    try:
        shapes = probe.compute_output_shape((1, *shape))
    except ValueError as err:
        if "negative" in str(err):  # Keras' words for an image smaller than a kernel
            raise ValueError(
                f"input_shape {shape} is smaller than the kernel of a layer ({err})"
            ) from None
        raise ValueError(f"input_shape {shape} does not fit the model: {err}") from None
    if len(layers) == 1 and not isinstance(shapes[0], tuple | list):
        shapes = [shapes]  # one output: Keras returns its shape, not a list of shapes
    out = []
    for layer, s in zip(layers, shapes, strict=True):
        s = tuple(s)[1:]
        if any(v is not None and v < 1 for v in s):
            raise ValueError(
                f"input_shape {shape} is smaller than the kernel of layer {layer.name!r}"
            )
        out.append(tuple(int(v) for v in s))
    return out


def describe(
    model: keras.Model, input_shape: tuple[int, int, int] = (128, 128, 3)
) -> FilterCNNDescription:
    """The exercise's answer for `model`: layers, filters, shapes, values, output size.

    Works on any built Keras model, not only `build_filter_cnn`'s: a
    student's own network (with biases, other layer names, a Dense or a
    depthwise layer, several convolutions) is described the same way, its
    bias values included.

    Args:
        model: A built Keras model taking images, such as `build_filter_cnn()`.
        input_shape: The (H, W, channels) image the answer is about; the task's
            128x128x3 by default.

    Returns:
        A `FilterCNNDescription`; `str()` gives plain text and
        `.to_markdown()` Markdown tables.

    Raises:
        TypeError: If `model` is not a `keras.Model` or `input_shape` not integers.
        ValueError: If `input_shape` is not (H, W, C), does not fit the model,
            or is smaller than a kernel; or if the model is not built.

    Examples:
        >>> from fdmlearn.filters import build_filter_cnn, describe
        >>> answer = describe(build_filter_cnn())
        >>> answer.output_shape, answer.total_parameters
        ((124, 124, 3), 234)
        >>> print(str(answer).splitlines()[0])
        input 128x128x3 -> output 124x124x3, 234 parameters, no biases
        >>> [(layer.kind, layer.filters, layer.filter_shape) for layer in answer.layers]
        [('Conv2D', 3, (1, 1, 3)), ('Conv2D', 3, (5, 5, 3))]
        >>> import keras
        >>> mine = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(2, 3)])
        >>> print(str(describe(mine, (8, 8, 3))).splitlines()[0])
        input 8x8x3 -> output 6x6x2, 56 parameters, 2 of them biases
    """
    model = _check_model(model)
    if isinstance(input_shape, str) or not hasattr(input_shape, "__len__"):
        raise TypeError(f"input_shape must be a tuple (H, W, C) of integers, got {input_shape!r}")
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape!r}")
    shape = tuple(check_int(f"input_shape[{i}]", v, minimum=1) for i, v in enumerate(input_shape))
    channels = model.inputs[0].shape[-1] if model.inputs else None
    if channels is not None and shape[2] != channels:
        raise ValueError(
            f"input_shape must have the model's {channels} channels last, got {input_shape!r}"
        )
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    shapes = _output_shapes(model, layers, shape) if layers else []
    return FilterCNNDescription(
        input_shape=shape,
        layers=tuple(_layer_info(layer, s) for layer, s in zip(layers, shapes, strict=True)),
    )
