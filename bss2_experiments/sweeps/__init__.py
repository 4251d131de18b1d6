"""Parameter and seed sweeps of any experiment over Dask workers (``bss2 sweep``).

* :mod:`.experiments`: run an experiment through its cli module (``--json`` summary)
* :mod:`.grid`: the sweep spec and its tasks (every combination x seeds)
* :mod:`.store`: the sweep folder, written as results land (resume skips finished tasks)
* :mod:`.runner`: Dask futures, one retry per failing task, progress bar
* :mod:`.report`: CSV + JSON table and the plot of the headline metric with seed spread
"""
