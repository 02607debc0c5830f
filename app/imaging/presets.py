"""Named kernels a student can start from, each with one line on what it does.

Stable ids (``sobel_x``, ``gaussian_5x5``) appear in URLs and the UI.
"""

from __future__ import annotations


def _preset(name: str, kernel: list[list[float]], description: str) -> dict:
    return {"name": name, "kernel": kernel, "description": description}


_G5 = [[1, 4, 6, 4, 1], [4, 16, 24, 16, 4], [6, 24, 36, 24, 6], [4, 16, 24, 16, 4],
       [1, 4, 6, 4, 1]]

PRESETS: dict[str, dict] = {
    "identity": _preset("Identity", [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
                        "Copies the centre pixel: the output equals the input."),
    "box_blur": _preset("Box blur", [[1 / 9] * 3] * 3,
                        "Averages the 3x3 neighbourhood; sums to 1 so brightness is kept."),
    "gaussian_3x3": _preset("Gaussian blur 3x3",
                            [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16],
                             [1 / 16, 2 / 16, 1 / 16]],
                            "A weighted average that favours the centre: a softer blur."),
    "gaussian_5x5": _preset("Gaussian blur 5x5", [[v / 256 for v in row] for row in _G5],
                            "Binomial approximation of a Gaussian over 5x5 pixels."),
    "sharpen": _preset("Sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
                       "Identity plus a Laplacian: boosts the difference from the neighbours."),
    "sobel_x": _preset("Sobel x", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
                       "Horizontal gradient: bright-on-the-right edges go positive, "
                       "the other side negative."),
    "sobel_y": _preset("Sobel y", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                       "Vertical gradient: responds to horizontal edges."),
    "prewitt_x": _preset("Prewitt x", [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
                         "Like Sobel x without the extra weight on the centre row."),
    "prewitt_y": _preset("Prewitt y", [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
                         "Like Sobel y without the extra weight on the centre column."),
    "scharr_x": _preset("Scharr x", [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]],
                        "A gradient with better rotational symmetry than Sobel."),
    "scharr_y": _preset("Scharr y", [[-3, -10, -3], [0, 0, 0], [3, 10, 3]],
                        "Scharr's vertical gradient."),
    "laplacian_4": _preset("Laplacian (4-neighbour)", [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
                           "Second derivative: zero on flat areas and ramps, strong at edges."),
    "laplacian_8": _preset("Laplacian (8-neighbour)", [[1, 1, 1], [1, -8, 1], [1, 1, 1]],
                           "Second derivative including the diagonals."),
    "emboss": _preset("Emboss", [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
                      "A diagonal gradient plus the pixel itself: looks like relief."),
    "outline": _preset("Outline", [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
                       "Centre minus its neighbours: only outlines survive."),
    "horizontal_edge": _preset("Horizontal edge", [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
                               "Bright above, dark below: finds horizontal edges."),
    "vertical_edge": _preset("Vertical edge", [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
                             "Bright left, dark right: finds vertical edges."),
}
