"""The Hessian rank at the optimum - the effective number of parameters - and what theory says.

* :mod:`.theory` - every known count, labelled exact or bound, with its source;
* :mod:`.measure` - the rank in float64, mpmath and exactly over Q, for one teacher;
* :mod:`.grid` - the rank over a grid of ``(d, h)`` on all cores, each point judged.

Computation only: tables, JSON and plots live in :mod:`symhess.report`.
"""

from .grid import SweepRow, sweep
from .measure import MethodRank, RankReport, rank_report, rational_teacher
from .theory import Prediction, predictions, upper_bound

__all__ = [
    "MethodRank",
    "Prediction",
    "RankReport",
    "SweepRow",
    "predictions",
    "rank_report",
    "rational_teacher",
    "sweep",
    "upper_bound",
]
