"""Small helpers shared by the topics' figures.

Every topic's plotting function returns a `matplotlib.figure.Figure` made by
`new_figure`: built without pyplot (so nothing is left open, and Jupyter never
shows it twice) and able to show itself in a notebook whatever the backend.
`figure_to_html` turns one into an `<img>` tag for a web page.
"""

from __future__ import annotations

import base64
import html
import inspect
import io
from typing import Any

from matplotlib.figure import Figure

__all__ = ["NotebookFigure", "figure_to_html", "new_figure"]


class NotebookFigure(Figure):
    """A `Figure` that Jupyter shows as a picture, once, in any kernel.

    A bare `Figure` made without pyplot shows as `<Figure size ...>` text
    until `%matplotlib inline` has registered a formatter; this one carries
    its own `_repr_png_`. It is never registered with pyplot, so
    `plt.show()` does not show it again and it needs no `plt.close`.

    Examples:
        >>> from fdmlearn.plotting import new_figure
        >>> fig = new_figure(figsize=(2, 1))
        >>> fig._repr_png_()[:4]
        b'\\x89PNG'
    """

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", bbox_inches="tight", dpi=100)
        return buf.getvalue()

    def __repr__(self) -> str:
        width, height = self.get_size_inches()
        return f"<{type(self).__name__} {width:g}x{height:g} in, {len(self.axes)} axes>"


def new_figure(**kwargs: Any) -> NotebookFigure:
    """A new `NotebookFigure` with an Agg canvas, outside pyplot's state.

    Args:
        **kwargs: Passed to `matplotlib.figure.Figure` (`figsize`,
            `layout`, `dpi`, ...).

    Returns:
        The figure; add axes with `fig.subplots(...)`.

    Raises:
        TypeError: If a keyword is not one `Figure` takes, or `figsize` is not
            two numbers.
        ValueError: If `figsize` or `dpi` is not positive.

    Examples:
        >>> from fdmlearn.plotting import new_figure
        >>> fig = new_figure(figsize=(3, 2))
        >>> ax = fig.subplots()
        >>> import matplotlib.pyplot as plt
        >>> plt.get_fignums()  # pyplot knows nothing of it
        []
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from fdmlearn._checks import check_real

    # Matplotlib accepts a NaN or negative size and fails much later, when drawing.
    if kwargs.get("figsize") is not None:
        figsize = kwargs["figsize"]
        if isinstance(figsize, str | bytes) or not hasattr(figsize, "__len__"):
            raise TypeError(
                f"figsize must be two numbers (width, height) in inches, got {figsize!r:.40}"
            )
        if len(figsize) != 2:
            raise ValueError(
                f"figsize must be two numbers (width, height) in inches, got {figsize!r:.40}"
            )
        kwargs["figsize"] = tuple(
            check_real(f"figsize[{i}]", v, minimum=0, open_min=True) for i, v in enumerate(figsize)
        )
    if kwargs.get("dpi") is not None:
        kwargs["dpi"] = check_real("dpi", kwargs["dpi"], minimum=0, open_min=True)
    try:
        fig = NotebookFigure(**kwargs)
    except AttributeError:  # matplotlib's word for an unknown keyword
        known = inspect.signature(Figure.__init__).parameters
        unknown = [k for k in kwargs if k not in known and not hasattr(Figure, f"set_{k}")]
        raise TypeError(
            "new_figure got an argument matplotlib's Figure does not take: "
            f"{', '.join(map(repr, unknown)) or sorted(kwargs)} (expected figsize, dpi, "
            "layout, facecolor, ...)"
        ) from None
    FigureCanvasAgg(fig)
    return fig


def figure_to_html(fig: Figure, alt: str, *, fmt: str = "svg", close: bool = True) -> str:
    """Render a figure as a self-contained HTML `<img>` tag with alt text.

    The image is embedded as a data URI, so the page needs no other file and
    makes no request. The tutorials use it to put their figures on the page.

    Args:
        fig: The figure to render.
        alt: A description of the figure for readers who cannot see it.
        fmt: `"svg"` (sharp at any zoom) or `"png"` (smaller for dense images).
        close: Close the figure afterwards, to free its memory.

    Returns:
        An HTML string `<img alt="..." src="data:...">`.

    Raises:
        ValueError: If `alt` is empty or `fmt` is not `"svg"` or `"png"`.
        TypeError: If `fig` is not a Figure, `alt` not a string or `close` not a bool.

    Examples:
        >>> from fdmlearn.plotting import figure_to_html, new_figure
        >>> fig = new_figure()
        >>> _ = fig.subplots().plot([0, 1], [0, 1])
        >>> figure_to_html(fig, alt="a diagonal line")[:45]
        '<img alt="a diagonal line" src="data:image/sv'
    """
    from fdmlearn._checks import check_bool

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(alt, str):
        raise TypeError(f"alt must be a string describing the figure, got {type(alt).__name__}")
    close = check_bool("close", close)
    if not alt or not alt.strip():
        raise ValueError("alt must describe the figure (got an empty string)")
    mime = {"svg": "image/svg+xml", "png": "image/png"}
    if fmt not in mime:
        raise ValueError(f"fmt must be 'svg' or 'png', got {fmt!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, bbox_inches="tight", dpi=110)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt, quote=True)}" src="data:{mime[fmt]};base64,{data}">'
