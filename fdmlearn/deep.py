"""Training deeper models: why a deep sigmoid MLP fails on MNIST, and how to fix it.

The assignment's model is a multi-layer perceptron on flattened MNIST digits:
`Dense(512, sigmoid) + Dropout(0.2)`, then `depth - 1` more
`Dense(512) + sigmoid + Dropout(0.2)` blocks, then `Dense(10) + softmax`,
trained with categorical cross-entropy and plain SGD (learning rate 0.01),
batch 128, for 10 epochs. The deeper it is, the *worse* it gets: the error
signal reaching the first layers is multiplied, layer after layer, by the
sigmoid's derivative, which is at most 1/4, so the early layers barely learn.

This module lets you reproduce that, see it, and fix it:

- `build_mlp` builds the assignment's model exactly by default, with the
  knobs a learner wants to turn (activation, units, dropout, initializer,
  normalization, residual connections).
- `RECIPES` holds named, documented bundles of model and optimizer choices:
  the assignment's `"baseline"`, the seed notebook's `"relu"` fix, our
  `"improved"` recipe, and `"sigmoid_adamw"` and `"sigmoid_bn"`, sigmoid
  networks that do train at depth 3.
- `depth_study` trains one model per depth and returns a `DepthStudy` with
  accuracies, histories, parameter counts, timings, a plot and a table.
- `gradient_norms`, `GradientNormHistory` and `hidden_activations` make the
  cause visible; `plot_gradient_norms`, `plot_gradient_norm_history` and
  `plot_activation_histograms` draw them.

Examples:
    >>> from fdmlearn import deep
    >>> [deep.build_mlp(depth).count_params() for depth in (1, 2, 3)]
    [407050, 669706, 932362]
"""

from __future__ import annotations

import numbers
import random
import time
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fdmlearn._checks import (
    check_array,
    check_bool,
    check_choice,
    check_images,
    check_int,
    check_real,
    check_rng,
)
from fdmlearn._tf import keras, tf
from fdmlearn._training import (
    CheckedInputs,
    check_callbacks,
    check_strategy,
    check_verbose,
    fit_keras,
    scope,
    shuffled_batches,
)
from fdmlearn.plotting import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ACTIVATIONS",
    "MAX_PARAMETERS",
    "PixelMLP",
    "DepthStudy",
    "GradientNormHistory",
    "RECIPES",
    "Recipe",
    "build_mlp",
    "depth_study",
    "get_recipe",
    "gradient_norms",
    "hidden_activations",
    "mnist_flat",
    "plot_activation_histograms",
    "plot_gradient_norm_history",
    "plot_gradient_norms",
]

#: Activation names `build_mlp` accepts (all are Keras activation names).
ACTIVATIONS: tuple[str, ...] = (
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
)

_NORMALIZATIONS = ("batch", "layer")  # or None
_OPTIMIZERS = ("sgd", "adam", "adamw")
_SCHEDULES = ("cosine",)  # or None
NUM_CLASSES = 10
INPUT_DIM = 784
#: The largest network `build_mlp` builds: 250 million parameters (1 GB of float32).
MAX_PARAMETERS = 250_000_000

Data = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------- data


def _stratified_subset(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` positions drawn at random, each class in proportion to its share of `labels`."""
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n / len(labels)
    take = np.floor(quota).astype(int)
    # Largest remainders first, so the quotas add up to exactly n.
    short = n - int(take.sum())
    take[np.argsort(-(quota - take), kind="stable")[:short]] += 1
    chosen = [
        rng.choice(np.flatnonzero(labels == c), size=k, replace=False)
        for c, k in zip(classes, take, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


def mnist_flat(
    train_size: int | None = None, test_size: int | None = None, *, seed: Any = 0
) -> Data:
    """MNIST as the assignment feeds it: 784 floats in [0, 1] per image.

    Images are flattened and divided by 255; labels stay integer class
    indices (the training helpers one-hot encode them).

    A smaller size gives a seeded random, class-stratified subset: each digit
    keeps its share of the split, and the images are drawn at random within
    each digit. The first N images are *not* a fair sample (a linear
    classifier errs 17.4% on the first 2,000 test images, but 12.5-15.2% on
    random 2,000-image subsets), so they are never used as one. The subset
    keeps MNIST's order.

    Args:
        train_size: Keep this many training images (1..60000); `None` keeps
            all 60,000.
        test_size: Keep this many test images (1..10000); `None` keeps all
            10,000.
        seed: Seed of the subsets: an int, `None` (fresh randomness) or a
            `numpy.random.Generator`. The same seed gives the same images.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 arrays of shape
        (N, 784) with values in [0, 1], and int64 labels of shape (N,).

    Raises:
        TypeError: If a size is not an integer or `seed` not a seed.
        ValueError: If a size is out of range.

    Examples:
        >>> (x, y), (xt, yt) = mnist_flat(train_size=100, test_size=20)
        >>> x.shape, x.dtype, float(x.min()), float(x.max()), yt.shape
        ((100, 784), dtype('float32'), 0.0, 1.0, (20,))
        >>> sorted(set(y.tolist())) == list(range(10))  # every digit, in its share
        True
    """
    from fdmlearn.datasets import mnist_split

    sizes = {
        name: limit if value is None else check_int(name, value, minimum=1, maximum=limit)
        for name, value, limit in (
            ("train_size", train_size, 60000),
            ("test_size", test_size, 10000),
        )
    }
    rng = check_rng(seed)

    def flat(split: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        images, labels = mnist_split(split)
        keep = slice(None) if n == len(labels) else _stratified_subset(labels, n, rng)
        x = images[keep].reshape(n, INPUT_DIM).astype(np.float32) / np.float32(255)
        return x, labels[keep].astype(np.int64)

    return flat("train", sizes["train_size"]), flat("test", sizes["test_size"])


def _check_x(name: str, x: Any, input_dim: int) -> np.ndarray:
    """Images as float32 (N, input_dim) in [0, 1]: finite, scaled, flattened."""
    try:
        return check_images(name, x, shape=(None, input_dim))
    except ValueError as err:
        if "shape" not in str(err):
            raise
        raise ValueError(f"{err}: flatten each image (see fdmlearn.deep.mnist_flat)") from None


def _check_y(name: str, y: Any, num_classes: int) -> np.ndarray:
    """Labels as float32 one-hot (N, num_classes), from class indices or one-hot."""
    a = check_array(name, y, ndim=(1, 2), kind="float")
    if a.ndim == 1:
        a = check_array(name, a, kind="int", minimum=0, maximum=num_classes - 1)
        return np.eye(num_classes, dtype=np.float32)[a]
    a = check_array(name, a, shape=(None, num_classes), minimum=0, maximum=1)
    return a.astype(np.float32, copy=False)


def _keras_loss_name(loss: Any) -> str | None:
    """The name of a built-in Keras loss (a name, a loss object or function), else None."""
    if isinstance(loss, str):
        return loss
    owner = loss if isinstance(loss, types.FunctionType) else type(loss)
    if not getattr(owner, "__module__", "").startswith("keras"):
        return None  # a loss of the user's own: what it expects is its business
    return getattr(loss, "name", None) or getattr(loss, "__name__", None)


@keras.saving.register_keras_serializable(package="fdmlearn")
class PixelMLP(CheckedInputs):
    """The Keras model `build_mlp` returns: it refuses NaN, integer or 0..255 pixels.

    Given arrays, its `fit` and `evaluate` also check the targets against the
    compiled Keras loss: class indices in 0..C-1 for a sparse loss, else
    (N, C) targets such as one-hot labels, so that class indices given to
    `categorical_crossentropy` say so instead of failing inside Keras.

    A plain functional `keras.Model` in every other way (it saves and loads
    through `keras.saving`); see `fdmlearn._training.CheckedInputs` for what is checked when.
    """

    def _check_inputs(self, x: Any) -> None:
        _check_x("x", np.asarray(x), self.input_shape[-1])

    def _check_targets(self, y: Any) -> None:
        name = _keras_loss_name(getattr(self, "loss", None))
        if y is None or name is None or not self._concrete(y):
            return
        classes = int(self.output_shape[-1])
        a = check_array("y", y, kind="float")
        if "sparse" in name:
            if a.ndim not in (1, 2) or a.shape[1:] not in ((), (1,)):
                raise ValueError(
                    f"y must hold class indices of shape (N,) for the loss {name!r}, "
                    f"got shape {a.shape}"
                )
            check_array("y", a, minimum=0, maximum=classes - 1)
            return
        if a.shape[1:] != (classes,):
            hint = (
                f": these look like class indices; one-hot encode them with "
                f"keras.utils.to_categorical(y, {classes}), or compile with "
                "loss='sparse_categorical_crossentropy'"
                if a.ndim == 1
                else ""
            )
            raise ValueError(
                f"y must have shape (N, {classes}), one target per model output, for the loss "
                f"{name!r}, got shape {a.shape}{hint}"
            )

    def fit(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        self._check_targets(y)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        self._check_targets(y)
        return super().evaluate(x, y, *args, **kwargs)


def _check_xy(
    x: Any, y: Any, input_dim: int, num_classes: int, names: tuple[str, str] = ("x", "y")
) -> tuple[np.ndarray, np.ndarray]:
    """Validate one (images, labels) pair: float32 images and one-hot float32 labels."""
    x = _check_x(names[0], x, input_dim)
    y = _check_y(names[1], y, num_classes)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"{names[0]} and {names[1]} must be non-empty and of equal length, "
            f"got {len(x)} images and {len(y)} labels"
        )
    return x, y


# --------------------------------------------------------------------------- model


def _check_optional_choice(name: str, value: Any, choices: tuple[str, ...]) -> str | None:
    """`None` or one of the string `choices`; a non-string is a TypeError."""
    if value is None:
        return None
    if not isinstance(value, str):
        listed = ", ".join(repr(c) for c in choices)
        raise TypeError(
            f"{name} must be None or one of {listed}, got {value!r} ({type(value).__name__})"
        )
    return check_choice(name, value, choices)


def _check_initializer(initializer: Any) -> keras.initializers.Initializer:
    if not isinstance(initializer, str | keras.initializers.Initializer):
        raise TypeError(
            "initializer must be a Keras initializer name such as 'glorot_uniform' or "
            f"'he_normal', or an initializer object; got {type(initializer).__name__}"
        )
    # Keras gives an unseeded initializer a default seed drawn from Python's
    # global `random`; this one is only a template, so leave that state as it was.
    state = random.getstate()
    try:
        return keras.initializers.get(initializer)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"initializer must be a Keras initializer name such as 'glorot_uniform' or "
            f"'he_normal', or an initializer object; got {initializer!r}"
        ) from err
    finally:
        random.setstate(state)


def build_mlp(
    depth: int,
    activation: str = "sigmoid",
    *,
    units: int = 512,
    dropout: float = 0.2,
    initializer: str | keras.initializers.Initializer = "glorot_uniform",
    normalization: str | None = None,
    residual: bool = False,
    input_dim: int = INPUT_DIM,
    num_classes: int = NUM_CLASSES,
    name: str | None = None,
    seed: Any = None,
) -> keras.Model:
    """Build the assignment's MLP, exactly by default, with knobs to turn.

    The default is the assignment's model: `Dense(units, activation)` +
    `Dropout`, then `depth - 1` blocks of `Dense(units)` + `Activation` +
    `Dropout`, then `Dense(num_classes)` + softmax. Layers are named
    `hidden1`, `hidden1_act`, `hidden1_dropout`, ..., `output`, `softmax`.

    Args:
        depth: Number of hidden layers, 1 to 1,000.
        activation: Hidden activation, one of `ACTIVATIONS`.
        units: Width of every hidden layer.
        dropout: Dropout rate after every hidden layer, in [0, 1).
        initializer: Kernel initializer of the Dense layers, a Keras name such
            as `"glorot_uniform"` (the Keras default) or `"he_normal"`, or an
            initializer object.
        normalization: `None`, `"batch"` (BatchNormalization between each
            hidden Dense and its activation; that Dense then has no bias,
            which the normalization would cancel) or `"layer"`
            (LayerNormalization, same place).
        residual: Add each hidden block's output to its input (from the
            second hidden layer on, where widths match), a skip connection
            that gives the gradient a path around every block.
        input_dim: Length of an input vector.
        num_classes: Number of output classes.
        name: Model name; defaults to `mlp_depth{depth}`.
        seed: Seed of the initial weights and of the dropout masks: an int,
            a `numpy.random.Generator`, or `None` to leave them to Keras'
            global seed (`fdmlearn.set_seed`). No global generator is touched.

    Returns:
        An uncompiled `keras.Model` mapping `(N, input_dim)` floats to
        `(N, num_classes)` class probabilities. It is a `PixelMLP`: given
        arrays, its `fit`, `evaluate`, `predict` and calls refuse NaN,
        infinite, integer or 0..255 pixels with a clear error.

    Raises:
        TypeError: If an argument has the wrong type (`depth=1.5`,
            `residual="yes"`, an `initializer` that is neither a name nor an
            initializer).
        ValueError: If `depth`, `units` or `input_dim` is < 1, `num_classes`
            < 2, `dropout` outside [0, 1), `activation`, `initializer` or
            `normalization` unknown, or the network would have more than
            `MAX_PARAMETERS` parameters.

    Examples:
        >>> model = build_mlp(depth=2)
        >>> [layer.name for layer in model.layers[1:]]  # doctest: +NORMALIZE_WHITESPACE
        ['hidden1', 'hidden1_dropout', 'hidden2', 'hidden2_act', 'hidden2_dropout',
         'output', 'softmax']
        >>> model.count_params()
        669706
        >>> build_mlp(3, "relu", initializer="he_normal", normalization="batch").count_params()
        936970
        >>> a, b = build_mlp(1, seed=0), build_mlp(1, seed=0)  # the same initial weights
        >>> all(bool((u == v).all()) for u, v in zip(a.get_weights(), b.get_weights()))
        True
    """
    # 1,000 layers already take minutes to build; more is a typo, not an experiment.
    depth = check_int("depth", depth, minimum=1, maximum=1000)
    units = check_int("units", units, minimum=1)
    input_dim = check_int("input_dim", input_dim, minimum=1)
    num_classes = check_int("num_classes", num_classes, minimum=2)
    activation = check_choice("activation", activation, ACTIVATIONS)
    dropout = check_real("dropout", dropout, minimum=0, maximum=1, open_max=True)
    normalization = _check_optional_choice("normalization", normalization, _NORMALIZATIONS)
    residual = check_bool("residual", residual)
    template = _check_initializer(initializer)
    params = (input_dim + 1) * units + (depth - 1) * (units + 1) * units + (units + 1) * num_classes
    if params > MAX_PARAMETERS:  # refuse before Keras allocates (or the machine swaps)
        raise ValueError(
            f"depth={depth}, units={units}, input_dim={input_dim}, num_classes={num_classes} "
            f"would give {params:,} parameters ({4 * params / 1e9:.1f} GB); "
            f"the limit is {MAX_PARAMETERS:,}"
        )
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string or None, got {type(name).__name__}")
    rng = None if seed is None else check_rng(seed)

    def layer_seed() -> int | None:
        return None if rng is None else int(rng.integers(2**31 - 1))

    def dense(units_: int, layer_name: str, index: int, **kwargs: Any) -> keras.layers.Dense:
        # A fresh initializer per layer: one object shared by every layer would
        # give each the same starting weights when it carries a seed.
        config = template.get_config()
        if "seed" in config:
            if rng is not None:
                config["seed"] = layer_seed()
            elif isinstance(config["seed"], int):
                config["seed"] += index
        init = type(template).from_config(config)
        return keras.layers.Dense(units_, kernel_initializer=init, name=layer_name, **kwargs)

    inputs = keras.Input(shape=(input_dim,), name="pixels")
    x = inputs
    for i in range(1, depth + 1):
        block_input = x
        if normalization is None and i == 1:
            # The assignment fuses the first layer's activation into its Dense.
            x = dense(units, f"hidden{i}", i, activation=activation)(x)
        else:
            x = dense(units, f"hidden{i}", i, use_bias=normalization is None)(x)
            if normalization == "batch":
                x = keras.layers.BatchNormalization(name=f"hidden{i}_norm")(x)
            elif normalization == "layer":
                x = keras.layers.LayerNormalization(name=f"hidden{i}_norm")(x)
            x = keras.layers.Activation(activation, name=f"hidden{i}_act")(x)
        x = keras.layers.Dropout(dropout, seed=layer_seed(), name=f"hidden{i}_dropout")(x)
        if residual and i > 1:
            x = keras.layers.Add(name=f"hidden{i}_skip")([block_input, x])
    x = dense(num_classes, "output", depth + 1)(x)
    outputs = keras.layers.Activation("softmax", name="softmax")(x)
    return PixelMLP(inputs, outputs, name=name or f"mlp_depth{depth}")


# --------------------------------------------------------------------------- recipes


@dataclass(frozen=True)
class Recipe:
    """A named bundle of model and optimizer choices for `build_mlp`.

    Make your own with `dataclasses.replace(RECIPES["improved"], ...)`.

    Attributes:
        name: Short name, used in tables and plots.
        description: One sentence saying what the recipe is and why.
        activation: Hidden activation (see `ACTIVATIONS`).
        initializer: Kernel initializer name.
        normalization: `None`, `"batch"` or `"layer"`.
        residual: Skip connections around hidden blocks 2..depth.
        dropout: Dropout rate after every hidden layer.
        optimizer: `"sgd"`, `"adam"` or `"adamw"`.
        learning_rate: Initial learning rate.
        schedule: `None` (constant) or `"cosine"` (decays to 0 over training).
        weight_decay: AdamW's decoupled weight decay (ignored by the others).
        label_smoothing: Cross-entropy label smoothing in [0, 1).
    """

    name: str
    description: str
    activation: str = "sigmoid"
    initializer: str = "glorot_uniform"
    normalization: str | None = None
    residual: bool = False
    dropout: float = 0.2
    optimizer: str = "sgd"
    learning_rate: float = 0.01
    schedule: str | None = None
    weight_decay: float = 0.004
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        # Checked once here, so that a bad recipe fails where it is written,
        # not minutes later inside a study. Numbers are stored as plain floats.
        for attr in ("name", "description", "activation", "initializer", "optimizer"):
            if not isinstance(getattr(self, attr), str):
                raise TypeError(
                    f"Recipe.{attr} must be a string, got {type(getattr(self, attr)).__name__}"
                )
        check_choice("Recipe.activation", self.activation, ACTIVATIONS)
        _check_initializer(self.initializer)
        _check_optional_choice("Recipe.normalization", self.normalization, _NORMALIZATIONS)
        check_bool("Recipe.residual", self.residual)
        check_choice("Recipe.optimizer", self.optimizer, _OPTIMIZERS)
        _check_optional_choice("Recipe.schedule", self.schedule, _SCHEDULES)
        numbers_ = {
            "dropout": check_real(
                "Recipe.dropout", self.dropout, minimum=0, maximum=1, open_max=True
            ),
            "learning_rate": check_real(
                "Recipe.learning_rate", self.learning_rate, minimum=0, open_min=True
            ),
            "weight_decay": check_real("Recipe.weight_decay", self.weight_decay, minimum=0),
            "label_smoothing": check_real(
                "Recipe.label_smoothing", self.label_smoothing, minimum=0, maximum=1, open_max=True
            ),
        }
        for attr, value in numbers_.items():
            object.__setattr__(self, attr, value)

    def build(self, depth: int, *, total_steps: int | None = None, seed: Any = None) -> keras.Model:
        """Build and compile this recipe's model.

        Args:
            depth: Number of hidden layers (>= 1).
            total_steps: Number of training steps (batches x epochs); needed
                by the `"cosine"` schedule, ignored otherwise.
            seed: Seed of the initial weights and dropout masks (see
                `build_mlp`); `None` leaves them to Keras' global seed.

        Returns:
            A `keras.Model` compiled with categorical cross-entropy and accuracy.

        Raises:
            ValueError: If the schedule needs `total_steps` and it is missing
                or < 1, or `depth` is invalid (see `build_mlp`).
            TypeError: If `depth`, `total_steps` or `seed` has the wrong type.

        Examples:
            >>> model = RECIPES["baseline"].build(1)
            >>> type(model.optimizer).__name__, round(float(model.optimizer.learning_rate), 6)
            ('SGD', 0.01)
        """
        lr: float | keras.optimizers.schedules.LearningRateSchedule = self.learning_rate
        if total_steps is not None:
            total_steps = check_int("total_steps", total_steps, minimum=1)
        if self.schedule == "cosine":
            if total_steps is None:
                raise ValueError(
                    f"recipe {self.name!r} uses a cosine schedule: total_steps must be a "
                    f"positive number of training steps, got None"
                )
            lr = keras.optimizers.schedules.CosineDecay(self.learning_rate, total_steps)
        model = build_mlp(
            depth,
            self.activation,
            dropout=self.dropout,
            initializer=self.initializer,
            normalization=self.normalization,
            residual=self.residual,
            seed=seed,
        )
        if self.optimizer == "sgd":
            opt = keras.optimizers.SGD(lr)
        elif self.optimizer == "adam":
            opt = keras.optimizers.Adam(lr)
        else:
            opt = keras.optimizers.AdamW(lr, weight_decay=self.weight_decay)
        model.compile(
            optimizer=opt,
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=self.label_smoothing),
            metrics=["accuracy"],
        )
        return model


#: The named recipes. `"improved"` was chosen by measurement (see the
#: ablation table in the "Training deeper models" tutorial).
RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "baseline",
            "The assignment: sigmoid, Glorot-uniform init, plain SGD with learning rate 0.01.",
        ),
        Recipe(
            "relu",
            "The seed notebook's fix: the baseline with ReLU instead of sigmoid.",
            activation="relu",
        ),
        Recipe(
            "improved",
            "ReLU with He init, AdamW (lr 1e-3) with a cosine decay to 0, label smoothing 0.1.",
            activation="relu",
            initializer="he_normal",
            optimizer="adamw",
            learning_rate=1e-3,
            schedule="cosine",
            label_smoothing=0.1,
        ),
        Recipe(
            "sigmoid_adamw",
            "Sigmoid kept, with AdamW and cosine decay: the optimizer's per-weight step size "
            "makes up for the small gradients of the early layers, so it trains at depth 3.",
            optimizer="adamw",
            learning_rate=1e-3,
            schedule="cosine",
        ),
        Recipe(
            "sigmoid_bn",
            "Sigmoid kept, but batch normalization before each sigmoid and AdamW with "
            "cosine decay: a sigmoid network that trains at depth 3.",
            normalization="batch",
            optimizer="adamw",
            learning_rate=1e-3,
            schedule="cosine",
        ),
    )
}


def get_recipe(recipe: str | Recipe) -> Recipe:
    """Look a recipe up by name (a `Recipe` is returned as is).

    Args:
        recipe: A key of `RECIPES` or a `Recipe`.

    Returns:
        The `Recipe`.

    Raises:
        ValueError: If the name is not a key of `RECIPES`.
        TypeError: If `recipe` is neither a string nor a `Recipe`.

    Examples:
        >>> get_recipe("relu").activation
        'relu'
    """
    if isinstance(recipe, Recipe):
        return recipe
    if not isinstance(recipe, str):
        raise TypeError(f"recipe must be a name or a Recipe, got {type(recipe).__name__}")
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {sorted(RECIPES)}, got {recipe!r}")
    return RECIPES[recipe]


# --------------------------------------------------------------------------- study


@dataclass
class DepthStudy:
    """What `depth_study` measured: one trained model per depth.

    Attributes:
        recipe: The recipe's name.
        epochs: Epochs trained per depth.
        test_accuracy: `{depth: accuracy on the test set after the last epoch}`.
        train_accuracy: `{depth: training accuracy of the last epoch}`, as
            Keras reports it (averaged over the epoch, with dropout active).
        history: `{depth: Keras history dict}` with per-epoch `accuracy`,
            `loss`, `val_accuracy`, `val_loss`.
        params: `{depth: number of parameters}`.
        seconds: `{depth: wall-clock seconds of model.fit}`.
        models: `{depth: trained keras.Model}`.
        gradient_history: `{depth: GradientNormHistory}` when the study was
            run with `track_gradients=True`, else empty.
    """

    recipe: str
    epochs: int
    test_accuracy: dict[int, float] = field(default_factory=dict)
    train_accuracy: dict[int, float] = field(default_factory=dict)
    history: dict[int, dict[str, list[float]]] = field(default_factory=dict, repr=False)
    params: dict[int, int] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)
    models: dict[int, keras.Model] = field(default_factory=dict, repr=False)
    gradient_history: dict[int, GradientNormHistory] = field(default_factory=dict, repr=False)

    def plot(self, title: str | None = None) -> Figure:
        """One panel per depth: train and test accuracy per epoch, y in [0, 1].

        Args:
            title: Figure title; defaults to the recipe's name.

        Returns:
            A matplotlib `Figure`.

        Examples:
            >>> h = {"accuracy": [0.5, 0.8], "val_accuracy": [0.6, 0.85]}
            >>> fig = DepthStudy("baseline", 2, history={1: h, 3: h}).plot()
            >>> [ax.get_title() for ax in fig.axes], tuple(map(float, fig.axes[0].get_ylim()))
            (['depth = 1', 'depth = 3'], (0.0, 1.0))
        """
        depths = sorted(self.history)
        fig = new_figure(figsize=(4 * max(len(depths), 1), 3.4), layout="constrained")
        axes = fig.subplots(1, max(len(depths), 1), sharey=True, squeeze=False)[0]
        for ax, depth in zip(axes, depths, strict=False):
            h = self.history[depth]
            epochs = np.arange(1, len(h["accuracy"]) + 1)
            ax.plot(epochs, h["accuracy"], "o-", label="train")
            ax.plot(epochs, h["val_accuracy"], "s--", label="test")
            ax.set_title(f"depth = {depth}")
            ax.set_xlabel("epoch")
            ax.set_ylim(0, 1)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("accuracy")
        if depths:  # an empty study (no record to plot) draws an empty panel, no legend
            axes[0].legend(loc="lower right")
        fig.suptitle(title or f"recipe: {self.recipe}")
        return fig

    def __repr__(self) -> str:
        # Bounded: the models and histories stay out (a notebook shows the
        # table through _repr_markdown_).
        shown = sorted(self.test_accuracy)
        accs = ", ".join(f"{d}: {self.test_accuracy[d]:.4f}" for d in shown[:8])
        more = f", ... ({len(shown) - 8} more)" if len(shown) > 8 else ""
        return (
            f"DepthStudy(recipe={self.recipe!r}, epochs={self.epochs}, "
            f"test_accuracy={{{accs}{more}}})"
        )

    def _repr_markdown_(self) -> str:
        return f"**DepthStudy**, recipe `{self.recipe}`, {self.epochs} epoch(s)\n\n" + (
            self.to_markdown()
        )

    def to_markdown(self) -> str:
        """A Markdown table: depth, parameters, final train/test accuracy, seconds.

        Returns:
            The table as a string.

        Examples:
            >>> study = DepthStudy("relu", 10, test_accuracy={1: 0.9297}, train_accuracy={1: 0.95},
            ...                    params={1: 407050}, seconds={1: 31.4})
            >>> print(study.to_markdown())
            | depth | parameters | train accuracy | test accuracy | seconds |
            |---:|---:|---:|---:|---:|
            | 1 | 407,050 | 95.00% | 92.97% | 31.4 |
            >>> study
            DepthStudy(recipe='relu', epochs=10, test_accuracy={1: 0.9297})
        """
        rows = [
            "| depth | parameters | train accuracy | test accuracy | seconds |",
            "|---:|---:|---:|---:|---:|",
        ]
        for d in sorted(self.test_accuracy):
            rows.append(
                f"| {d} | {self.params[d]:,} | {self.train_accuracy[d]:.2%} | "
                f"{self.test_accuracy[d]:.2%} | {self.seconds[d]:.1f} |"
            )
        return "\n".join(rows)


def _check_depths(depths: Any) -> tuple[int, ...]:
    if isinstance(depths, numbers.Number | str) or not isinstance(depths, Iterable):
        raise TypeError(f"depths must be an iterable of integers such as (1, 2, 3), got {depths!r}")
    depths = tuple(check_int(f"depths[{i}]", d, minimum=1) for i, d in enumerate(depths))
    if not depths:
        raise ValueError("depths must name at least one depth, got an empty sequence")
    return depths


def depth_study(
    depths: Iterable[int] = (1, 2, 3),
    recipe: str | Recipe = "baseline",
    epochs: int = 10,
    *,
    batch_size: int = 128,
    data: Data | None = None,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: Any = 0,
    track_gradients: bool = False,
    callbacks: Any = None,
    verbose: str | int = "auto",
    strategy: tf.distribute.Strategy | None = None,
) -> DepthStudy:
    """Train one model per depth with a recipe, the assignment's experiment.

    Each depth is one `model.fit` (through fdmlearn's training guard), with
    the test set as validation data. Every depth starts from the same `seed`
    (initial weights, dropout masks and the order of the batches, all seeded
    locally), so a depth's result does not depend on which depths ran before
    it, and no global random generator is touched.

    Args:
        depths: Hidden-layer counts to train, each >= 1.
        recipe: A key of `RECIPES` or a `Recipe`.
        epochs: Epochs per depth (>= 1).
        batch_size: Batch size (>= 1).
        data: `(x_train, y_train), (x_test, y_test)` as `mnist_flat` returns
            them: float images in [0, 1] of shape (N, 784), labels as class
            indices or one-hot. Defaults to MNIST.
        train_size: With `data=None`, use this many training images (a
            seeded, class-stratified subset, see `mnist_flat`).
        test_size: With `data=None`, use this many test images.
        seed: An int, a `numpy.random.Generator`, or `None` for a fresh,
            unrepeatable run.
        track_gradients: Record per-layer gradient norms during training on a
            fixed batch of 256 training images (`GradientNormHistory`, every
            50 steps); costs a little time.
        callbacks: Extra Keras callbacks, passed to every depth's `fit`.
        verbose: `"auto"` (Keras' progress bar), 0 (silent), 1 or 2.
        strategy: Optional `tf.distribute.Strategy`; each model is built and
            compiled under its scope (e.g. `MirroredStrategy` over GPUs).

    Returns:
        A `DepthStudy`.

    Raises:
        TypeError: If an argument has the wrong type (images of integers
            included: divide 8-bit pixels by 255).
        ValueError: If a depth, `epochs` or `batch_size` is < 1, the recipe is
            unknown, or the data has the wrong shape, non-finite values or
            pixels outside [0, 1].
        NonFiniteLossError: If the loss became NaN or infinite; that depth's
            weights are restored to their values before training.

    Examples:
        >>> study = depth_study((1, 2), "relu", epochs=1, train_size=512, test_size=128,
        ...                     verbose=0)
        >>> sorted(study.test_accuracy), study.params
        ([1, 2], {1: 407050, 2: 669706})
        >>> all(0.0 <= a <= 1.0 for a in study.test_accuracy.values())
        True
    """
    depths = _check_depths(depths)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    rec = get_recipe(recipe)
    track_gradients = check_bool("track_gradients", track_gradients)
    callbacks = check_callbacks(callbacks)
    verbose = check_verbose(verbose)
    strategy = check_strategy(strategy)
    rng = check_rng(seed)
    if data is None:
        data = mnist_flat(train_size, test_size, seed=rng)
    elif train_size is not None or test_size is not None:
        raise ValueError("train_size and test_size only apply with data=None; subset data yourself")
    try:
        (x_train, y_train), (x_test, y_test) = data
    except (TypeError, ValueError) as err:
        raise TypeError(
            "data must be ((x_train, y_train), (x_test, y_test)), as mnist_flat returns"
        ) from err
    x_train, y_train = _check_xy(x_train, y_train, INPUT_DIM, NUM_CLASSES, ("x_train", "y_train"))
    x_test, y_test = _check_xy(x_test, y_test, INPUT_DIM, NUM_CLASSES, ("x_test", "y_test"))

    # One draw, shared by every depth: each depth starts from the same seed.
    depth_seed = int(rng.integers(2**31 - 1))
    steps = -(-len(x_train) // batch_size) * epochs
    study = DepthStudy(recipe=rec.name, epochs=epochs)
    for depth in depths:
        with scope(strategy):
            model = rec.build(depth, total_steps=steps, seed=depth_seed)
        extra = []
        if track_gradients:
            tracker = GradientNormHistory(x_train[:256], y_train[:256], every=50)
            extra.append(tracker)
            study.gradient_history[depth] = tracker
        start = time.perf_counter()
        hist = fit_keras(
            model,
            shuffled_batches(x_train, y_train, batch_size, depth_seed),
            what=f"depth_study (depth {depth}, recipe {rec.name!r})",
            epochs=epochs,
            shuffle=False,  # the pipeline shuffles, from its own seed
            validation_data=(x_test, y_test),
            validation_batch_size=batch_size,
            callbacks=[*callbacks, *extra],
            verbose=verbose,
        )
        study.seconds[depth] = time.perf_counter() - start
        study.history[depth] = {k: [float(v) for v in vs] for k, vs in hist.history.items()}
        study.train_accuracy[depth] = study.history[depth]["accuracy"][-1]
        study.test_accuracy[depth] = study.history[depth]["val_accuracy"][-1]
        study.params[depth] = int(model.count_params())
        study.models[depth] = model
    return study


# --------------------------------------------------------------------------- diagnostics


def _check_model(model: Any) -> keras.Model:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    return model


def _dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not dense:
        raise ValueError(f"model {model.name!r} has no Dense layer to report on")
    return dense


def _model_dims(model: keras.Model) -> tuple[int, int]:
    """(input length, number of classes) of a model on flat vectors."""
    inp, out = model.input_shape, model.output_shape
    if not (isinstance(inp, tuple) and len(inp) == 2 and isinstance(out, tuple) and len(out) == 2):
        raise ValueError(
            f"model must map vectors (N, D) to class probabilities (N, C); model {model.name!r} "
            f"has input shape {inp} and output shape {out}"
        )
    return int(inp[1]), int(out[1])


def gradient_norms(
    model: keras.Model, x: Any, y: Any, *, training: bool = False
) -> dict[str, float]:
    """Per-layer gradient norms of the cross-entropy loss on one batch.

    For every Dense layer, from input to output, the L2 norm of the gradient
    of the mean categorical cross-entropy with respect to its kernel. In a
    deep sigmoid network these shrink sharply towards the input: the
    vanishing gradient, measured.

    Args:
        model: A model mapping (N, D) floats to probabilities over C classes,
            such as `build_mlp` returns (trained or not, any D and C).
        x: Images, shape (N, D), floats in [0, 1].
        y: Labels, class indices (N,) in 0..C-1 or one-hot (N, C).
        training: Run the forward pass in training mode (dropout active,
            batch normalization using batch statistics). The default,
            `False`, makes the result deterministic.

    Returns:
        `{layer name: gradient norm}` in input-to-output order.

    Raises:
        ValueError: If the data has the wrong shape, non-finite values or
            pixels outside [0, 1], or the model has no Dense layer.
        TypeError: If `model` is not a Keras model or the data has the wrong dtype.

    Examples:
        >>> (x, y), _ = mnist_flat(train_size=256, test_size=1)
        >>> norms = gradient_norms(build_mlp(3, seed=0), x, y)
        >>> list(norms)
        ['hidden1', 'hidden2', 'hidden3', 'output']
        >>> norms["hidden1"] < norms["hidden3"]  # smaller towards the input
        True
        >>> three = build_mlp(1, num_classes=3, input_dim=4, units=8)  # any number of classes
        >>> list(gradient_norms(three, np.full((2, 4), 0.5), [0, 2]))
        ['hidden1', 'output']
    """
    model = _check_model(model)
    check_bool("training", training)
    x, y = _check_xy(x, y, *_model_dims(model))
    dense = _dense_layers(model)
    kernels = [layer.kernel for layer in dense]
    loss_fn = keras.losses.CategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=training))
    grads = tape.gradient(loss, kernels)
    return {layer.name: float(tf.norm(g)) for layer, g in zip(dense, grads, strict=True)}


class GradientNormHistory(keras.callbacks.Callback):
    """A Keras callback recording per-layer gradient norms during training.

    Every `every` training steps (and once before the first), it computes
    `gradient_norms` on a fixed batch, so the curves show how gradient flow
    changes as the network learns.

    Args:
        x: A fixed batch of images, (N, 784) floats.
        y: Its labels, class indices or one-hot.
        every: Record every this many training steps (>= 1).
        num_classes: Number of classes the labels are checked against here
            (>= 2); None: the width of one-hot labels, or 10 (MNIST's digits)
            for class indices. The model's own number of classes is checked
            again when training starts.

    Attributes:
        steps: The training steps at which norms were recorded.
        norms: `{layer name: [norm at each recorded step]}`.

    Raises:
        ValueError: If `every` < 1, `num_classes` < 2, the batch has the wrong
            shape or values, or a label is not a class in 0..num_classes-1.
        TypeError: If `every` or `num_classes` is not an integer, the batch
            not numbers, or class indices not integers.

    Examples:
        >>> (x, y), _ = mnist_flat(train_size=512, test_size=1)
        >>> model = RECIPES["baseline"].build(2, seed=0)
        >>> tracker = GradientNormHistory(x[:64], y[:64], every=2)
        >>> y_onehot = keras.utils.to_categorical(y, 10)
        >>> _ = model.fit(x, y_onehot, batch_size=128, epochs=1, callbacks=[tracker], verbose=0)
        >>> tracker.steps
        [0, 2, 4]
        >>> sorted(tracker.norms)
        ['hidden1', 'hidden2', 'output']
    """

    def __init__(self, x: Any, y: Any, every: int = 50, *, num_classes: int | None = None) -> None:
        super().__init__()
        self.every = check_int("every", every, minimum=1)
        self.x = check_images("x", x, ndim=2)
        self.y = check_array("y", y, ndim=(1, 2), kind="float")
        # Checked here, not only once the model is known (on_train_begin): a
        # label out of range would otherwise surface mid-fit. The labels are
        # kept as given, for a model with more classes than `num_classes`.
        if num_classes is not None:
            num_classes = check_int("num_classes", num_classes, minimum=2)
        elif self.y.ndim == 2:
            num_classes = self.y.shape[1]
        try:
            _check_y("y", self.y, num_classes or NUM_CLASSES)
        except ValueError as err:
            if num_classes is not None:
                raise
            raise ValueError(
                f"{err} (class indices are checked against {NUM_CLASSES} classes, MNIST's "
                "digits: pass num_classes for a model with more)"
            ) from None
        if len(self.x) != len(self.y) or len(self.x) == 0:
            raise ValueError(
                f"x and y must be non-empty and of equal length, got {len(self.x)} images "
                f"and {len(self.y)} labels"
            )
        self.steps: list[int] = []
        self.norms: dict[str, list[float]] = {}
        self._step = 0

    def _record(self) -> None:
        for name, value in gradient_norms(self.model, self.x, self.y).items():
            self.norms.setdefault(name, []).append(value)
        self.steps.append(self._step)

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not self.steps:
            self._record()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._step += 1
        if self._step % self.every == 0:
            self._record()


def hidden_activations(model: keras.Model, x: Any) -> dict[str, np.ndarray]:
    """Outputs of every hidden activation, in inference mode.

    Args:
        model: A model built by `build_mlp`.
        x: Images, shape (N, 784), floats.

    Returns:
        `{layer name: array (N, units)}` for each hidden layer, input to output.

    Raises:
        ValueError: If `x` has the wrong shape, non-finite values or pixels
            outside [0, 1], or the model has no hidden layer.
        TypeError: If `model` is not a Keras model or `x` not floats.

    Examples:
        >>> (x, _), _ = mnist_flat(train_size=8, test_size=1)
        >>> acts = hidden_activations(build_mlp(2), x)
        >>> {name: a.shape for name, a in acts.items()}
        {'hidden1': (8, 512), 'hidden2': (8, 512)}
    """
    model = _check_model(model)
    x = _check_x("x", x, _model_dims(model)[0])
    taps: dict[str, keras.KerasTensor] = {}
    names = {layer.name for layer in model.layers}
    i = 1
    while f"hidden{i}" in names:
        # The first layer of the assignment's model fuses its activation into the Dense.
        act = f"hidden{i}_act" if f"hidden{i}_act" in names else f"hidden{i}"
        taps[f"hidden{i}"] = model.get_layer(act).output
        i += 1
    if not taps:
        raise ValueError(f"model {model.name!r} has no hidden activation layer (see build_mlp)")
    probe = keras.Model(model.input, list(taps.values()))
    outs = probe(x, training=False)
    if not isinstance(outs, list | tuple):
        outs = [outs]
    return {name: np.asarray(out) for name, out in zip(taps, outs, strict=True)}


# --------------------------------------------------------------------------- plots


def plot_gradient_norms(
    norms: Mapping[str, Mapping[str, float]] | Mapping[str, float], title: str | None = None
) -> Figure:
    """Plot per-layer gradient norms (log scale), one line per network.

    Args:
        norms: `{label: gradient_norms(...)}` to compare several networks, or
            a single `gradient_norms(...)` result.
        title: Figure title.

    Returns:
        A matplotlib `Figure`; the x-axis goes from the input layer to the output.

    Raises:
        ValueError: If `norms` is empty.

    Examples:
        >>> fig = plot_gradient_norms({"a": {"hidden1": 1e-3, "output": 1e-1}})
        >>> fig.axes[0].get_yscale()
        'log'
    """
    from matplotlib.ticker import MaxNLocator

    if not isinstance(norms, Mapping):
        raise TypeError(f"norms must be a dict, got {type(norms).__name__}")
    if not norms:
        raise ValueError("norms must not be empty")
    first = next(iter(norms.values()))
    series = {"": norms} if not isinstance(first, Mapping) else norms
    for label, per_layer in series.items():
        values = check_array(f"norms[{label!r}]", list(per_layer.values()), ndim=1)
        if (values <= 0).any():
            raise ValueError(f"norms[{label!r}] must hold positive norms (log scale)")
    fig = new_figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    for label, per_layer in series.items():
        values = list(per_layer.values())
        ax.plot(range(1, len(values) + 1), values, "o-", label=label or None)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = first hidden layer, last = output layer)")
    ax.set_ylabel("gradient norm of the kernel")
    ax.grid(alpha=0.3, which="both")
    if any(series):
        ax.legend()
    ax.set_title(title or "Gradient norm per layer")
    return fig


def plot_gradient_norm_history(history: GradientNormHistory, title: str | None = None) -> Figure:
    """Plot how each layer's gradient norm evolves during training (log scale).

    Args:
        history: A `GradientNormHistory` that was used in `model.fit`.
        title: Figure title.

    Returns:
        A matplotlib `Figure` with one line per Dense layer.

    Raises:
        ValueError: If nothing was recorded yet.

    Examples:
        >>> (x, y), _ = mnist_flat(train_size=256, test_size=1)
        >>> model = RECIPES["baseline"].build(2)
        >>> tracker = GradientNormHistory(x[:32], y[:32], every=1)
        >>> _ = model.fit(x, keras.utils.to_categorical(y, 10), batch_size=128, epochs=1,
        ...               callbacks=[tracker], verbose=0)
        >>> fig = plot_gradient_norm_history(tracker)
        >>> len(fig.axes[0].get_lines())  # one line per Dense layer
        3
    """
    if not isinstance(history, GradientNormHistory):
        raise TypeError(f"history must be a GradientNormHistory, got {type(history).__name__}")
    if not history.steps:
        raise ValueError("history has no recorded step: pass it to model.fit(callbacks=[...])")
    fig = new_figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    for name, values in history.norms.items():
        ax.plot(history.steps, values, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("gradient norm of the kernel")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    ax.set_title(title or "Gradient norm per layer during training")
    return fig


def plot_activation_histograms(
    activations: Mapping[str, np.ndarray], bins: int = 50, title: str | None = None
) -> Figure:
    """Histogram of each hidden layer's activations, one panel per layer.

    Sigmoid units near 0 or 1 are saturated: their derivative is close to 0,
    so little gradient passes through them.

    Args:
        activations: `{layer name: array}`, as `hidden_activations` returns.
        bins: Number of histogram bins, 1 to 10,000.
        title: Figure title.

    Returns:
        A matplotlib `Figure`.

    Raises:
        ValueError: If `activations` is empty or `bins` < 1.

    Examples:
        >>> fig = plot_activation_histograms({"hidden1": np.linspace(0, 1, 40)})
        >>> len(fig.axes)
        1
    """
    if not isinstance(activations, Mapping):
        raise TypeError(f"activations must be a dict, got {type(activations).__name__}")
    if not activations:
        raise ValueError("activations must not be empty")
    bins = check_int("bins", bins, minimum=1, maximum=10_000)
    activations = {
        name: check_array(f"activations[{name!r}]", a) for name, a in activations.items()
    }
    n = len(activations)
    fig = new_figure(figsize=(3.2 * n, 2.8), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, (name, values) in zip(axes, activations.items(), strict=True):
        values = np.ravel(values)
        ax.hist(values, bins=bins, color="tab:blue")
        if values.size and 0 <= values.min() and values.max() <= 1:
            # Sigmoid-like outputs: show the whole range, so that saturation
            # (mass piled up near 0 or 1) or its absence is visible at a glance.
            ax.set_xlim(0, 1)
        ax.set_title(name)
        ax.set_xlabel("activation")
        ax.set_yticks([])
    axes[0].set_ylabel("count")
    if title:
        fig.suptitle(title)
    return fig
