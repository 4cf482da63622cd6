"""A drawing of a genotype's normal and reduction cells (matplotlib's object API).

Nodes ``c_{k-2}`` and ``c_{k-1}`` are the cell's inputs, 0..3 its intermediate nodes,
``c_{k}`` the concatenated output; every kept edge is labelled with its operation, as in the
figures of DARTS (Liu et al., ICLR 2019, https://arxiv.org/abs/1806.09055).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from automl_sparse.dass._genotype import Edge, Genotype

_INPUT_COLOUR = "#9ecae1"
_NODE_COLOUR = "#fdd0a2"
_OUTPUT_COLOUR = "#c7e9c0"


def _positions(steps: int) -> dict[str, tuple[float, float]]:
    spots = {"c_{k-2}": (0.0, 0.8), "c_{k-1}": (0.0, 0.2), "c_{k}": (steps + 1.0, 0.5)}
    for node in range(steps):
        spots[str(node)] = (node + 1.0, 0.85 if node % 2 == 0 else 0.15)
    return spots


def _name(node: int) -> str:
    return {0: "c_{k-2}", 1: "c_{k-1}"}.get(node, str(node - 2))


def draw_cell(ax: Axes, edges: tuple[Edge, ...], concat: tuple[int, ...], title: str) -> None:
    """Draw one cell on ``ax``: every (op, input) edge into its node, the concat into c_k."""
    steps = len(edges) // 2
    spots = _positions(steps)
    arrows = [(_name(src), str(i // 2), op) for i, (op, src) in enumerate(edges)]
    arrows += [(_name(node), "c_{k}", "") for node in concat]
    for src, dst, label in arrows:
        (x0, y0), (x1, y1) = spots[src], spots[dst]
        ax.annotate(
            "", xy=(x1, y1), xytext=(x0, y0),
            arrowprops={"arrowstyle": "->", "color": "grey" if not label else "black",
                        "shrinkA": 14, "shrinkB": 14, "connectionstyle": "arc3,rad=0.12"},
        )  # fmt: skip
        if label:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, label, fontsize=7, ha="center",
                    bbox={"fc": "white", "ec": "none", "alpha": 0.8})  # fmt: skip
    for name, (x, y) in spots.items():
        colour = _INPUT_COLOUR if name.startswith("c_{k-") else _NODE_COLOUR
        colour = _OUTPUT_COLOUR if name == "c_{k}" else colour
        ax.text(x, y, f"${name}$" if "_" in name else name, ha="center", va="center",
                bbox={"boxstyle": "round", "fc": colour})  # fmt: skip
    ax.set_xlim(-0.5, steps + 1.5)
    ax.set_ylim(-0.1, 1.1)
    ax.set_title(title)
    ax.axis("off")


def plot_genotype(genotype: Genotype, path: Path) -> Path:
    """Write the normal and the reduction cell of ``genotype`` side by side as a PNG."""
    fig = Figure(figsize=(12, 3.6))
    normal, reduce = fig.subplots(1, 2)
    draw_cell(normal, genotype.normal, genotype.normal_concat, "normal cell")
    draw_cell(reduce, genotype.reduce, genotype.reduce_concat, "reduction cell")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
