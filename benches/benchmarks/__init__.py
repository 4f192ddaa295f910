"""asv benchmarks for entrostat: one module per family, each function beside its best-known
NumPy / SciPy / scikit-learn alternative, measured in the same class."""
