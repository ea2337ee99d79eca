"""Markdown to LaTeX for the small subset that exercise texts use.

Headings, paragraphs, bullet and numbered lists, pipe tables, `$...$` and
`$$...$$` math (kept as is), `**bold**`, `*italic*` and `` `code` ``.
Nothing else is needed, so nothing else is supported.
"""

from __future__ import annotations

import re

_SPECIAL = {
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}
_UNICODE = {
    "✔": r"$\checkmark$",
    "✘": r"$\times$",
    "≈": r"$\approx$",
    "…": r"\dots{}",
    "—": "---",
    "–": "--",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "→": r"$\to$",
    "ŷ": r"$\hat y$",
    "½": r"$\tfrac12$",
    "²": r"$^2$",
    "σ": r"$\sigma$",
    "η": r"$\eta$",
    "≤": r"$\le$",
    "≥": r"$\ge$",
}


def _escape(text: str) -> str:
    out = "".join(_SPECIAL.get(c, c) for c in text)
    for old, new in _UNICODE.items():
        out = out.replace(old, new)
    return out


def _inline(text: str) -> str:
    # Split out math and code first: their content is not escaped.
    pieces = re.split(r"(\$\$.+?\$\$|\$[^$]+\$|`[^`]+`)", text)
    out = []
    for piece in pieces:
        if piece.startswith("$"):
            out.append(piece)
        elif piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            out.append(r"\texttt{" + _escape(piece[1:-1]) + "}")
        else:
            escaped = _escape(piece)
            escaped = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", escaped)
            escaped = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\\emph{\1}", escaped)
            out.append(escaped)
    return "".join(out)


def _table(rows: list[str]) -> list[str]:
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    body = [c for c in cells if not all(re.fullmatch(r":?-{2,}:?", x) for x in c if x)]
    width = max(len(c) for c in body)
    out = [r"\begin{tabular}{" + "l" * width + "}", r"\hline"]
    for i, row in enumerate(body):
        row = row + [""] * (width - len(row))
        out.append(" & ".join(_inline(c) for c in row) + r" \\")
        if i == 0:
            out.append(r"\hline")
    out += [r"\hline", r"\end{tabular}", ""]
    return out


def markdown_to_latex(markdown: str) -> str:
    """A LaTeX fragment (no preamble) for the Markdown subset of exercise texts."""
    lines = markdown.splitlines()
    out: list[str] = []
    env: str | None = None
    item: list[str] = []  # the raw text of the list item or paragraph being read
    i = 0

    def flush() -> None:
        if item:
            text = _inline(" ".join(item))
            out.append((r"\item " + text) if env else text)
            item.clear()

    def close() -> None:
        nonlocal env
        flush()
        if env:
            out.append(rf"\end{{{env}}}")
            env = None

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("|"):
            close()
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i])
                i += 1
            out += _table(block)
            continue
        if stripped.startswith("$$"):
            close()
            block = [stripped]
            while not (block[-1].endswith("$$") and len("\n".join(block)) > 2) and i + 1 < len(
                lines
            ):
                i += 1
                block.append(lines[i].strip())
            out.append(r"\[" + "\n".join(block)[2:-2].strip() + r"\]")
            i += 1
            continue
        heading = re.match(r"(#{1,6})\s+(.*)", stripped)
        bullet = re.match(r"[-*]\s+(.*)", stripped)
        number = re.match(r"\d+\.\s+(.*)", stripped)
        if heading:
            close()
            level = len(heading.group(1))
            command = ("section", "subsection", "subsubsection", "paragraph")[min(level, 4) - 1]
            out.append(rf"\{command}*{{{_inline(heading.group(2))}}}")
        elif bullet or number:
            want = "itemize" if bullet else "enumerate"
            if env != want:
                close()
                out.append(rf"\begin{{{want}}}")
                env = want
            flush()
            item.append((bullet or number).group(1))
        elif not stripped:
            close()
            out.append("")
        elif env and not line.startswith(" "):
            close()
            item.append(stripped)
        else:
            item.append(stripped)
        i += 1
    close()
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def latex_document(body: str, title: str) -> str:
    """A complete, compilable LaTeX document around `body`."""
    return (
        "\\documentclass[11pt]{article}\n"
        "\\usepackage[utf8]{inputenc}\n\\usepackage{amsmath,amssymb}\n"
        "\\usepackage[margin=2.2cm]{geometry}\n"
        f"\\title{{{_escape(title)}}}\n\\date{{}}\n"
        "\\begin{document}\n\\maketitle\n"
        f"{body}\n"
        "\\end{document}\n"
    )
