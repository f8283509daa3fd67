"""Import first: pins numpy's BLAS and OpenMP to one thread (torch pins itself on import of
impl_torch). The variables must be set before numpy is loaded, so this module imports
nothing that imports numpy."""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
