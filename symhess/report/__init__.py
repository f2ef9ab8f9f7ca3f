"""What users read and look at: text reports, JSON, CSV, plots and the paper's figures.

* :mod:`.analyze` - the report of ``symhess analyze``;
* :mod:`.rank` - rank tables and JSON; :mod:`.sweep` - sweep tables, CSV and heatmaps;
* :mod:`.results` - the results database on screen and as CSV; :mod:`.atlas` - the atlas's
  summary, table and figure;
* :mod:`.spectra` - spectrum text (log-scale clusters, the linear law's comparison);
* :mod:`.operator_report` - spectra reported from the matrix-free operator;
* :mod:`.figures` - the seed paper's figures and the plots of ``spectrum`` and ``dynamics``;
* :mod:`.plot` - matplotlib, imported on demand (the optional ``plot`` extra).

This layer formats what the analysis layers compute; it adds no mathematics of its own.
"""
