"""Policies every layer shares, each in one place.

* :mod:`.systems` - the number systems (float64, mpmath, exact rationals) and conversions;
* :mod:`.memory` - how much memory there is, and the one rule that refuses a computation
  that would not fit;
* :mod:`.progress` - progress bars, and what ``show_progress`` means;
* :mod:`.threads` - BLAS threads around iterative solvers and symhess's own thread pool;
* :mod:`.cache` - the user cache folder for kernels derived on demand.

Nothing here knows about networks: the layers above bring their own size estimates.
"""
