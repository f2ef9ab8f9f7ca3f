"""The landscape beyond the optimum (computation only; text and plots live in
:mod:`symhess.report`), on :class:`symhess.Landscape` - the exact loss, gradient and Hessian
of any student against a fixed teacher:

* :mod:`.flow` - gradient flow by a stiff ODE solver with the exact Hessian as Jacobian;
* :mod:`.newton` - Newton polishing to ``|grad L| <= 1e-12``, or a stated failure;
* :mod:`.critical` - classification (global / local minimum, saddle: loss, index, rank),
  flow-then-polish, and the survey of critical points from many starts;
* :mod:`.trajectory` - the Hessian's spectrum and exact rank along a trajectory;
* :mod:`.wider` - wider students: the rank at their global minima against the teacher's.

An analysis room above :mod:`symhess.rank` and :mod:`symhess.dynamics`: it uses the rank
methods for the minima of wider students.
"""

from .critical import (
    CriticalPoint,
    Search,
    Survey,
    classify,
    critical_points,
    find_critical_point,
)
from .flow import FlowResult, explicit_descent, gradient_flow, initial_student
from .newton import NewtonResult, newton_polish
from .trajectory import SpectrumAt, spectra_along
from .wider import (
    WiderReport,
    WiderRow,
    minimum_structure,
    second_order_obstruction,
    split,
    split_directions,
    wider_minima,
    zeroed,
)

__all__ = [
    "CriticalPoint",
    "FlowResult",
    "NewtonResult",
    "Search",
    "SpectrumAt",
    "Survey",
    "WiderReport",
    "WiderRow",
    "classify",
    "critical_points",
    "explicit_descent",
    "find_critical_point",
    "gradient_flow",
    "initial_student",
    "minimum_structure",
    "newton_polish",
    "second_order_obstruction",
    "spectra_along",
    "split",
    "split_directions",
    "wider_minima",
    "zeroed",
]
