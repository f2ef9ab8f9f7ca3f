"""Learning near the optimum (computation only; text and plots live in :mod:`symhess.report`).

* :mod:`.loss` - :class:`PopulationLoss`, the exact generalization error and its gradient;
* :mod:`.training` - gradient descent on it, SGD on fresh Gaussian inputs, perturbations;
* :mod:`.theory` - the linearised prediction ``E L(t)`` and late-time rates;
* :mod:`.runs` - runs from perturbed teachers against the prediction.
"""

from .loss import PopulationLoss
from .runs import Experiment, experiment
from .theory import RateFit, discrete_rate, late_rate, predicted_loss
from .training import Trajectory, gradient_descent, initial_perturbations, sgd

__all__ = [
    "Experiment",
    "PopulationLoss",
    "RateFit",
    "Trajectory",
    "discrete_rate",
    "experiment",
    "gradient_descent",
    "initial_perturbations",
    "late_rate",
    "predicted_loss",
    "sgd",
]
