"""Small helpers shared by the topics' figures.

Every topic's plotting function returns a `matplotlib.figure.Figure`; these
helpers turn one into something a web page or a notebook can show.
"""

from __future__ import annotations

import base64
import html
import io

from matplotlib.figure import Figure

__all__ = ["figure_to_html"]


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

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from fdmlearn.plotting import figure_to_html
        >>> fig, ax = plt.subplots()
        >>> _ = ax.plot([0, 1], [0, 1])
        >>> figure_to_html(fig, alt="a diagonal line")[:45]
        '<img alt="a diagonal line" src="data:image/sv'
    """
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
