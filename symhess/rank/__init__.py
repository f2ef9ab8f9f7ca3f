"""The Hessian rank at the optimum - the effective number of parameters - and what theory says.

* :mod:`.theory` - every known count, labelled exact or bound, with its source;
* :mod:`.measure` - the rank in float64, mpmath, exactly over Q and certified, for one teacher;
* :mod:`.certify` - a proof of the rank in ball arithmetic (non-rational kernels);
* :mod:`.grid` - the rank over a grid of ``(d, h)`` on all cores, each point judged.

Computation only: tables, JSON and plots live in :mod:`symhess.report`.
"""

from .certify import RankCertificate, certify_rank
from .grid import SweepRow, sweep
from .measure import MethodRank, RankReport, rank_report, rational_teacher
from .theory import NullBasis, Prediction, null_basis, predictions, upper_bound

__all__ = [
    "MethodRank",
    "NullBasis",
    "Prediction",
    "RankCertificate",
    "RankReport",
    "SweepRow",
    "certify_rank",
    "null_basis",
    "predictions",
    "rank_report",
    "rational_teacher",
    "sweep",
    "upper_bound",
]
