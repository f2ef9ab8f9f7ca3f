"""The random-matrix model of loss-surface geometry at critical points (Pennington & Bahri
2017): a separate model, not the teacher-student kernels.

* :mod:`.theory` - the spectral density of Wishart + GOE, its support, index and the
  critical energy ``eps_c(phi)``;
* :mod:`.sampling` - sampled matrices against the theory;
* :mod:`.critical` - critical points of a small tanh network found by Newton-type search.
"""

from .critical import random_task, run_experiment
from .sampling import check_index, ks_to_theory, sample_eigenvalues
from .theory import alpha_0, cdf, density, eps_c, index, support, three_halves_law

__all__ = [
    "alpha_0",
    "cdf",
    "check_index",
    "density",
    "eps_c",
    "index",
    "ks_to_theory",
    "random_task",
    "run_experiment",
    "sample_eigenvalues",
    "support",
    "three_halves_law",
]
