"""MkDocs hook for the tutorial pages: a notebook each, and links into the API reference.

- The notebook is made from the page's own Markdown by `fdmlearn._notebooks`
  (the same code that puts the notebooks into the wheel), so page and notebook
  have the same cells. The site executes the cells once, through markdown-exec;
  the notebook is shipped unexecuted, for the learner to run. A button at the
  top of the page downloads it.
- Every inline-code mention of a public name of the page's topic
  (`` `gradient_descent` ``, `` `bp.relu` ``, `` `deep.Recipe` ``) becomes a
  link to its entry in the API reference (mkdocstrings' autorefs), so the
  sources stay plain Markdown and no link can go stale by hand.
"""

from __future__ import annotations

import importlib
import re

from mkdocs.structure.files import File

import fdmlearn
from fdmlearn._notebooks import notebook_json

_PREFIX = "tutorials/"


def _notebook_uri(src_uri: str) -> str:
    return "notebooks/" + src_uri.removeprefix(_PREFIX).removesuffix(".md") + ".ipynb"


def on_files(files, config):
    for page in [f for f in files.documentation_pages() if f.src_uri.startswith(_PREFIX)]:
        markdown = page.content_string
        note = (
            f"*This notebook is the tutorial page `{page.src_uri}` of fdmlearn "
            f"{fdmlearn.__version__}: run the cells in order.*"
        )
        files.append(
            File.generated(
                config,
                _notebook_uri(page.src_uri),
                content=notebook_json(markdown, title_note=note),
            )
        )
    return files


_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
_ALIASES = {"backprop": ("bp",), "captioning": ("cap",), "calculator": ("calc",)}


def _public_names(topic: str) -> set[str]:
    try:
        module = importlib.import_module(f"fdmlearn.{topic}")
    except ImportError:
        return set()
    return {n for n in getattr(module, "__all__", ()) if not n.startswith("_")}


def _link_api_names(markdown: str, topic: str) -> str:
    names = _public_names(topic)
    if not names:
        return markdown
    prefixes = "|".join(
        re.escape(p) for p in (f"fdmlearn.{topic}", topic, *_ALIASES.get(topic, ()))
    )
    mention = re.compile(
        rf"(?<![\[\w`])`(?:(?:{prefixes})\.)?(?P<name>[A-Za-z_]\w*)(?P<call>\(\))?`(?![\]\w(`])"
    )

    def link(m: re.Match) -> str:
        if m["name"] not in names:
            return m.group(0)
        return f"[{m.group(0)}][fdmlearn.{topic}.{m['name']}]"

    out, pos = [], 0
    for fence in _FENCE.finditer(markdown):
        prose = markdown[pos : fence.start()]
        out.append(
            "\n".join(
                line if line.lstrip().startswith("#") else mention.sub(link, line)
                for line in prose.split("\n")
            )
        )
        out.append(fence.group(0))
        pos = fence.end()
    tail = markdown[pos:]
    out.append(
        "\n".join(
            line if line.lstrip().startswith("#") else mention.sub(link, line)
            for line in tail.split("\n")
        )
    )
    return "".join(out)


def on_page_markdown(markdown, page, config, files):
    if not page.file.src_uri.startswith(_PREFIX):
        return markdown
    topic = page.file.src_uri.removeprefix(_PREFIX).removesuffix(".md")
    markdown = _link_api_names(markdown, topic)
    name = _notebook_uri(page.file.src_uri).rsplit("/", 1)[-1]
    button = (
        f"[Download this page as a notebook](../{_notebook_uri(page.file.src_uri)})"
        f'{{ .md-button .md-button--primary download="{name}" }}\n'
        f"or get all of them with `python -m fdmlearn notebooks DIR`.\n\n"
    )
    lines = markdown.split("\n")
    heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
    lines.insert(heading + 1, "\n" + button)
    return "\n".join(lines)
